//! The certificate profile: the MUSTs of RFC 5280 (and, for TLS server certificates, of the
//! CA/Browser Forum Baseline Requirements) that strict verifiers enforce on every certificate
//! of a chain: criticality of extensions, key identifiers, serial numbers, name syntax, key
//! sizes and algorithms. Found by the x509-limbo suite (docs/diagnosis.md, "Conformance").
//!
//! rustls-webpki, which `mtlskit serve` verifies with, checks only some of these; a finding
//! for a rule it does not check says so ([`LENIENT`]), so a user is not told that a
//! certificate the proxy accepts is refused by it.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use x509_parser::extensions::{GeneralName, ParsedExtension};

use super::cert::Cert;
use super::{Profile, Request, Role};
use crate::finding::{Code, Finding};

/// Appended to findings of rules rustls-webpki does not check.
pub const LENIENT: &str = " (rustls-webpki, so mtlskit serve, does not check this)";

const AKI: &str = "2.5.29.35";
const SKI: &str = "2.5.29.14";
const AIA: &str = "1.3.6.1.5.5.7.1.1";
const BASIC_CONSTRAINTS: &str = "2.5.29.19";
const NAME_CONSTRAINTS: &str = "2.5.29.30";
const EKU: &str = "2.5.29.37";
const SAN: &str = "2.5.29.17";
const KU_KEY_CERT_SIGN: u16 = 1 << 5;

/// Where a certificate sits in the chain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Leaf,
    Intermediate,
    Anchor,
}

pub fn run(req: &Request<'_>, path: &[&Cert<'_>], trusted: bool, findings: &mut Vec<Finding>) {
    let last = path.len().saturating_sub(1);
    for (depth, cert) in path.iter().enumerate() {
        let position = match depth {
            0 => Position::Leaf,
            d if d == last && trusted => Position::Anchor,
            _ => Position::Intermediate,
        };
        // The CA/Browser Forum rules are for TLS server certificates in the Web PKI.
        let web = req.profile == Profile::WebPki && req.role == Role::Server;
        extensions(cert, position, web, findings);
        identifiers(cert, position, web, findings);
        if position != Position::Anchor {
            serial(cert, findings);
        }
        if position != Position::Leaf {
            key_size(cert, web, findings);
        } else if web {
            subscriber_key(cert, findings);
        }
        if position == Position::Leaf {
            leaf(cert, web, findings);
        }
    }
}

fn violation(cert: &Cert<'_>, field: &str, message: String) -> Finding {
    cert.proves(Finding::error(Code::ProfileViolation, message), field)
}

/// Critical flags (RFC 5280 4.2) and extensions where they may not be.
fn extensions(cert: &Cert<'_>, position: Position, web: bool, out: &mut Vec<Finding>) {
    let (is_ca, _) = cert.ca();
    let subject_empty = cert.x509.subject().iter().next().is_none();
    for ext in cert.x509.extensions() {
        let oid = ext.oid.to_id_string();
        let name = crate::x509::extension::extension_name(&oid).unwrap_or(&oid);
        let known = crate::x509::extension::extension_name(&oid).is_some();
        if ext.critical && (!known || ext.parsed_extension().error().is_some()) {
            out.push(cert.proves(
                Finding::error(
                    Code::UnknownCriticalExtension,
                    format!(
                        "{} has the critical extension {name}, which is not understood, so verifiers must refuse it (RFC 5280 4.2)",
                        cert.label()
                    ),
                ),
                name,
            ));
            continue;
        }
        let rule = match oid.as_str() {
            AKI | SKI if ext.critical => Some("must be non-critical (RFC 5280 4.2.1.1, 4.2.1.2)"),
            AIA if ext.critical => Some("must be non-critical (RFC 5280 4.2.2.1)"),
            BASIC_CONSTRAINTS if is_ca && !ext.critical => {
                Some("must be critical in a CA certificate (RFC 5280 4.2.1.9)")
            }
            NAME_CONSTRAINTS if !is_ca => {
                Some("may only appear in CA certificates (RFC 5280 4.2.1.10)")
            }
            SAN if !ext.critical && subject_empty => {
                Some("must be critical when the subject is empty (RFC 5280 4.2.1.6)")
            }
            SAN if ext.critical && !subject_empty && web && position == Position::Leaf => {
                Some("must not be critical in a TLS server certificate with a subject (CA/Browser Forum BR 7.1.2.7.12)")
            }
            EKU if ext.critical && web && position == Position::Leaf => {
                Some("must not be critical in a TLS server certificate (CA/Browser Forum BR 7.1.2.7.6)")
            }
            EKU if web && position == Position::Anchor => {
                Some("must not be in a root CA certificate (CA/Browser Forum BR 7.1.2.1.2)")
            }
            _ => None,
        };
        if let Some(rule) = rule {
            out.push(violation(
                cert,
                name,
                format!("{}: its {name} extension {rule}{LENIENT}", cert.label()),
            ));
        }
        let empty = match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => aia.accessdescs.is_empty(),
            ParsedExtension::NameConstraints(nc) => {
                nc.permitted_subtrees.as_ref().is_none_or(Vec::is_empty)
                    && nc.excluded_subtrees.as_ref().is_none_or(Vec::is_empty)
            }
            _ => false,
        };
        // A known extension that does not parse (a non-critical one: a critical one is
        // reported above), or a list that must not be empty (RFC 5280 4.2.1.10, 4.2.2.1).
        if ext.parsed_extension().error().is_some() || empty {
            let what = if empty { "is empty" } else { "cannot be read" };
            out.push(violation(
                cert,
                name,
                format!(
                    "{}: its {name} extension {what}; RFC 5280 requires a well-formed, non-empty value{LENIENT}",
                    cert.label()
                ),
            ));
        }
    }
    if is_ca && cert.x509.subject().iter().next().is_none() {
        out.push(violation(
            cert,
            "subject",
            format!(
                "{}: a CA certificate must have a non-empty subject (RFC 5280 4.1.2.6){LENIENT}",
                cert.label()
            ),
        ));
    }
}

