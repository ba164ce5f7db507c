//! X.509 certificates: the report contract's `certificate` item, its field tree and findings.
//!
//! x509-parser reads the certificate; every text a user compares with other tools (serial,
//! DNs, fingerprints, SANs, algorithm names) is produced here to match `openssl x509`. The field
//! tree is walked with [`crate::der`] so each RFC 5280 field keeps its byte span. Time never
//! comes from a clock: validity findings appear only when the caller passes `now`.
//!
//! Bytes after the certificate (the auxiliary trust data of an OpenSSL `TRUSTED CERTIFICATE`)
//! are ignored; hashes are of the certificate's own DER.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;

use super::{extension, public_key, Decoded};
use crate::der::{self, Reader, Tlv};
use crate::error::Error;
use crate::finding::{Code, Finding, Severity};
use crate::name::{self, Name};
use crate::objects;
use crate::oid::signature_name;
use crate::report::ItemBody;
use crate::span::{Node, Span};
use crate::time::{relative_days, Timestamp};

/// Days before `notAfter` from which an `expires_soon` finding is raised.
const EXPIRES_SOON_DAYS: i64 = 30;

/// Decodes one DER certificate (trailing bytes allowed); `now` adds the validity findings.
pub fn decode(der: &[u8], now: Option<Timestamp>) -> Result<Decoded, Error> {
    decode_with(der, now, true)
}

/// [`decode`], with the field tree only when `trees` is set (the tree is most of the work).
pub fn decode_with(der: &[u8], now: Option<Timestamp>, trees: bool) -> Result<Decoded, Error> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| Error::Malformed {
        what: "certificate",
        reason: e.to_string(),
    })?;
    let own = cert.as_raw();
    let tbs = &cert.tbs_certificate;
    let spki_der = tbs.subject_pki.raw;
    let fields = Fields::walk(der).unwrap_or_default();

    let public_key = public_key::describe(spki_der)?;
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let mut body = objects::Certificate {
        version: u8::try_from(tbs.version.0.saturating_add(1)).unwrap_or(u8::MAX),
        serial: serial_text(tbs.raw_serial()),
        subject: Name::from_der_lossy(tbs.subject.as_raw()),
        issuer: Name::from_der_lossy(tbs.issuer.as_raw()),
        not_before: Timestamp(tbs.validity.not_before.timestamp()).to_rfc3339(),
        not_after: Timestamp(tbs.validity.not_after.timestamp()).to_rfc3339(),
        sha256: der::hex(&Sha256::digest(own)),
        sha1: der::hex(&Sha1::digest(own)),
        spki_sha256: public_key::spki_sha256(spki_der),
        san: Vec::new(),
        public_key,
        signature_algorithm: signature_name(&sig_oid)
            .map_or_else(|| sig_oid.clone(), ToString::to_string),
        signature_algorithm_oid: sig_oid,
        is_ca: false,
        path_len: None,
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        extensions: Vec::new(),
        not_before_unix: tbs.validity.not_before.timestamp(),
        not_after_unix: tbs.validity.not_after.timestamp(),
    };
    let mut has_ku = false;
    let mut has_san = false;
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                has_san = true;
                body.san
                    .extend(san.general_names.iter().map(extension::general_name));
            }
            ParsedExtension::BasicConstraints(bc) => {
                body.is_ca = bc.ca;
                body.path_len = bc.path_len_constraint;
            }
            ParsedExtension::KeyUsage(ku) => {
                has_ku = true;
                body.key_usage = extension::key_usage_names(ku);
            }
            ParsedExtension::ExtendedKeyUsage(_) => {
                body.extended_key_usage = extension::eku_names(ext);
            }
            _ => {}
        }
        body.extensions.push(extension::describe(ext));
    }

    let mut findings = Vec::new();
    validity_findings(&body, now, &fields, &mut findings);
    content_findings(&cert, &body, has_ku, has_san, &fields, &mut findings);
    let tree = if trees {
        tree(der, &cert, &fields)
    } else {
        Vec::new()
    };
    Ok(Decoded {
        body: ItemBody::Certificate(body),
        tree,
        findings,
    })
}

