//! The client's identity as forwarded upstream (docs/config.md, "What the upstream receives"),
//! in the styles a location asks for (`identity_headers`):
//! - `nginx`: `X-SSL-Client-Verify`, `-S-DN`, `-I-DN`, `-Serial`, `-Fingerprint`, `-Cert`,
//!   `-Not-Before`, `-Not-After` (OpenSSL's date form, as nginx's `$ssl_client_v_start`) and
//!   `-V-Remain` (whole days left, as `$ssl_client_v_remain`);
//! - `xfcc`: Envoy's `X-Forwarded-Client-Cert`,
//!   `Hash=<sha256>;Cert="<URL-escaped PEM>";Subject="<DN>"` then `URI=` and `DNS=` for each
//!   such SAN; `xfcc_chain` adds `Chain="<URL-escaped PEM of every certificate sent>"`;
//! - `rfc9440`: `Client-Cert: :<base64 DER>:` and, when the client sent intermediates,
//!   `Client-Cert-Chain` with each of them as its own byte sequence (RFC 9440 section 2).
//!
//! Built after the handshake for the styles any location of its generation uses, once per
//! client chain (connections of the same chain share it for a minute: [`IdentityCache`]);
//! each request then only removes whatever the client sent under these names and inserts the
//! prepared values of its location's styles (cheap `HeaderValue` clones).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use rustls_pki_types::CertificateDer;

use mtlskit_inspect::San;

use crate::certinfo::{self, CertInfo};
use crate::config::IdentityHeaders;

pub const VERIFY: HeaderName = HeaderName::from_static("x-ssl-client-verify");
pub const S_DN: HeaderName = HeaderName::from_static("x-ssl-client-s-dn");
pub const I_DN: HeaderName = HeaderName::from_static("x-ssl-client-i-dn");
pub const SERIAL: HeaderName = HeaderName::from_static("x-ssl-client-serial");
pub const FINGERPRINT: HeaderName = HeaderName::from_static("x-ssl-client-fingerprint");
pub const CERT: HeaderName = HeaderName::from_static("x-ssl-client-cert");
pub const NOT_BEFORE: HeaderName = HeaderName::from_static("x-ssl-client-not-before");
pub const NOT_AFTER: HeaderName = HeaderName::from_static("x-ssl-client-not-after");
pub const V_REMAIN: HeaderName = HeaderName::from_static("x-ssl-client-v-remain");
pub const XFCC: HeaderName = HeaderName::from_static("x-forwarded-client-cert");
pub const CLIENT_CERT: HeaderName = HeaderName::from_static("client-cert");
pub const CLIENT_CERT_CHAIN: HeaderName = HeaderName::from_static("client-cert-chain");

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
    /// The headers of each style asked for.
    sets: Vec<(IdentityHeaders, Vec<(HeaderName, HeaderValue)>)>,
}

/// The identities of recent client chains, shared by their connections: a client that
/// reconnects or resumes gets the one made for its chain instead of a new parse of it. An entry
/// serves for [`IDENTITY_FRESH`] (`X-SSL-Client-V-Remain` counts days); at most
/// [`IDENTITIES_KEPT`] are kept, so clients with many certificates cost a bounded amount.
#[derive(Debug, Default)]
pub struct IdentityCache(Mutex<HashMap<Chain, (Arc<Identity>, Instant)>>);

/// A client's certificates as it sent them, leaf first.
type Chain = Vec<CertificateDer<'static>>;

/// How long a cached identity serves new connections.
pub const IDENTITY_FRESH: Duration = Duration::from_secs(60);
/// How many client chains [`IdentityCache`] keeps.
pub const IDENTITIES_KEPT: usize = 1024;

