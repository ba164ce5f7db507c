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
    /// Subject alternative names as the report has them (`DNS:x`, `URI:x`, `IP:x`, ...).
    pub san: Vec<String>,
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
    Some(CertInfo {
        subject: name::rfc4514(tbs.subject()),
        issuer: name::rfc4514(tbs.issuer()),
        serial: certificate::serial_text(tbs.raw_serial()),
        not_before: tbs.validity().not_before.timestamp(),
        not_after: tbs.validity().not_after.timestamp(),
        extended_key_usage,
        is_ca,
        sha256: der::hex(&Sha256::digest(cert.as_raw())),
        san,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_certificate() {
        assert!(read(b"\x30\x03\x02\x01\x05").is_none());
        assert!(read(b"").is_none());
    }
}
