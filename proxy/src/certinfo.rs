//! The few facts about a peer certificate the proxy needs on its hot path and in its logs:
//! subject and issuer (what nginx's `$ssl_client_s_dn` gives), serial, validity, extended key
//! usage, CA flag, SHA-256 and SANs. Decoded once per connection, never per request.
//!
//! Every text is the inspect crate's, so the proxy's headers and logs read exactly like
//! `mtlskit inspect` and openssl: DNs from [`name::rfc4514`], the serial from
//! [`certificate::serial_text`], key purposes from [`extension::eku_names`], hex from
//! [`der::hex`]. The full [`mtlskit_inspect::x509::decode_certificate`] is not called here: it
//! also builds the field tree, findings, SHA-1 and extension texts, which a handshake would
//! pay for and throw away.

use mtlskit_inspect::der;
use mtlskit_inspect::x509::{certificate, extension, name};
use sha2::{Digest, Sha256};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The OID of anyExtendedKeyUsage, as the inspect crate names it (it has no short name).
pub const ANY_EKU: &str = "2.5.29.37.0";

/// What the proxy reads from one certificate.
#[derive(Clone, Debug)]
pub struct CertInfo {
    /// RFC 4514, as `openssl -nameopt RFC2253,-esc_msb` prints it.
    pub subject: String,
    pub issuer: String,
    /// Lowercase hex, no leading zeros ("0" for 0), as the JSON report has it (docs/report-format.md).
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    /// serverAuth, clientAuth, ... (else the dotted OID); empty when the extension is absent.
    pub extended_key_usage: Vec<String>,
    pub is_ca: bool,
    pub sha256: String,
    /// The same digest, as bytes (for `sha256:` pins).
    pub sha256_bytes: [u8; 32],
    /// SHA-256 of the SubjectPublicKeyInfo (for `spki:` pins).
    pub spki_sha256: [u8; 32],
    /// Subject alternative names as the report has them (`DNS:x`, `URI:x`, `IP:x`, ...).
    pub san: Vec<String>,
    /// Subject commonName values.
    pub cn: Vec<String>,
    /// Subject organizationName values.
    pub o: Vec<String>,
    /// Subject organizationalUnitName values.
    pub ou: Vec<String>,
    /// dNSName SANs.
    pub dns: Vec<String>,
    /// uniformResourceIdentifier SANs.
    pub uri: Vec<String>,
    /// iPAddress SANs, as text.
    pub ip: Vec<String>,
    /// rfc822Name SANs.
    pub email: Vec<String>,
}

impl CertInfo {
    /// The SPIFFE ID (an X509-SVID has exactly one URI SAN, `spiffe://trust-domain/path`):
    /// `None` when there is none, or more than one URI SAN.
    pub fn spiffe_id(&self) -> Option<&str> {
        match self.uri.as_slice() {
            [one] if one.starts_with("spiffe://") => Some(one.as_str()),
            _ => None,
        }
    }
}

/// Decodes the facts above; `None` when the bytes are not a certificate.
pub fn read(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let mut extended_key_usage = Vec::new();
    let mut is_ca = false;
    let mut san = Vec::new();
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(names) => {
                san = names
                    .general_names
                    .iter()
                    .map(extension::general_name)
                    .collect();
            }
            ParsedExtension::ExtendedKeyUsage(_) => {
                extended_key_usage = extension::eku_names(ext);
            }
            ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
            _ => {}
        }
    }
    let mut by_kind: [Vec<String>; 4] = Default::default();
    for s in &san {
        let (kind, value) = s.split_once(':').unwrap_or(("", ""));
        let slot = match kind {
            "DNS" => 0,
            "URI" => 1,
            "IP" => 2,
            "email" => 3,
            _ => continue,
        };
        by_kind[slot].push(value.to_string());
    }
    let [dns, uri, ip, email] = by_kind;
    let subject = tbs.subject();
    let texts = |oid: &x509_parser::der_parser::Oid<'_>| -> Vec<String> {
        subject
            .iter_by_oid(oid)
            .filter_map(|a| a.as_str().ok().map(str::to_string))
            .collect()
    };
    use x509_parser::oid_registry::{
        OID_X509_COMMON_NAME, OID_X509_ORGANIZATIONAL_UNIT, OID_X509_ORGANIZATION_NAME,
    };
    let digest: [u8; 32] = Sha256::digest(cert.as_raw()).into();
    Some(CertInfo {
        cn: texts(&OID_X509_COMMON_NAME),
        o: texts(&OID_X509_ORGANIZATION_NAME),
        ou: texts(&OID_X509_ORGANIZATIONAL_UNIT),
        dns,
        uri,
        ip,
        email,
        sha256_bytes: digest,
        spki_sha256: Sha256::digest(tbs.subject_pki.raw).into(),
        subject: name::rfc4514(tbs.subject()),
        issuer: name::rfc4514(tbs.issuer()),
        serial: certificate::serial_text(tbs.raw_serial()),
        not_before: tbs.validity().not_before.timestamp(),
        not_after: tbs.validity().not_after.timestamp(),
        extended_key_usage,
        is_ca,
        sha256: der::hex(&digest),
        san,
    })
}