/// Key identifiers (RFC 5280 4.2.1.1 and 4.2.1.2; a root's AKI by CA/Browser Forum BR 7.1.2.1.3).
fn identifiers(cert: &Cert<'_>, position: Position, web: bool, out: &mut Vec<Finding>) {
    let (is_ca, _) = cert.ca();
    let aki = cert
        .x509
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => Some(a),
            _ => None,
        });
    let ski = cert.subject_key_id();
    if is_ca && ski.is_none() {
        out.push(violation(
            cert,
            "subject",
            format!(
                "{} is a CA certificate without a subjectKeyIdentifier, which CA certificates must have (RFC 5280 4.2.1.2){LENIENT}",
                cert.label()
            ),
        ));
    }
    let self_signed = cert.self_issued();
    let key_id = aki.and_then(|a| a.key_identifier.as_ref());
    if !self_signed && key_id.is_none() && position != Position::Anchor {
        out.push(violation(
            cert,
            "issuer",
            format!(
                "{} has no authorityKeyIdentifier keyIdentifier, which every certificate but a self-signed one must have (RFC 5280 4.2.1.1){LENIENT}",
                cert.label()
            ),
        ));
    }
    let Some(a) = aki.filter(|_| web && self_signed && position == Position::Anchor) else {
        return;
    };
    let problem = if key_id.is_none() {
        "has no keyIdentifier"
    } else if a.authority_cert_issuer.is_some() || a.authority_cert_serial.is_some() {
        "names an authorityCertIssuer or authorityCertSerialNumber"
    } else if key_id.map(|k| k.0) != ski {
        "has a keyIdentifier unlike its subjectKeyIdentifier"
    } else {
        return;
    };
    out.push(violation(
        cert,
        "authorityKeyIdentifier",
        format!(
            "{}: the root's authorityKeyIdentifier {problem} (CA/Browser Forum BR 7.1.2.1.3){LENIENT}",
            cert.label()
        ),
    ));
}

/// A positive serial of at most 20 octets (RFC 5280 4.1.2.2).
fn serial(cert: &Cert<'_>, out: &mut Vec<Finding>) {
    let raw = cert.x509.tbs_certificate.raw_serial();
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    let zero = raw.iter().all(|b| *b == 0);
    if negative || zero {
        out.push(cert.proves(
            Finding::error(
                Code::NegativeSerial,
                format!(
                    "{}'s serial number is {}; RFC 5280 4.1.2.2 requires a positive one{LENIENT}",
                    cert.label(),
                    if zero { "zero" } else { "negative" }
                ),
            ),
            "serialNumber",
        ));
    }
    // A leading zero octet (sign) does not count.
    let octets = raw.len() - usize::from(raw.len() > 1 && raw[0] == 0);
    if octets > 20 {
        out.push(cert.proves(
            Finding::error(
                Code::LongSerial,
                format!(
                    "{}'s serial number is {octets} octets long; RFC 5280 4.1.2.2 allows at most 20{LENIENT}",
                    cert.label()
                ),
            ),
            "serialNumber",
        ));
    }
}

