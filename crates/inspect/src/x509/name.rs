//! Distinguished names as text, exactly as `openssl x509 -nameopt RFC2253,-esc_msb` prints them.
//!
//! The report contract compares subjects and issuers with OpenSSL's output, and the proxy forwards
//! them upstream like nginx does, so the rules are OpenSSL's (`crypto/asn1/a_strex.c`) rather
//! than a fresh reading of RFC 4514: entries in reverse DER order (multi-valued RDNs included),
//! OpenSSL's short attribute names, 1-byte strings read as ISO-8859-1, BMP and Universal strings
//! decoded, UTF-8 left as it is, RFC 2253 specials escaped with a backslash, control characters
//! as `\XX`, and values that are not strings (or whose attribute OpenSSL does not know) as `#`
//! and the hex of their DER.
//!
//! The names are read from the DER with [`crate::der`], so every attribute keeps its span.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use crate::der::{self, Reader, Tlv};
use crate::error::Error;
use crate::span::{Node, Span};

/// The DN of a parsed name, most specific attribute first.
///
/// A name whose DER cannot be walked (x509-parser accepted it, so this does not happen in
/// practice) is shown as `#` and the hex of its bytes rather than failing the whole item.
pub fn rfc4514(name: &x509_parser::x509::X509Name<'_>) -> String {
    rfc4514_der(name.as_raw()).unwrap_or_else(|_| format!("#{}", upper_hex(name.as_raw())))
}

/// The DN of a DER `Name` (a SEQUENCE OF RelativeDistinguishedName), as [`rfc4514`] prints it.
///
/// TLS CertificateRequest messages list CA names as bare DER; this reads them too.
pub fn rfc4514_der(der: &[u8]) -> Result<String, Error> {
    let entries = entries(der, 0)?;
    let mut out = String::new();
    let mut prev: Option<usize> = None;
    for entry in entries.iter().rev() {
        if let Some(p) = prev {
            out.push(if p == entry.rdn { '+' } else { ',' });
        }
        prev = Some(entry.rdn);
        out.push_str(&entry.key);
        out.push('=');
        out.push_str(&entry.escaped);
    }
    Ok(out)
}

/// The field tree of a name: one child per RDN, one grandchild per attribute (`CN` = value).
///
/// `raw` is the DER of the name and must be a sub-slice of `whole`, the item's bytes.
pub fn node(field: &str, whole: &[u8], raw: &[u8]) -> Node {
    let span = Span::of(whole, raw).unwrap_or_default();
    let text = rfc4514_der(raw).unwrap_or_else(|_| format!("#{}", upper_hex(raw)));
    let mut node = Node::new(field, text, span);
    let Ok(seq) = der::single(raw) else {
        return node;
    };
    let base = span.offset;
    let Ok(rdns) = shift(seq, base).children() else {
        return node;
    };
    for rdn in rdns {
        let mut rdn_node = Node::new("RelativeDistinguishedName", "", rdn.span());
        for atv in rdn.children().unwrap_or_default() {
            if let Ok(entry) = attribute(&atv, 0) {
                rdn_node.push(Node::new(entry.key, entry.plain, atv.span()));
            }
        }
        node.push(rdn_node);
    }
    node
}

/// One attribute of a name, with the index of the RDN it belongs to.
struct Entry {
    rdn: usize,
    key: String,
    /// The value with RFC 2253 escaping, as it appears in the DN string.
    escaped: String,
    /// The value as a person reads it.
    plain: String,
}

fn entries(der: &[u8], base: usize) -> Result<Vec<Entry>, Error> {
    let seq = Reader::at(der, base).expect(der::TAG_SEQUENCE, "Name")?;
    let mut out = Vec::new();
    for (i, rdn) in seq.children()?.iter().enumerate() {
        if rdn.tag != der::TAG_SET {
            return Err(Error::BadDer {
                what: "RelativeDistinguishedName",
                offset: rdn.offset,
            });
        }
        for atv in rdn.children()? {
            out.push(attribute(&atv, i)?);
        }
    }
    Ok(out)
}

