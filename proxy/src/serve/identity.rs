//! The client's identity as forwarded upstream (docs/architecture.md, "Identity forwarded upstream").
//!
//! Envoy's `X-Forwarded-Client-Cert` is added when `forward_client_cert` is on:
//! `Hash=<sha256>;Cert="<URL-escaped PEM>";Subject="<DN>"` then `URI=` and `DNS=` for each
//! such SAN, as Envoy writes it for a client certificate.
//!
//! Built once per connection after the handshake; each request then only removes whatever the
//! client sent under these names and inserts the prepared values (cheap `HeaderValue` clones).

use http::header::{HeaderMap, HeaderName, HeaderValue};
use rustls_pki_types::CertificateDer;

use crate::certinfo::{self, CertInfo};

pub const VERIFY: HeaderName = HeaderName::from_static("x-ssl-client-verify");
pub const S_DN: HeaderName = HeaderName::from_static("x-ssl-client-s-dn");
pub const I_DN: HeaderName = HeaderName::from_static("x-ssl-client-i-dn");
pub const SERIAL: HeaderName = HeaderName::from_static("x-ssl-client-serial");
pub const FINGERPRINT: HeaderName = HeaderName::from_static("x-ssl-client-fingerprint");
pub const CERT: HeaderName = HeaderName::from_static("x-ssl-client-cert");
pub const XFCC: HeaderName = HeaderName::from_static("x-forwarded-client-cert");

/// Whether a client's header is one the proxy owns, or one an upstream could read as an
/// identity: every `X-SSL-Client-*` (not only the names the proxy sets, so
/// `X-SSL-Client-DN` does not pass either), `X-Forwarded-Client-Cert`, and RFC 9440's
/// `Client-Cert` and `Client-Cert-Chain`; `_` counts as `-`, since many servers (CGI,
/// WSGI, PHP) read both as the same name. Names come lowercase from the http crate.
pub fn owned(name: &str) -> bool {
    // Byte by byte with `_` read as `-`: this runs for every header of every request, so it
    // allocates nothing.
    fn same(name: &[u8], word: &[u8]) -> bool {
        name.len() == word.len()
            && name
                .iter()
                .zip(word)
                .all(|(&n, &w)| if n == b'_' { w == b'-' } else { n == w })
    }
    let n = name.as_bytes();
    const PREFIX: &[u8] = b"x-ssl-client-";
    (n.len() >= PREFIX.len() && same(&n[..PREFIX.len()], PREFIX))
        || [
            b"x-forwarded-client-cert".as_slice(),
            b"client-cert",
            b"client-cert-chain",
        ]
        .iter()
        .any(|w| same(n, w))
}

