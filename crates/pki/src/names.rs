//! Subject alternative names as users write them: `DNS:x,IP:y,URI:z,email:e` (openssl's
//! `-addext subjectAltName=` syntax, which is also how `mtlskit inspect` prints them).

use std::net::IpAddr;

use rcgen::SanType;

use crate::error::Error;

/// A subject alternative name to put in a CSR or certificate: the inspect crate's type (the
/// one `mtlskit inspect` reports), of which [`parse_sans`] makes and this crate issues the
/// `Dns`, `Ip`, `Uri` (a SPIFFE ID, for example) and `Email` kinds.
pub use mtlskit_inspect::San;

/// rcgen's value of a SAN; [`Error::BadSan`] for a kind this crate does not issue, or text
/// that is not IA5 (ASCII).
pub(crate) fn to_rcgen(san: &San) -> Result<SanType, Error> {
    let ia5 =
        |s: &str| rcgen::string::Ia5String::try_from(s).map_err(|_| Error::BadSan(s.to_string()));
    Ok(match san {
        San::Dns(d) => SanType::DnsName(ia5(d)?),
        San::Ip(ip) => SanType::IpAddress(*ip),
        San::Uri(u) => SanType::URI(ia5(u)?),
        San::Email(e) => SanType::Rfc822Name(ia5(e)?),
        other => return Err(Error::BadSan(other.to_string())),
    })
}

/// Parses `DNS:x,IP:y,URI:z,email:e`; a bare name is a DNS name, a bare address an IP.
pub fn parse_sans(spec: &str) -> Result<Vec<San>, Error> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(entry: &str) -> Result<San, Error> {
    let bad = || Error::BadSan(entry.to_string());
    let (kind, value) = match entry.split_once(':') {
        Some((k, v))
            if ["dns", "ip", "uri", "email"].contains(&k.to_ascii_lowercase().as_str()) =>
        {
            (k.to_ascii_lowercase(), v.trim())
        }
        // No known prefix: an address (IPv6 has colons) or a DNS name.
        _ => match entry.parse::<IpAddr>() {
            Ok(ip) => return Ok(San::Ip(ip)),
            Err(_) => ("dns".to_string(), entry),
        },
    };
    if value.is_empty() {
        return Err(bad());
    }
    match kind.as_str() {
        "dns" if valid_dns(value) => Ok(San::Dns(value.to_ascii_lowercase())),
        "ip" => value.parse().map(San::Ip).map_err(|_| bad()),
        "uri" if value.contains(':') && value.is_ascii() => Ok(San::Uri(value.to_string())),
        "email" if value.contains('@') && value.is_ascii() => Ok(San::Email(value.to_string())),
        _ => Err(bad()),
    }
}

fn valid_dns(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openssl_style_lists() {
        let sans = parse_sans(
            "DNS:localhost, IP:127.0.0.1,IP:::1,URI:spiffe://x/y,email:a@b.c,example.com",
        );
        assert_eq!(
            sans.ok(),
            Some(vec![
                San::Dns("localhost".into()),
                San::Ip("127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                San::Ip("::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                San::Uri("spiffe://x/y".into()),
                San::Email("a@b.c".into()),
                San::Dns("example.com".into()),
            ])
        );
    }

    #[test]
    fn rejects_bad_entries() {
        for bad in [
            "DNS:",
            "IP:300.1.1.1",
            "DNS:bad name",
            "email:nobody",
            "URI:noscheme",
            "DNS:-x.com",
        ] {
            assert!(parse_sans(bad).is_err(), "{bad}");
        }
    }
}