fn attribute(atv: &Tlv<'_>, rdn: usize) -> Result<Entry, Error> {
    let bad = Error::BadDer {
        what: "AttributeTypeAndValue",
        offset: atv.offset,
    };
    if atv.tag != der::TAG_SEQUENCE {
        return Err(bad);
    }
    let parts = atv.children()?;
    let (Some(oid), Some(value)) = (parts.first(), parts.get(1)) else {
        return Err(bad);
    };
    if oid.tag != der::TAG_OID {
        return Err(bad);
    }
    let dotted = der::oid_to_string(oid.content).ok_or(bad)?;
    let known = short_name(&dotted);
    let key = known.map_or_else(|| dotted.clone(), ToString::to_string);
    let text = known.and_then(|_| decode_string(value.tag, value.content));
    let (escaped, plain) = match text {
        Some(chars) => (escape(&chars), chars.iter().collect()),
        // OpenSSL dumps values of unknown attributes and of non-string types as DER.
        None => {
            let dump = format!("#{}", upper_hex(value.raw));
            (dump.clone(), dump)
        }
    };
    Ok(Entry {
        rdn,
        key,
        escaped,
        plain,
    })
}

/// The characters of a string value, or `None` for a type OpenSSL dumps as hex.
///
/// UTF8String is kept as its bytes (OpenSSL does not re-encode it); every 1-byte string type
/// is ISO-8859-1, so a T61String's `é` (0xe9) becomes U+00E9. Characters are returned as
/// `char`s standing for single output units: for UTF-8 input each byte above 0x7f is kept raw.
fn decode_string(tag: u8, content: &[u8]) -> Option<Vec<char>> {
    match tag {
        // UTF8String: printed byte by byte, so decode leniently and keep characters whole.
        0x0c => Some(String::from_utf8_lossy(content).chars().collect()),
        // Numeric, Printable, T61, IA5, UTCTime, GeneralizedTime, VisibleString.
        0x12 | 0x13 | 0x14 | 0x16 | 0x17 | 0x18 | 0x1a => {
            Some(content.iter().map(|b| char::from(*b)).collect())
        }
        // BMPString: UCS-2 big-endian.
        0x1e if content.len() % 2 == 0 => Some(
            content
                .chunks_exact(2)
                .map(|c| {
                    let unit = u32::from(u16::from_be_bytes([c[0], c[1]]));
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
                })
                .collect(),
        ),
        // UniversalString: UCS-4 big-endian.
        0x1c if content.len() % 4 == 0 => Some(
            content
                .chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                        .unwrap_or(char::REPLACEMENT_CHARACTER)
                })
                .collect(),
        ),
        _ => None,
    }
}

