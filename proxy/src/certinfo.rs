//! The few facts about a peer certificate the proxy needs on its hot path and in its logs:
//! subject and issuer (what nginx's `$ssl_client_s_dn` gives), serial, validity, extended key
//! usage, CA flag, SHA-256 and SANs. Decoded once per connection, never per request.
//!
//! Every value is the inspect crate's ([`x509::certificate_facts`], [`x509::crl_facts`]), so
//! the proxy's headers and logs read exactly like `mtlskit inspect` and openssl. The full
//! [`x509::decode_certificate`] is not called here: it also builds the field tree, findings,
//! SHA-1 and extension texts, which a handshake would pay for and throw away.

use mtlskit_inspect::x509::{self, Verification};
use mtlskit_inspect::{der, Name, San};

/// The OID of anyExtendedKeyUsage, as the inspect crate names it (it has no short name).
pub const ANY_EKU: &str = "2.5.29.37.0";

/// What the proxy reads from one certificate.
#[derive(Clone, Debug)]
pub struct CertInfo {
    /// The subject: RFC 4514 text as `openssl -nameopt RFC2253,-esc_msb` prints it, and its
    /// attributes.
    pub subject: Name,
    pub issuer: Name,
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
    /// Subject alternative names, in order.
    pub san: Vec<San>,
}

impl CertInfo {
    /// The dNSName SANs.
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.san.iter().filter_map(|s| match s {
            San::Dns(d) => Some(d.as_str()),
            _ => None,
        })
    }

    /// The uniformResourceIdentifier SANs.
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.san.iter().filter_map(|s| match s {
            San::Uri(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// The rfc822Name SANs.
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.san.iter().filter_map(|s| match s {
            San::Email(e) => Some(e.as_str()),
            _ => None,
        })
    }

    /// The iPAddress SANs.
    pub fn ips(&self) -> impl Iterator<Item = std::net::IpAddr> + '_ {
        self.san.iter().filter_map(|s| match s {
            San::Ip(a) => Some(*a),
            _ => None,
        })
    }

    /// The SPIFFE ID (an X509-SVID has exactly one URI SAN, `spiffe://trust-domain/path`):
    /// `None` when there is none, or more than one URI SAN.
    pub fn spiffe_id(&self) -> Option<&str> {
        let mut uris = self.uris();
        match (uris.next(), uris.next()) {
            (Some(one), None) if one.starts_with("spiffe://") => Some(one),
            _ => None,
        }
    }
}

/// Decodes the facts above; `None` when the bytes are not a certificate.
pub fn read(der: &[u8]) -> Option<CertInfo> {
    let f = x509::certificate_facts(der).ok()?;
    Some(CertInfo {
        sha256: der::hex(&f.sha256),
        sha256_bytes: f.sha256,
        spki_sha256: f.spki_sha256,
        not_before: f.not_before.0,
        not_after: f.not_after.0,
        subject: f.subject,
        issuer: f.issuer,
        serial: f.serial,
        extended_key_usage: f.extended_key_usage,
        is_ca: f.is_ca,
        san: f.san,
    })
}

/// What the proxy reads from a CRL (the operator's own file, at start and reload): for
/// `check`, the reload log and the resumption cut-off.
#[derive(Clone, Debug)]
pub struct CrlInfo {
    /// The issuer.
    pub issuer: Name,
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
    let f = x509::crl_facts(der).ok()?;
    Some(CrlInfo {
        issuer: f.issuer,
        issuer_der: f.issuer_der,
        this_update: f.this_update.0,
        next_update: f.next_update.map(|t| t.0),
        entries: f.entries,
        v2: f.v2,
    })
}

/// Whether the CRL `crl` verifies under the public key of the certificate `ca` (the inspect
/// crate's signature check, the one `mtlskit diagnose --crl` makes); `None` for an algorithm
/// it cannot check (left to webpki at the handshake).
pub fn crl_signed_by(crl: &[u8], ca: &[u8]) -> Option<bool> {
    match x509::verify_crl(crl, ca) {
        Ok(Verification::Valid) => Some(true),
        // A CRL or CA certificate that cannot be read: not signed by it.
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
