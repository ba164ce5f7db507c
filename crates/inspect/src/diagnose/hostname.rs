//! Does a server certificate cover the name the client asked for? SAN only, as browsers,
//! curl and rustls check it: the subject CN is ignored; a wildcard covers exactly one
//! leftmost label; an IP address matches only an IP SAN.

use alloc::string::{String, ToString};
use core::net::IpAddr;

use x509_parser::extensions::GeneralName;

use crate::name::San;

/// Whether any of `sans` covers `host` (a DNS name or an IP address).
pub(crate) fn covers(sans: &[&GeneralName<'_>], host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if let Some(ip) = parse_ip(host) {
        return sans
            .iter()
            .any(|gn| matches!(gn, GeneralName::IPAddress(b) if ip_bytes_eq(b, &ip)));
    }
    let host = host.to_ascii_lowercase();
    sans.iter().any(|gn| match gn {
        GeneralName::DNSName(pattern) => dns_matches(&pattern.to_ascii_lowercase(), &host),
        _ => false,
    })
}

/// Whether the certificate (DER) covers `host` by its SAN; `false` for unreadable DER.
pub fn certificate_covers(der: &[u8], host: &str) -> bool {
    use x509_parser::prelude::FromDer;
    let Ok((_, cert)) = x509_parser::certificate::X509Certificate::from_der(der) else {
        return false;
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return false;
    };
    let names: alloc::vec::Vec<&GeneralName<'_>> = san.value.general_names.iter().collect();
    covers(&names, host)
}

fn parse_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn ip_bytes_eq(bytes: &[u8], ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => bytes == v4.octets(),
        IpAddr::V6(v6) => bytes == v6.octets(),
    }
}

/// RFC 6125: `*` only as the whole leftmost label, never matching a dot or an empty label.
pub fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(rest) => match host.split_once('.') {
            Some((label, host_rest)) => {
                !label.is_empty() && host_rest == rest && rest.contains('.')
            }
            None => false,
        },
        None => pattern == host,
    }
}

/// The SANs as `DNS:x` / `IP:y` text, for a message saying what the certificate does cover.
pub(crate) fn describe(sans: &[&GeneralName<'_>]) -> String {
    let parts: alloc::vec::Vec<String> = sans
        .iter()
        .map(|gn| crate::x509::extension::general_name(gn))
        .filter(|san| matches!(san, San::Dns(_) | San::Ip(_)))
        .map(|san| san.to_string())
        .collect();
    if parts.is_empty() {
        String::from("no DNS or IP names")
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::dns_matches;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_matches("*.example.com", "a.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(dns_matches("localhost", "localhost"));
        assert!(!dns_matches("localhost", "localhost2"));
    }
}