/// The facts of [`super::CertificateFacts`], read from the DER without the rest of [`decode`].
pub fn facts(der: &[u8]) -> Result<super::CertificateFacts, Error> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| Error::Malformed {
        what: "certificate",
        reason: e.to_string(),
    })?;
    let tbs = &cert.tbs_certificate;
    let mut facts = super::CertificateFacts {
        subject: Name::from_der_lossy(tbs.subject.as_raw()),
        issuer: Name::from_der_lossy(tbs.issuer.as_raw()),
        serial: serial_text(tbs.raw_serial()),
        not_before: Timestamp(tbs.validity.not_before.timestamp()),
        not_after: Timestamp(tbs.validity.not_after.timestamp()),
        san: Vec::new(),
        extended_key_usage: Vec::new(),
        is_ca: false,
        sha256: Sha256::digest(cert.as_raw()).into(),
        spki_sha256: Sha256::digest(tbs.subject_pki.raw).into(),
    };
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => facts
                .san
                .extend(san.general_names.iter().map(extension::general_name)),
            ParsedExtension::BasicConstraints(bc) => facts.is_ca = bc.ca,
            ParsedExtension::ExtendedKeyUsage(_) => {
                facts.extended_key_usage = extension::eku_names(ext);
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// Serial number as lowercase hex without leading zeros; a negative one gets a `-` and the hex
/// of its magnitude, as `openssl x509 -serial` shows it.
pub fn serial_text(raw: &[u8]) -> String {
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude = if negative { negate(raw) } else { raw.to_vec() };
    let hex = der::hex(&magnitude);
    let trimmed = hex.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    if negative {
        format!("-{digits}")
    } else {
        digits.to_string()
    }
}

/// The two's complement negation of a big-endian integer (the magnitude of a negative one).
fn negate(raw: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = raw.iter().map(|b| !b).collect();
    for b in out.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
    out
}

/// Spans of the fields that findings point at.
#[derive(Clone, Copy, Debug, Default)]
struct Fields {
    serial: Span,
    not_before: Span,
    not_after: Span,
    spki: Span,
    signature_algorithm: Span,
    subject: Span,
    extensions: Span,
}

impl Fields {
    fn walk(der: &[u8]) -> Result<Self, Error> {
        let (_, tbs, sig_alg, _) = top(der)?;
        let mut f = Fields {
            signature_algorithm: sig_alg.span(),
            ..Fields::default()
        };
        let mut names = 0;
        for t in tbs.children()? {
            match t.tag {
                der::TAG_INTEGER => f.serial = t.span(),
                der::TAG_SEQUENCE if is_validity(&t) => {
                    let c = t.children()?;
                    f.not_before = c.first().map(Tlv::span).unwrap_or_default();
                    f.not_after = c.get(1).map(Tlv::span).unwrap_or_default();
                }
                der::TAG_SEQUENCE if is_spki(&t) => f.spki = t.span(),
                der::TAG_SEQUENCE if !is_alg(&t) => {
                    names += 1;
                    if names == 2 {
                        f.subject = t.span();
                    }
                }
                0xa3 => f.extensions = t.span(),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// The certificate SEQUENCE, tbsCertificate, signatureAlgorithm and signatureValue.
fn top(der: &[u8]) -> Result<Signed<'_>, Error> {
    signed(
        der,
        [
            "Certificate",
            "tbsCertificate",
            "signatureAlgorithm",
            "signatureValue",
        ],
    )
}

/// A SIGNED{...} structure (RFC 5280 4.1.1.1, 5.1.1.1): the whole, the signed part, the
/// signature algorithm and the signature.
pub(super) type Signed<'a> = (Tlv<'a>, Tlv<'a>, Tlv<'a>, Tlv<'a>);

/// Splits a SIGNED{...} structure; `what` names its four parts for errors.
pub(super) fn signed<'a>(der: &'a [u8], what: [&'static str; 4]) -> Result<Signed<'a>, Error> {
    let whole = Reader::new(der).expect(der::TAG_SEQUENCE, what[0])?;
    let mut r = Reader::at(whole.content, whole.header_len());
    let tbs = r.expect(der::TAG_SEQUENCE, what[1])?;
    let alg = r.expect(der::TAG_SEQUENCE, what[2])?;
    let sig = r.expect(der::TAG_BIT_STRING, what[3])?;
    Ok((whole, tbs, alg, sig))
}

/// The signatureAlgorithm and signatureValue nodes that end a signed structure's tree.
pub(super) fn signature_nodes(alg: &Tlv<'_>, sig: &Tlv<'_>) -> [Node; 2] {
    [
        algorithm_node("signatureAlgorithm", alg),
        Node::new(
            "signatureValue",
            format!("{} bytes", sig.content.len().saturating_sub(1)),
            sig.span(),
        ),
    ]
}

/// Validity is the SEQUENCE of two times.
fn is_validity(t: &Tlv<'_>) -> bool {
    t.children()
        .is_ok_and(|c| c.len() == 2 && c.iter().all(|x| matches!(x.tag, 0x17 | 0x18)))
}

/// An AlgorithmIdentifier starts with an OID.
fn is_alg(t: &Tlv<'_>) -> bool {
    t.children()
        .is_ok_and(|c| c.first().is_some_and(|x| x.tag == der::TAG_OID))
}

/// A SubjectPublicKeyInfo is an AlgorithmIdentifier and a BIT STRING.
fn is_spki(t: &Tlv<'_>) -> bool {
    t.children().is_ok_and(|c| {
        c.len() == 2 && c.first().is_some_and(is_alg) && c.get(1).is_some_and(|x| x.tag == 0x03)
    })
}

fn validity_findings(
    body: &objects::Certificate,
    now: Option<Timestamp>,
    fields: &Fields,
    out: &mut Vec<Finding>,
) {
    let Some(now) = now else {
        return;
    };
    let not_after = Timestamp(body.not_after_unix);
    let not_before = Timestamp(body.not_before_unix);
    // Which bound the finding is about, and how it reads: "expired 3 days ago (2024-...)".
    let after = (not_after, body.not_after.as_str(), fields.not_after);
    let before = (not_before, body.not_before.as_str(), fields.not_before);
    let (severity, code, what, (bound, text, span)) = if now > not_after {
        (Severity::Error, Code::Expired, "expired", after)
    } else if now < not_before {
        (
            Severity::Error,
            Code::NotYetValid,
            "not valid yet: becomes valid",
            before,
        )
    } else if now.days_until(not_after) < EXPIRES_SOON_DAYS {
        (Severity::Info, Code::ExpiresSoon, "expires", after)
    } else {
        return;
    };
    let when = relative_days(now.days_until(bound));
    out.push(Finding::new(severity, code, format!("{what} {when} ({text})")).at(span));
}

fn content_findings(
    cert: &X509Certificate<'_>,
    body: &objects::Certificate,
    has_ku: bool,
    has_san: bool,
    fields: &Fields,
    out: &mut Vec<Finding>,
) {
    let tbs = &cert.tbs_certificate;
    let serial = tbs.raw_serial();
    if serial.first().is_some_and(|b| b & 0x80 != 0) {
        out.push(
            Finding::warning(
                Code::NegativeSerial,
                format!(
                    "the serial number {} is negative; RFC 5280 requires a positive one",
                    body.serial
                ),
            )
            .at(fields.serial),
        );
    }
    if serial.len() > 20 {
        out.push(
            Finding::warning(
                Code::LongSerial,
                format!(
                    "the serial number is {} octets long; RFC 5280 allows at most 20",
                    serial.len()
                ),
            )
            .at(fields.serial),
        );
    }
    if body.public_key.algorithm.starts_with("RSA") {
        if let Some(bits) = body.public_key.bits.filter(|b| *b < 2048) {
            out.push(
                Finding::warning(
                    Code::WeakKey,
                    format!("the RSA key has {bits} bits; at least 2048 are needed today"),
                )
                .at(fields.spki),
            );
        }
    }
    // A trust anchor's self-signature is never checked, so its hash does not matter.
    let anchor = body.is_ca && tbs.subject.as_raw() == tbs.issuer.as_raw();
    if !anchor {
        match body.signature_algorithm_oid.as_str() {
            "1.2.840.113549.1.1.5"
            | "1.3.14.3.2.29"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3" => out.push(
                Finding::warning(
                    Code::Sha1Signature,
                    format!(
                        "the certificate is signed with SHA-1 ({}), which TLS clients reject",
                        body.signature_algorithm
                    ),
                )
                .at(fields.signature_algorithm),
            ),
            "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.2" => out.push(
                Finding::warning(
                    Code::WeakSignature,
                    format!(
                        "the certificate is signed with a broken hash ({})",
                        body.signature_algorithm
                    ),
                )
                .at(fields.signature_algorithm),
            ),
            _ => {}
        }
    }
    // Only certificates that may serve TLS need names; a client-only certificate is named
    // by its subject.
    let client_only = !body.extended_key_usage.is_empty()
        && !body
            .extended_key_usage
            .iter()
            .any(|e| e == "serverAuth" || e == "2.5.29.37.0");
    if !body.is_ca && !has_san && !client_only {
        out.push(
            Finding::warning(
                Code::NoSan,
                "the certificate has no subjectAltName; TLS clients ignore the CN and will not match any host name",
            )
            .at(fields.subject),
        );
    }
    if body.is_ca && has_ku && !body.key_usage.iter().any(|k| k == "keyCertSign") {
        out.push(
            Finding::warning(
                Code::KeyUsage,
                "the certificate is a CA but its keyUsage lacks keyCertSign, so it cannot sign certificates",
            )
            .at(fields.extensions),
        );
    }
    for ext in tbs.extensions() {
        extension_findings(ext, fields, out);
    }
}

fn extension_findings(ext: &X509Extension<'_>, fields: &Fields, out: &mut Vec<Finding>) {
    let oid = ext.oid.to_id_string();
    let known = extension::extension_name(&oid).is_some();
    if ext.critical && (!known || ext.parsed_extension().error().is_some()) {
        out.push(
            Finding::error(
                Code::UnknownCriticalExtension,
                format!("the critical extension {oid} is not understood, so verifiers must reject the certificate"),
            )
            .at(fields.extensions),
        );
    }
}

/// The RFC 5280 field tree; parts that do not walk are left out rather than failing.
fn tree(der: &[u8], cert: &X509Certificate<'_>, fields: &Fields) -> Vec<Node> {
    let Ok((whole, tbs, alg, sig)) = top(der) else {
        return Vec::new();
    };
    let mut root = Node::new("Certificate", "", whole.span());
    let mut tbs_node = Node::new("tbsCertificate", "", tbs.span());
    let t = &cert.tbs_certificate;
    let mut names = 0;
    for part in tbs.children().unwrap_or_default() {
        let node = match part.tag {
            0xa0 => Node::new(
                "version",
                format!("v{}", t.version.0.saturating_add(1)),
                part.span(),
            ),
            der::TAG_INTEGER => Node::new("serialNumber", serial_text(part.content), part.span()),
            der::TAG_SEQUENCE if is_validity(&part) => validity_node(&part),
            der::TAG_SEQUENCE if part.span() == fields.spki => public_key::spki_node(der, part.raw)
                .unwrap_or_else(|_| Node::new("subjectPublicKeyInfo", "", part.span())),
            der::TAG_SEQUENCE if is_alg(&part) => algorithm_node("signature", &part),
            der::TAG_SEQUENCE => {
                names += 1;
                name::node(if names == 1 { "issuer" } else { "subject" }, der, part.raw)
            }
            0x81 | 0xa1 => Node::new("issuerUniqueID", der::hex(part.content), part.span()),
            0x82 | 0xa2 => Node::new("subjectUniqueID", der::hex(part.content), part.span()),
            0xa3 => extensions_node(der, &part, t.extensions()),
            _ => Node::new(
                der::tag_name(part.tag),
                der::primitive_value(&part),
                part.span(),
            ),
        };
        tbs_node.push(node);
    }
    root.push(tbs_node);
    root.children.extend(signature_nodes(&alg, &sig));
    alloc::vec![root]
}

fn validity_node(t: &Tlv<'_>) -> Node {
    let mut node = Node::new("validity", "", t.span());
    for (part, name) in t
        .children()
        .unwrap_or_default()
        .iter()
        .zip(["notBefore", "notAfter"])
    {
        let text = time_text(part).unwrap_or_else(|| der::primitive_value(part));
        node.push(Node::new(name, text, part.span()));
    }
    node
}

/// A UTCTime or GeneralizedTime as RFC 3339.
pub(super) fn time_text(t: &Tlv<'_>) -> Option<String> {
    let s = core::str::from_utf8(t.content).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match t.tag {
        0x17 => {
            let yy: i64 = s.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let n = |r: core::ops::Range<usize>| rest.get(r).and_then(|x| x.parse::<u32>().ok());
    Some(
        Timestamp::from_parts(year, n(0..2)?, n(2..4)?, n(4..6)?, n(6..8)?, n(8..10)?).to_rfc3339(),
    )
}

pub(super) fn algorithm_node(field: &str, t: &Tlv<'_>) -> Node {
    let children = t.children().unwrap_or_default();
    let oid = children
        .first()
        .and_then(|o| der::oid_to_string(o.content))
        .unwrap_or_default();
    let label = signature_name(&oid).map_or_else(|| oid.clone(), |n| format!("{n} ({oid})"));
    let mut node = Node::new(field, label.clone(), t.span());
    if let Some(o) = children.first() {
        node.push(Node::new("algorithm", label, o.span()));
    }
    if let Some(p) = children.get(1) {
        let mut params = Node::new("parameters", public_key::param_text(p), p.span());
        if p.is_constructed() {
            let mut sub = der::tree(p.content);
            extension::shift(&mut sub, p.offset + p.header_len());
            params.children = sub;
        }
        node.push(params);
    }
    node
}

pub(super) fn extensions_node(der: &[u8], t: &Tlv<'_>, exts: &[X509Extension<'_>]) -> Node {
    let mut node = Node::new("extensions", format!("{} extensions", exts.len()), t.span());
    let list = t
        .children()
        .ok()
        .and_then(|c| c.first().and_then(|seq| seq.children().ok()))
        .unwrap_or_default();
    for (raw, ext) in list.iter().zip(exts) {
        node.push(extension::node(der, raw.raw, ext));
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_texts() {
        assert_eq!(serial_text(&[0x00]), "0");
        assert_eq!(serial_text(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_text(&[0x0a]), "a");
        assert_eq!(serial_text(&[0xff]), "-1");
        assert_eq!(serial_text(&[0x80, 0x00]), "-8000");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[0x30, 0x03, 0x02, 0x01, 0x01], None).is_err());
        assert!(decode(&[], None).is_err());
    }
}