/// The verified client, ready to forward.
#[derive(Debug, Clone)]
pub struct Identity {
    /// SUCCESS or NONE (a failed verification never gets this far).
    pub verify: &'static str,
    pub info: Option<CertInfo>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Identity {
    /// The identity of a connection whose client presented `chain` (already verified) or none.
    pub fn new(chain: Option<&[CertificateDer<'static>]>, xfcc: bool) -> Identity {
        let leaf = chain.and_then(|c| c.first());
        let info = leaf.and_then(|c| certinfo::read(c.as_ref()));
        let verify = if info.is_some() { "SUCCESS" } else { "NONE" };
        let mut headers = vec![(VERIFY, HeaderValue::from_static(verify))];
        if let (Some(info), Some(leaf)) = (&info, leaf) {
            let pem = pem_escaped(leaf.as_ref());
            for (name, value) in [
                (S_DN, info.subject.as_str()),
                (I_DN, info.issuer.as_str()),
                (SERIAL, info.serial.as_str()),
                (FINGERPRINT, info.sha256.as_str()),
                (CERT, pem.as_str()),
            ] {
                // DNs may hold bytes a header cannot; such a value is percent-escaped.
                let v = HeaderValue::from_str(value).unwrap_or_else(|_| {
                    HeaderValue::from_str(&escape(value.as_bytes()))
                        .unwrap_or(HeaderValue::from_static(""))
                });
                headers.push((name, v));
            }
            if xfcc {
                if let Ok(v) = HeaderValue::from_str(&envoy_xfcc(info, &pem)) {
                    headers.push((XFCC, v));
                }
            }
        }
        Identity {
            verify,
            info,
            headers,
        }
    }

    /// Removes the client's identity headers (see [`owned`]), and every header whose name
    /// has an underscore unless `underscores` (nginx's `underscores_in_headers`), then sets
    /// the verified ones.
    pub fn apply(&self, headers: &mut HeaderMap, underscores: bool) {
        let dropped: Vec<HeaderName> = headers
            .keys()
            .filter(|n| owned(n.as_str()) || (!underscores && n.as_str().contains('_')))
            .cloned()
            .collect();
        for name in dropped {
            headers.remove(name);
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }

    pub fn subject(&self) -> Option<&str> {
        self.info.as_ref().map(|i| i.subject.as_str())
    }
}

/// Envoy's `X-Forwarded-Client-Cert` element for the client certificate; `pem` is already
/// URL-escaped. Non-ASCII in the subject is percent-escaped, as in the other headers.
pub fn envoy_xfcc(info: &CertInfo, pem: &str) -> String {
    let mut subject = String::with_capacity(info.subject.len() + 2);
    for c in info.subject.chars() {
        match c {
            '"' | '\\' => {
                subject.push('\\');
                subject.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => subject.push(c),
            c => subject.push_str(&escape(c.to_string().as_bytes())),
        }
    }
    let mut out = format!("Hash={};Cert=\"{pem}\";Subject=\"{subject}\"", info.sha256);
    for san in &info.san {
        for (prefix, key) in [("URI:", "URI"), ("DNS:", "DNS")] {
            if let Some(v) = san.strip_prefix(prefix) {
                out.push(';');
                out.push_str(key);
                out.push('=');
                out.push_str(&escape_xfcc_value(v));
            }
        }
    }
    out
}

/// A bare XFCC value may not hold `,` `;` `=` `"` or non-ASCII: those are percent-escaped.
fn escape_xfcc_value(v: &str) -> String {
    if v.bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b',' | b';' | b'=' | b'"'))
    {
        v.to_string()
    } else {
        escape(v.as_bytes())
    }
}

/// The certificate as PEM, URL-escaped as nginx's `$ssl_client_escaped_cert`.
pub fn pem_escaped(der: &[u8]) -> String {
    escape(mtlskit_inspect::pem::encode("CERTIFICATE", der).as_bytes())
}

/// Percent-escapes all but unreserved characters (RFC 3986), as nginx's component escaping.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_pem() {
        assert_eq!(escape(b"a b\n+/="), "a%20b%0A%2B%2F%3D");
        assert_eq!(
            pem_escaped(b"abc"),
            "-----BEGIN%20CERTIFICATE-----%0AYWJj%0A-----END%20CERTIFICATE-----%0A"
        );
    }

    #[test]
    fn owned_names_whatever_the_separator() {
        for name in [
            "x-ssl-client-s-dn",
            "x_ssl_client_s_dn",
            "x-ssl_client-anything",
            "x-forwarded-client-cert",
            "x_forwarded_client_cert",
            "client-cert",
            "client_cert_chain",
        ] {
            assert!(owned(name), "{name}");
        }
        for name in [
            "x-ssl-clientele",
            "client-certs",
            "x-forwarded-for",
            "accept",
            "x-ssl",
        ] {
            assert!(!owned(name), "{name}");
        }
    }

    #[test]
    fn spoofed_headers_are_replaced() {
        let id = Identity::new(None, true);
        let mut h = HeaderMap::new();
        h.insert(VERIFY, HeaderValue::from_static("SUCCESS"));
        h.insert(S_DN, HeaderValue::from_static("CN=admin"));
        for name in [
            "x_ssl_client_s_dn",
            "x-ssl-client-dn",
            "client-cert",
            "my_header",
        ] {
            h.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static("CN=admin"),
            );
        }
        let mut kept = h.clone();
        id.apply(&mut h, false);
        assert_eq!(h.get(VERIFY).map(|v| v.as_bytes()), Some(&b"NONE"[..]));
        assert_eq!(h.len(), 1, "{h:?}");
        id.apply(&mut kept, true);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.get("my_header").is_some());
    }
}