/// The key of a certificate that signs others: RSA of at least 2048 bits (rustls-webpki
/// refuses smaller ones), in whole octets (CA/Browser Forum BR 6.1.5).
fn key_size(cert: &Cert<'_>, web: bool, out: &mut Vec<Finding>) {
    let Some(bits) = rsa_modulus_bits(cert.spki()) else {
        return;
    };
    let problem = if bits < 2048 {
        format!("{bits}-bit RSA key; verifiers (rustls-webpki, so mtlskit serve, among them) refuse signatures by RSA keys under 2048 bits")
    } else if web && bits % 8 != 0 {
        format!(
            "{bits}-bit RSA key, not a whole number of octets (CA/Browser Forum BR 6.1.5){LENIENT}"
        )
    } else {
        return;
    };
    out.push(cert.proves(
        Finding::error(
            Code::WeakKey,
            format!("{} signs with a {problem}", cert.label()),
        ),
        "subjectPublicKeyInfo",
    ));
}

/// A TLS server's own key in the Web PKI: RSA of 2048 bits or more in whole octets, or ECDSA on
/// P-256, P-384 or P-521 by name (CA/Browser Forum BR 6.1.5, 7.1.3.1).
fn subscriber_key(cert: &Cert<'_>, out: &mut Vec<Finding>) {
    use crate::oid::{EC_PUBLIC_KEY, P256, P384, P521, RSA_ENCRYPTION};
    let Ok(spki) = crate::x509::key::parse_spki(cert.spki()) else {
        return;
    };
    let problem = match spki.algorithm.as_str() {
        RSA_ENCRYPTION => match rsa_modulus_bits(cert.spki()) {
            Some(bits) if bits < 2048 || bits % 8 != 0 => Some((
                Code::WeakKey,
                format!("its {bits}-bit RSA key is under 2048 bits or not in whole octets"),
            )),
            _ => None,
        },
        EC_PUBLIC_KEY if matches!(spki.curve(), Some(P256 | P384 | P521)) => None,
        EC_PUBLIC_KEY => Some((
            Code::UnsupportedAlgorithm,
            String::from("its EC key is not on P-256, P-384 or P-521 given by name"),
        )),
        other => Some((
            Code::UnsupportedAlgorithm,
            format!("its key algorithm {other} is neither RSA nor ECDSA"),
        )),
    };
    if let Some((code, problem)) = problem {
        out.push(cert.proves(
            Finding::error(
                code,
                format!(
                    "{}: {problem}, which a TLS server certificate of the Web PKI may not have (CA/Browser Forum BR 6.1.5, 7.1.3.1){LENIENT}",
                    cert.label()
                ),
            ),
            "subjectPublicKeyInfo",
        ));
    }
}

/// The exact bit length of an RSA SubjectPublicKeyInfo's modulus.
fn rsa_modulus_bits(spki: &[u8]) -> Option<usize> {
    let parsed = crate::x509::key::parse_spki(spki).ok()?;
    let (n, _) = crate::x509::key::rsa_public_numbers(parsed.key).ok()?;
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    let top = n.first()?;
    Some((n.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// The leaf's own rules: keyCertSign only with cA (RFC 5280 4.2.1.9), name syntax, and for a
/// TLS server in the Web PKI the CA/Browser Forum subscriber profile (EKU present without
/// anyExtendedKeyUsage, the CN one of the SANs).
fn leaf(cert: &Cert<'_>, web: bool, out: &mut Vec<Finding>) {
    let (is_ca, _) = cert.ca();
    if !is_ca
        && cert
            .key_usage()
            .is_some_and(|ku| ku & KU_KEY_CERT_SIGN != 0)
    {
        out.push(cert.proves(
            Finding::error(
                Code::KeyUsage,
                format!(
                    "{}'s key usage has keyCertSign but it is not a CA (cA is FALSE), which RFC 5280 4.2.1.9 forbids{LENIENT}",
                    cert.label()
                ),
            ),
            "keyUsage",
        ));
    }
    for name in cert.sans() {
        if let Some(problem) = malformed(name) {
            out.push(cert.proves(
                Finding::error(Code::MalformedName, format!("{}: {problem}", cert.label())),
                "subjectAltName",
            ));
        }
    }
    if !web {
        return;
    }
    match cert.eku() {
        None => out.push(cert.proves(
            Finding::error(
                Code::MissingServerAuthEku,
                format!(
                    "{} has no extendedKeyUsage; a TLS server certificate must list serverAuth in it (CA/Browser Forum BR 7.1.2.7.6){LENIENT}",
                    cert.label()
                ),
            ),
            "subject",
        )),
        Some((_, _, true)) => out.push(cert.proves(
            Finding::error(
                Code::MissingServerAuthEku,
                format!(
                    "{}'s extended key usage has anyExtendedKeyUsage, which a TLS server certificate must not (CA/Browser Forum BR 7.1.2.7.6){LENIENT}",
                    cert.label()
                ),
            ),
            "extKeyUsage",
        )),
        _ => {}
    }
    cn_in_san(cert, out);
}

/// A subject CN must be one of the SANs, written the same way (CA/Browser Forum BR 7.1.4.3).
fn cn_in_san(cert: &Cert<'_>, out: &mut Vec<Finding>) {
    let sans = cert.sans();
    for cn in cert.x509.subject().iter_common_name() {
        let Ok(cn) = cn.as_str() else { continue };
        let listed = sans.iter().any(|n| match n {
            GeneralName::DNSName(d) => *d == cn,
            GeneralName::IPAddress(ip) => ip_text(ip).is_some_and(|t| t == cn),
            _ => false,
        });
        if !listed {
            out.push(cert.proves(
                Finding::error(
                    Code::ProfileViolation,
                    format!(
                        "{}: its subject CN \"{cn}\" is not one of its subjectAltNames, written the same way (CA/Browser Forum BR 7.1.4.3){LENIENT}",
                        cert.label()
                    ),
                ),
                "subject",
            ));
        }
    }
}

/// An IP address in its canonical text (dotted quad; RFC 5952 for IPv6).
fn ip_text(ip: &[u8]) -> Option<String> {
    use core::net::{Ipv4Addr, Ipv6Addr};
    match ip.len() {
        4 => Some(format!("{}", Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]))),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(ip);
            Some(format!("{}", Ipv6Addr::from(b)))
        }
        _ => None,
    }
}

