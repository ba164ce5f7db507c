//! Names as the report has them: distinguished names ([`Name`]) and the general names of
//! subjectAltName and other extensions ([`San`]).
//!
//! A DN's text is exactly what `openssl x509 -nameopt RFC2253,-esc_msb` prints. The report
//! contract compares subjects and issuers with OpenSSL's output, and the proxy forwards them
//! upstream like nginx does, so the rules are OpenSSL's (`crypto/asn1/a_strex.c`) rather than a
//! fresh reading of RFC 4514: entries in reverse DER order (multi-valued RDNs included),
//! OpenSSL's short attribute names, 1-byte strings read as ISO-8859-1, BMP and Universal strings
//! decoded, UTF-8 left as it is, RFC 2253 specials escaped with a backslash, control characters
//! as `\XX`, and values that are not strings (or whose attribute OpenSSL does not know) as `#`
//! and the hex of their DER.
//!
//! The names are read from the DER with [`crate::der`] (no std needed), so every attribute keeps
//! its span, and a [`Name`] keeps its attributes so that callers never parse the text again.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::net::IpAddr;

use crate::der::{self, Reader, Tlv};
use crate::error::Error;
#[cfg(feature = "std")]
use crate::span::{Node, Span};

/// A distinguished name: its RFC 4514 text (OpenSSL's form, see the module) and its attributes.
///
/// `Display` and the JSON give the text; [`Name::common_name`] and [`Name::values`] read the
/// attributes, unescaped, without parsing the text again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Name {
    text: String,
    /// Most specific first, as in the text.
    attributes: Vec<NameAttribute>,
}

/// One attribute of a [`Name`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NameAttribute {
    /// OpenSSL's short name (`CN`, `O`, `emailAddress`...), else the dotted OID.
    pub key: String,
    /// The value as a person reads it (no escapes); `None` when it is not a string, or its
    /// attribute is one OpenSSL does not know (the text shows `#` and the hex of its DER).
    pub value: Option<String>,
}

impl Name {
    /// The name of a DER `Name` (a SEQUENCE OF RelativeDistinguishedName): of a certificate, a
    /// CRL, or a TLS CertificateRequest's certificate_authorities.
    pub fn from_der(der: &[u8]) -> Result<Name, Error> {
        let entries = entries(der, 0)?;
        let mut text = String::new();
        let mut attributes = Vec::with_capacity(entries.len());
        let mut prev: Option<usize> = None;
        for entry in entries.into_iter().rev() {
            if let Some(p) = prev {
                text.push(if p == entry.rdn { '+' } else { ',' });
            }
            prev = Some(entry.rdn);
            text.push_str(&entry.key);
            text.push('=');
            text.push_str(&entry.escaped);
            attributes.push(NameAttribute {
                key: entry.key,
                value: entry.text,
            });
        }
        Ok(Name { text, attributes })
    }

    /// As [`Name::from_der`]; a name whose DER cannot be walked is shown as `#` and the hex of
    /// its bytes (with no attributes) rather than failing the whole item.
    pub fn from_der_lossy(der: &[u8]) -> Name {
        Name::from_der(der).unwrap_or_else(|_| Name {
            text: format!("#{}", upper_hex(der)),
            attributes: Vec::new(),
        })
    }

    /// The RFC 4514 text, as `openssl x509 -nameopt RFC2253,-esc_msb` prints it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the name has no attribute (an empty subject).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The attributes, most specific first (the order of the text).
    pub fn attributes(&self) -> &[NameAttribute] {
        &self.attributes
    }

    /// The string values of the attributes `key` (OpenSSL's short name, such as `O` or `OU`,
    /// or a dotted OID), most specific first.
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.key == key)
            .filter_map(|a| a.value.as_deref())
    }

    /// Names as a sentence lists them: `CN=A; CN=B` (the DNs hold commas, so `; ` separates).
    pub fn list(names: &[Name]) -> String {
        let mut out = String::new();
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(&n.text);
        }
        out
    }

    /// The most specific commonName (the first `CN=` of the text), unescaped.
    pub fn common_name(&self) -> Option<&str> {
        self.values("CN").next()
    }
}