impl IdentityCache {
    /// The identity for `chain` with the headers of `styles` (the same for every call on one
    /// cache: it belongs to one generation's site).
    pub fn get(
        &self,
        chain: Option<&[CertificateDer<'static>]>,
        styles: &[IdentityHeaders],
    ) -> Arc<Identity> {
        let Some(chain) = chain else {
            return Arc::new(Identity::new(None, styles));
        };
        if let Ok(map) = self.0.lock() {
            if let Some((id, at)) = map.get(chain) {
                if at.elapsed() < IDENTITY_FRESH {
                    return id.clone();
                }
            }
        }
        // Made outside the lock: parsing a certificate takes microseconds.
        let id = Arc::new(Identity::new(Some(chain), styles));
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= IDENTITIES_KEPT {
                map.retain(|_, (_, at)| at.elapsed() < IDENTITY_FRESH);
                if map.len() >= IDENTITIES_KEPT {
                    map.clear();
                }
            }
            map.insert(chain.to_vec(), (id.clone(), Instant::now()));
        }
        id
    }
}

/// A header value from text that may hold bytes a header cannot (a DN): percent-escaped then.
fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| {
        HeaderValue::from_str(&escape(text.as_bytes())).unwrap_or(HeaderValue::from_static(""))
    })
}

/// An RFC 8941 byte sequence: `:base64:`.
fn byte_sequence(der: &[u8]) -> String {
    format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

impl Identity {
    /// The identity of a connection whose client presented `chain` (already verified) or none,
    /// with the headers of `styles`.
    pub fn new(chain: Option<&[CertificateDer<'static>]>, styles: &[IdentityHeaders]) -> Identity {
        let leaf = chain.and_then(|c| c.first());
        let info = leaf.and_then(|c| certinfo::read(c.as_ref()));
        let verify = if info.is_some() { "SUCCESS" } else { "NONE" };
        let mut sets = Vec::new();
        for style in styles {
            if sets.iter().any(|(s, _)| s == style) {
                continue;
            }
            let mut headers = Vec::new();
            match (style, &info, leaf) {
                (IdentityHeaders::Nginx, _, _) => {
                    headers.push((VERIFY, HeaderValue::from_static(verify)));
                    if let (Some(info), Some(leaf)) = (&info, leaf) {
                        let now = mtlskit_inspect::Timestamp::now();
                        let remain = now.days_until(mtlskit_inspect::Timestamp(info.not_after));
                        for (name, text) in [
                            (S_DN, info.subject.to_string()),
                            (I_DN, info.issuer.to_string()),
                            (SERIAL, info.serial.clone()),
                            (FINGERPRINT, info.sha256.clone()),
                            (CERT, pem_escaped(leaf.as_ref())),
                            (
                                NOT_BEFORE,
                                mtlskit_inspect::Timestamp(info.not_before).to_openssl(),
                            ),
                            (
                                NOT_AFTER,
                                mtlskit_inspect::Timestamp(info.not_after).to_openssl(),
                            ),
                            (V_REMAIN, remain.max(0).to_string()),
                        ] {
                            headers.push((name, value(&text)));
                        }
                    }
                }
                (IdentityHeaders::Xfcc | IdentityHeaders::XfccChain, Some(info), Some(leaf)) => {
                    let mut text = envoy_xfcc(info, &pem_escaped(leaf.as_ref()));
                    if *style == IdentityHeaders::XfccChain {
                        let pems: String = chain
                            .unwrap_or_default()
                            .iter()
                            .map(|c| mtlskit_inspect::pem::encode("CERTIFICATE", c.as_ref()))
                            .collect();
                        text.push_str(&format!(";Chain=\"{}\"", escape(pems.as_bytes())));
                    }
                    if let Ok(v) = HeaderValue::from_str(&text) {
                        headers.push((XFCC, v));
                    }
                }
                (IdentityHeaders::Rfc9440, Some(_), Some(leaf)) => {
                    if let Ok(v) = HeaderValue::from_str(&byte_sequence(leaf.as_ref())) {
                        headers.push((CLIENT_CERT, v));
                    }
                    let rest: Vec<String> = chain
                        .unwrap_or_default()
                        .iter()
                        .skip(1)
                        .map(|c| byte_sequence(c.as_ref()))
                        .collect();
                    if !rest.is_empty() {
                        if let Ok(v) = HeaderValue::from_str(&rest.join(", ")) {
                            headers.push((CLIENT_CERT_CHAIN, v));
                        }
                    }
                }
                _ => {}
            }
            // Never indexed by HPACK (an h2 upstream): RFC 7541 7.1.3 keeps authentication
            // data out of the compression context, and each client's values differ, so on a
            // pooled connection shared by many clients the h2 crate's encoder would keep and
            // compare every client's values on each request (see the handler's responses).
            for (_, value) in &mut headers {
                value.set_sensitive(true);
            }
            sets.push((*style, headers));
        }
        Identity { verify, info, sets }
    }

    /// Removes the client's identity headers (see [`owned`]), and every header whose name
    /// has an underscore unless `underscores` (nginx's `underscores_in_headers`), then sets
    /// the verified ones of `styles`.
    pub fn apply(&self, headers: &mut HeaderMap, underscores: bool, styles: &[IdentityHeaders]) {
        let dropped: Vec<HeaderName> = headers
            .keys()
            .filter(|n| owned(n.as_str()) || (!underscores && n.as_str().contains('_')))
            .cloned()
            .collect();
        for name in dropped {
            headers.remove(name);
        }
        for (_, set) in self.sets.iter().filter(|(s, _)| styles.contains(s)) {
            for (name, value) in set {
                headers.insert(name.clone(), value.clone());
            }
        }
    }

    pub fn subject(&self) -> Option<&str> {
        self.info.as_ref().map(|i| i.subject.as_str())
    }
}

/// Envoy's `X-Forwarded-Client-Cert` element for the client certificate; `pem` is already
/// URL-escaped. Non-ASCII in the subject is percent-escaped, as in the other headers.
pub fn envoy_xfcc(info: &CertInfo, pem: &str) -> String {
    let mut subject = String::with_capacity(info.subject.as_str().len() + 2);
    for c in info.subject.as_str().chars() {
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
        let (key, v) = match san {
            San::Uri(u) => ("URI", u),
            San::Dns(d) => ("DNS", d),
            _ => continue,
        };
        out.push(';');
        out.push_str(key);
        out.push('=');
        out.push_str(&escape_xfcc_value(v));
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

    /// Connections of one chain share its identity; another chain gets its own; the cache
    /// never holds more than its bound, whatever number of chains come.
    #[test]
    fn identity_cache_shares_per_chain_and_stays_bounded() {
        let cache = IdentityCache::default();
        let styles = [IdentityHeaders::Nginx];
        let chain = |n: u32| vec![CertificateDer::from(n.to_be_bytes().to_vec())];
        let (a, b) = (chain(1), chain(2));
        let first = cache.get(Some(&a), &styles);
        assert!(Arc::ptr_eq(&first, &cache.get(Some(&a), &styles)));
        assert!(!Arc::ptr_eq(&first, &cache.get(Some(&b), &styles)));
        for n in 0..3 * IDENTITIES_KEPT as u32 {
            cache.get(Some(&chain(n)), &styles);
        }
        let kept = cache.0.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(kept <= IDENTITIES_KEPT, "{kept}");
    }

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
        let all = [
            IdentityHeaders::Nginx,
            IdentityHeaders::Xfcc,
            IdentityHeaders::Rfc9440,
        ];
        let id = Identity::new(None, &all);
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
        id.apply(&mut h, false, &all);
        assert_eq!(h.get(VERIFY).map(|v| v.as_bytes()), Some(&b"NONE"[..]));
        assert_eq!(h.len(), 1, "{h:?}");
        id.apply(&mut kept, true, &all);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.get("my_header").is_some());
    }
}