/// What is wrong with the syntax of a SAN (RFC 5280 4.2.1.6), if anything.
pub fn malformed(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(d) if !dns_name_ok(d, true) => {
            // rustls-webpki lets underscores through (service names use them).
            let lenient = if dns_name_ok(&d.replace('_', "a"), true) { LENIENT } else { "" };
            Some(format!("the DNS name \"{d}\" in its subjectAltName is not a valid host name (letters, digits and hyphens in dot-separated labels, a leading \"*\" label at most; RFC 5280 4.2.1.6){lenient}"))
        }
        GeneralName::IPAddress(ip) if ip.len() != 4 && ip.len() != 16 => Some(format!(
            "an IP address in its subjectAltName is {} bytes long; it must be 4 (IPv4) or 16 (IPv6) (RFC 5280 4.2.1.6)",
            ip.len()
        )),
        GeneralName::RFC822Name(e) => (!email_ok(e)).then(|| {
            format!("the email address \"{e}\" in its subjectAltName is not a mailbox (local-part@domain; RFC 5280 4.2.1.6)")
        }),
        _ => None,
    }
}

/// A preferred-syntax host name (RFC 1034 3.5, RFC 5280 4.2.1.6), with a whole-label `*` first
/// when `wildcard`.
pub fn dns_name_ok(name: &str, wildcard: bool) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').enumerate().all(|(i, label)| {
        (wildcard && i == 0 && label == "*")
            || (!label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    })
}

/// One `@`, a non-empty local part, a host name after it.
fn email_ok(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.contains('@') && dns_name_ok(domain, false)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        assert!(dns_name_ok("api.example.com", true));
        assert!(dns_name_ok("*.example.com", true));
        assert!(dns_name_ok("localhost", false));
        assert!(!dns_name_ok("*.example.com", false));
        assert!(!dns_name_ok("a.*.example.com", true));
        assert!(!dns_name_ok(".example.com", true));
        assert!(!dns_name_ok("a_b.example.com", true));
        assert!(!dns_name_ok("-a.example.com", true));
        assert!(!dns_name_ok("", true));
    }

    #[test]
    fn san_syntax() {
        assert_eq!(malformed(&GeneralName::RFC822Name("a@example.com")), None);
        assert_eq!(malformed(&GeneralName::RFC822Name("*@example.com")), None);
        assert!(malformed(&GeneralName::RFC822Name("a@b@example.com")).is_some());
        assert!(malformed(&GeneralName::RFC822Name("example.com")).is_some());
        assert!(malformed(&GeneralName::IPAddress(&[192, 0, 2, 0, 255, 255, 255, 0])).is_some());
        assert_eq!(malformed(&GeneralName::IPAddress(&[127, 0, 0, 1])), None);
        let underscore = malformed(&GeneralName::DNSName("a_b.example.com")).unwrap_or_default();
        assert!(underscore.contains("mtlskit serve"), "{underscore}");
        let dot = malformed(&GeneralName::DNSName(".example.com")).unwrap_or_default();
        assert!(!dot.is_empty() && !dot.contains("mtlskit serve"), "{dot}");
    }

    #[test]
    fn ip_texts_are_canonical() {
        assert_eq!(ip_text(&[192, 168, 1, 1]).as_deref(), Some("192.168.1.1"));
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = 0xb8;
        v6[15] = 1;
        assert_eq!(ip_text(&v6).as_deref(), Some("2001:db8::1"));
        assert_eq!(ip_text(&[1, 2, 3]), None);
    }
}