/// What the proxy reads from a CRL (the operator's own file, at start and reload): for
/// `check`, the reload log and the resumption cut-off.
#[derive(Clone, Debug)]
pub struct CrlInfo {
    /// The issuer, RFC 4514.
    pub issuer: String,
    /// The issuer, DER, to find its CA.
    pub issuer_der: Vec<u8>,
    pub this_update: i64,
    /// `None`: the CRL has none (RFC 5280 requires one; webpki then treats it as current).
    pub next_update: Option<i64>,
    /// Revoked certificates listed.
    pub entries: usize,
    /// A version 2 CRL (RFC 5280 5.1.2.1: required with extensions; webpki reads no other).
    pub v2: bool,
}

/// Decodes the facts above; `None` when the bytes are not a CRL.
pub fn read_crl(der: &[u8]) -> Option<CrlInfo> {
    use x509_parser::revocation_list::CertificateRevocationList;
    let (_, crl) = CertificateRevocationList::from_der(der).ok()?;
    Some(CrlInfo {
        issuer: name::rfc4514(crl.issuer()),
        issuer_der: crl.issuer().as_raw().to_vec(),
        this_update: crl.last_update().timestamp(),
        next_update: crl.next_update().map(|t| t.timestamp()),
        entries: crl.iter_revoked_certificates().count(),
        v2: crl.version().is_some_and(|v| v.0 == 1),
    })
}

/// Whether the CRL `crl` verifies under the public key of the certificate `ca` (the inspect
/// crate's signature check, the one `mtlskit diagnose --crl` makes); `None` for an algorithm
/// it cannot check (left to webpki at the handshake).
pub fn crl_signed_by(crl: &[u8], ca: &[u8]) -> Option<bool> {
    use mtlskit_inspect::x509::signature::Verification;
    let (_, ca) = X509Certificate::from_der(ca).ok()?;
    match mtlskit_inspect::x509::crl::verify(crl, ca.tbs_certificate.subject_pki.raw) {
        Ok(Verification::Valid) => Some(true),
        Ok(Verification::Invalid) | Err(_) => Some(false),
        Ok(Verification::Unsupported(_)) => None,
    }
}

/// A CRL's nextUpdate, Unix seconds.
pub fn crl_next_update(der: &[u8]) -> Option<i64> {
    read_crl(der)?.next_update
}

/// "3 days", "5 hours", "1 minute", "12 seconds".
pub fn human(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (n, unit) = if s >= 2 * 86_400 {
        (s / 86_400, "day")
    } else if s >= 2 * 3600 {
        (s / 3600, "hour")
    } else if s >= 120 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// The most characters of a client-chosen text (a DN, an SNI) that a log line carries.
pub const CLIP: usize = 256;

/// `text` cut to [`CLIP`] characters, with `...(N more)` when it was longer: a client cannot
/// make a log line as long as it likes.
pub fn clip(text: &str) -> String {
    clip_to(text, CLIP)
}

/// `text` cut to `max` characters, as [`clip`].
pub fn clip_to(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...({} more)", &text[..at], text[at..].chars().count()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_certificate() {
        assert!(read(b"\x30\x03\x02\x01\x05").is_none());
        assert!(read(b"").is_none());
    }

    #[test]
    fn attacker_chosen_text_is_clipped() {
        assert_eq!(clip("CN=x"), "CN=x");
        let long = "é".repeat(300);
        let cut = clip(&long);
        assert!(
            cut.starts_with(&"é".repeat(256)) && cut.ends_with("...(44 more)"),
            "{cut}"
        );
    }
}