#[cfg(test)]
impl Name {
    /// `CN=value` (a UTF8String of less than 128 bytes), for tests that need a name.
    pub(crate) fn test_cn(value: &str) -> Name {
        let mut atv = alloc::vec![der::TAG_OID, 3, 0x55, 0x04, 0x03, 0x0c, value.len() as u8];
        atv.extend_from_slice(value.as_bytes());
        let mut der = alloc::vec![der::TAG_SEQUENCE, atv.len() as u8 + 4, der::TAG_SET];
        der.push(atv.len() as u8 + 2);
        der.extend([der::TAG_SEQUENCE, atv.len() as u8]);
        der.extend(atv);
        Name::from_der_lossy(&der)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// A GeneralName (RFC 5280 4.2.1.6): an entry of subjectAltName, and a name in the other
/// extensions that hold them. `Display` and the JSON write it as OpenSSL does (`DNS:x`,
/// `IP:2001:db8::1`, `email:x`, `URI:x`, `DirName:CN=x`, `othername:UPN::x`...).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum San {
    /// dNSName: `DNS:x`.
    Dns(String),
    /// rfc822Name: `email:x`.
    Email(String),
    /// uniformResourceIdentifier: `URI:x`.
    Uri(String),
    /// iPAddress of 4 or 16 bytes: `IP:10.0.0.1`, `IP:2001:db8::1` (RFC 5952).
    Ip(IpAddr),
    /// iPAddress of a name constraint, an address and its mask (8 or 32 bytes): `IP:a/m`.
    IpRange {
        /// The address.
        addr: IpAddr,
        /// The mask.
        mask: IpAddr,
    },
    /// directoryName: `DirName:` and the DN.
    DirName(Name),
    /// registeredID: `RID:` and the dotted OID.
    Rid(String),
    /// otherName: `othername:` then the label (OpenSSL's, such as `UPN`, else the dotted OID),
    /// `:` and the value.
    OtherName {
        /// `UPN`, `XmppAddr`, `SRVName`, `NAIRealm`, `SmtpUTF8Mailbox`, or the dotted OID.
        label: String,
        /// `:` and the text for a string value (`UPN::a@b`), else the hex of the DER.
        value: String,
    },
    /// x400Address, not decoded: `X400Name:<unsupported>`.
    X400Address,
    /// ediPartyName, not decoded: `EdiPartyName:<unsupported>`.
    EdiPartyName,
    /// An iPAddress of another length than 4, 16, 8 or 32 bytes: `IP:<invalid hex>`.
    IpInvalid(Vec<u8>),
    /// An entry that could not be decoded: `invalid[tag]:hex`.
    Invalid {
        /// The context tag of the entry.
        tag: u32,
        /// Its content bytes.
        bytes: Vec<u8>,
    },
}

impl San {
    /// An iPAddress entry from its content bytes.
    pub fn ip(bytes: &[u8]) -> San {
        match ip_of(bytes) {
            Some(addr) => San::Ip(addr),
            None if matches!(bytes.len(), 8 | 32) => {
                let (a, m) = bytes.split_at(bytes.len() / 2);
                match (ip_of(a), ip_of(m)) {
                    (Some(addr), Some(mask)) => San::IpRange { addr, mask },
                    _ => San::IpInvalid(bytes.to_vec()),
                }
            }
            None => San::IpInvalid(bytes.to_vec()),
        }
    }
}

fn ip_of(b: &[u8]) -> Option<IpAddr> {
    if let Ok(a) = <[u8; 4]>::try_from(b) {
        return Some(IpAddr::from(a));
    }
    <[u8; 16]>::try_from(b).ok().map(IpAddr::from)
}

impl fmt::Display for San {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            San::Dns(s) => write!(f, "DNS:{s}"),
            San::Email(s) => write!(f, "email:{s}"),
            San::Uri(s) => write!(f, "URI:{s}"),
            San::Ip(a) => write!(f, "IP:{a}"),
            San::IpRange { addr, mask } => write!(f, "IP:{addr}/{mask}"),
            San::DirName(n) => write!(f, "DirName:{n}"),
            San::Rid(oid) => write!(f, "RID:{oid}"),
            San::OtherName { label, value } => write!(f, "othername:{label}:{value}"),
            San::X400Address => f.write_str("X400Name:<unsupported>"),
            San::EdiPartyName => f.write_str("EdiPartyName:<unsupported>"),
            San::IpInvalid(bytes) => write!(f, "IP:<invalid {}>", der::hex(bytes)),
            San::Invalid { tag, bytes } => write!(f, "invalid[{tag}]:{}", der::hex(bytes)),
        }
    }
}