/// RFC 2253 escaping with OpenSSL's rules (`do_esc_char` with ESC_2253 | ESC_CTRL).
fn escape(chars: &[char]) -> String {
    let mut out = String::new();
    let last = chars.len().saturating_sub(1);
    for (i, c) in chars.iter().enumerate() {
        let c = *c;
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\{:02X}", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out
}

/// OpenSSL's short name (`OBJ_nid2sn`) of a name attribute, for the attributes it knows.
pub fn short_name(oid: &str) -> Option<&'static str> {
    if let Some(n) = oid.strip_prefix("2.5.4.") {
        return x520_name(n);
    }
    Some(match oid {
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "1.2.840.113549.1.9.7" => "challengePassword",
        "1.2.840.113549.1.9.8" => "unstructuredAddress",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.3" => "mail",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

fn x520_name(n: &str) -> Option<&'static str> {
    Some(match n {
        "3" => "CN",
        "4" => "SN",
        "5" => "serialNumber",
        "6" => "C",
        "7" => "L",
        "8" => "ST",
        "9" => "street",
        "10" => "O",
        "11" => "OU",
        "12" => "title",
        "13" => "description",
        "14" => "searchGuide",
        "15" => "businessCategory",
        "16" => "postalAddress",
        "17" => "postalCode",
        "18" => "postOfficeBox",
        "19" => "physicalDeliveryOfficeName",
        "20" => "telephoneNumber",
        "21" => "telexNumber",
        "22" => "teletexTerminalIdentifier",
        "23" => "facsimileTelephoneNumber",
        "24" => "x121Address",
        "25" => "internationaliSDNNumber",
        "26" => "registeredAddress",
        "27" => "destinationIndicator",
        "28" => "preferredDeliveryMethod",
        "29" => "presentationAddress",
        "30" => "supportedApplicationContext",
        "31" => "member",
        "32" => "owner",
        "33" => "roleOccupant",
        "34" => "seeAlso",
        "35" => "userPassword",
        "36" => "userCertificate",
        "37" => "cACertificate",
        "38" => "authorityRevocationList",
        "39" => "certificateRevocationList",
        "40" => "crossCertificatePair",
        "41" => "name",
        "42" => "GN",
        "43" => "initials",
        "44" => "generationQualifier",
        "45" => "x500UniqueIdentifier",
        "46" => "dnQualifier",
        "47" => "enhancedSearchGuide",
        "48" => "protocolInformation",
        "49" => "distinguishedName",
        "50" => "uniqueMember",
        "51" => "houseIdentifier",
        "52" => "supportedAlgorithms",
        "53" => "deltaRevocationList",
        "54" => "dmdName",
        "65" => "pseudonym",
        "72" => "role",
        "97" => "organizationIdentifier",
        "98" => "c3",
        "99" => "n3",
        "100" => "dnsName",
        _ => return None,
    })
}

/// Uppercase hex, as OpenSSL's `#` dumps write it.
fn upper_hex(bytes: &[u8]) -> String {
    der::hex(bytes).to_uppercase()
}

/// The same element with its offset moved by `base` (for a name read out of a larger buffer).
fn shift(tlv: Tlv<'_>, base: usize) -> Tlv<'_> {
    Tlv {
        offset: tlv.offset + base,
        ..tlv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        let mut inner = alloc::vec![der::TAG_OID, oid.len() as u8];
        inner.extend_from_slice(oid);
        inner.extend([tag, value.len() as u8]);
        inner.extend_from_slice(value);
        let mut seq = alloc::vec![der::TAG_SEQUENCE, inner.len() as u8];
        seq.extend(inner);
        seq
    }

    fn name(rdns: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let mut body = Vec::new();
        for rdn in rdns {
            let inner: Vec<u8> = rdn.concat();
            body.extend([der::TAG_SET, inner.len() as u8]);
            body.extend(inner);
        }
        let mut out = alloc::vec![der::TAG_SEQUENCE, body.len() as u8];
        out.extend(body);
        out
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];

    #[test]
    fn reversed_with_escapes() {
        let der = name(&[
            alloc::vec![atv(O, 0x13, b"#x ")],
            alloc::vec![atv(CN, 0x0c, b"a, b"), atv(O, 0x14, &[0xe9, 0x01])],
        ]);
        assert_eq!(
            rfc4514_der(&der).as_deref(),
            Ok("O=\u{e9}\\01+CN=a\\, b,O=\\#x\\ ")
        );
    }

    #[test]
    fn bmp_unknown_and_non_string() {
        let der = name(&[
            alloc::vec![atv(CN, 0x1e, &[0x00, 0x5a, 0x00, 0xeb])],
            alloc::vec![atv(&[0x2a, 0x03, 0x04], 0x0c, b"foo")],
            alloc::vec![atv(CN, 0x02, &[0x05])],
        ]);
        assert_eq!(
            rfc4514_der(&der).as_deref(),
            Ok("CN=#020105,1.2.3.4=#0C03666F6F,CN=Z\u{eb}")
        );
        let tree = node("subject", &der, &der);
        assert_eq!(tree.children.len(), 3);
        assert_eq!(tree.children[0].children[0].value, "Z\u{eb}");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(rfc4514_der(&[0x30, 0x03, 0x31, 0x01, 0x00]).is_err());
    }
}