impl serde::Serialize for San {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(feature = "std")]
/// The field tree of a name: one child per RDN, one grandchild per attribute (`CN` = value).
///
/// `raw` is the DER of the name and must be a sub-slice of `whole`, the item's bytes.
pub(crate) fn node(field: &str, whole: &[u8], raw: &[u8]) -> Node {
    let span = Span::of(whole, raw).unwrap_or_default();
    let mut node = Node::new(field, Name::from_der_lossy(raw).text, span);
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
    /// The value as a person reads it (`#` and hex when it is not a string).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    plain: String,
    /// The value when it is a string.
    text: Option<String>,
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
    let (escaped, plain, text) = match text {
        Some(chars) => {
            let plain: String = chars.iter().collect();
            (escape(&chars), plain.clone(), Some(plain))
        }
        // OpenSSL dumps values of unknown attributes and of non-string types as DER.
        None => {
            let dump = format!("#{}", upper_hex(value.raw));
            (dump.clone(), dump, None)
        }
    };
    Ok(Entry {
        rdn,
        key,
        escaped,
        plain,
        text,
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
fn short_name(oid: &str) -> Option<&'static str> {
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

#[cfg(feature = "std")]
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
            Name::from_der(&der).as_ref().map(Name::as_str),
            Ok("O=\u{e9}\\01+CN=a\\, b,O=\\#x\\ ")
        );
    }

    #[test]
    fn attributes_without_parsing_the_text() {
        let der = name(&[
            alloc::vec![atv(O, 0x13, b"outer")],
            alloc::vec![atv(CN, 0x0c, b"a, b"), atv(O, 0x14, &[0xe9, 0x01])],
            alloc::vec![atv(CN, 0x02, &[0x05])],
        ]);
        let n = Name::from_der_lossy(&der);
        // The INTEGER "CN" is shown as hex but is no common name.
        assert_eq!(n.common_name(), Some("a, b"));
        let orgs: Vec<&str> = n.values("O").collect();
        assert_eq!(orgs, ["\u{e9}\u{1}", "outer"]);
        assert_eq!(n.to_string(), n.as_str());
        assert_eq!(Name::from_der_lossy(&[0x05]).as_str(), "#05");
        assert_eq!(Name::default().common_name(), None);
    }

    #[test]
    fn general_names_as_openssl_writes_them() {
        let cases = [
            (San::ip(&[10, 0, 0, 1]), "IP:10.0.0.1"),
            (
                San::ip(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                "IP:2001:db8::1",
            ),
            (
                San::ip(&[10, 0, 0, 0, 255, 0, 0, 0]),
                "IP:10.0.0.0/255.0.0.0",
            ),
            (San::ip(&[1, 2]), "IP:<invalid 0102>"),
            (San::Dns("a.example".into()), "DNS:a.example"),
            (
                San::Invalid {
                    tag: 3,
                    bytes: alloc::vec![0xab],
                },
                "invalid[3]:ab",
            ),
        ];
        for (san, text) in cases {
            assert_eq!(san.to_string(), text);
        }
    }

    #[test]
    fn bmp_unknown_and_non_string() {
        let der = name(&[
            alloc::vec![atv(CN, 0x1e, &[0x00, 0x5a, 0x00, 0xeb])],
            alloc::vec![atv(&[0x2a, 0x03, 0x04], 0x0c, b"foo")],
            alloc::vec![atv(CN, 0x02, &[0x05])],
        ]);
        assert_eq!(
            Name::from_der(&der).as_ref().map(Name::as_str),
            Ok("CN=#020105,1.2.3.4=#0C03666F6F,CN=Z\u{eb}")
        );
        let tree = node("subject", &der, &der);
        assert_eq!(tree.children.len(), 3);
        assert_eq!(tree.children[0].children[0].value, "Z\u{eb}");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Name::from_der(&[0x30, 0x03, 0x31, 0x01, 0x00]).is_err());
    }
}
