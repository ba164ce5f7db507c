//! Name constraints (RFC 5280 4.2.1.10): a CA limited to some names must not vouch for others.
//!
//! Checked for DNS names (a wildcard SAN is refused by an excluded subtree any of its names
//! falls in), IP addresses, email addresses and directory names (the subject too, RFC 5280
//! 6.1.3 (b)). A name of a form this engine cannot compare (otherName, URI, X.400, EDI party,
//! registered ID) under a constraint of that same form is refused, as RFC 5280 requires of an
//! implementation that does not process the form. The comparisons one chain may cost are
//! bounded ([`MAX_COMPARISONS`], as rustls-webpki bounds them), so a hostile certificate with
//! thousands of names and constraints is refused, not ground through.

use alloc::string::String;
use alloc::vec::Vec;

use x509_parser::extensions::{GeneralName, GeneralSubtree, NameConstraints};

use super::cert::Cert;
use super::Verifier;

/// The most name-against-constraint comparisons made for one chain (rustls-webpki's budget).
pub const MAX_COMPARISONS: usize = 250_000;

/// The first name of `leaf` that `nc` forbids, as text, if any; `budget` is what is left of
/// [`MAX_COMPARISONS`].
pub fn violation(
    nc: &NameConstraints<'_>,
    leaf: &Cert<'_>,
    budget: &mut usize,
    verifier: Verifier,
) -> Option<String> {
    let sans = leaf.sans();
    let subject = GeneralName::DirectoryName(leaf.x509.subject().clone());
    let subject_empty = leaf.x509.subject().iter().next().is_none();
    let names = sans
        .iter()
        .copied()
        .chain((!subject_empty).then_some(&subject));
    let subtrees = nc.permitted_subtrees.iter().flatten().count()
        + nc.excluded_subtrees.iter().flatten().count();
    for name in names {
        let cost = subtrees.max(1);
        if *budget < cost {
            return Some(alloc::format!(
                "checking its {} names against {subtrees} constraints takes more than {MAX_COMPARISONS} comparisons, and verifiers give up on such chains",
                sans.len() + 1
            ));
        }
        *budget -= cost;
        let Some(text) = describe(name) else { continue };
        let relevant = |subtrees: &Option<Vec<GeneralSubtree<'_>>>, excluded: bool| -> Vec<Match> {
            subtrees
                .iter()
                .flatten()
                .filter_map(|s| within(name, &s.base, excluded))
                .collect()
        };
        let permitted = relevant(&nc.permitted_subtrees, false);
        let excluded = relevant(&nc.excluded_subtrees, true);
        let unprocessed = matches!(
            name,
            GeneralName::RFC822Name(_) | GeneralName::DirectoryName(_)
        );
        if verifier == Verifier::Rustls
            && unprocessed
            && (!permitted.is_empty() || !excluded.is_empty())
        {
            return Some(alloc::format!(
                "{text} is of a form the CA constrains and rustls-webpki (mtlskit serve) does not process, so it refuses it"
            ));
        }
        if permitted.contains(&Match::Unknown) || excluded.contains(&Match::Unknown) {
            return Some(alloc::format!(
                "{text} is of a form the CA constrains and that cannot be checked here, so it is refused (RFC 5280 4.2.1.10)"
            ));
        }
        if !permitted.is_empty() && !permitted.contains(&Match::Inside) {
            return Some(alloc::format!("{text} is outside the permitted names"));
        }
        if excluded.contains(&Match::Inside) {
            return Some(alloc::format!("{text} is among the excluded names"));
        }
    }
    None
}

/// What is wrong with the constraints themselves, if anything: a DNS constraint with a
/// leading period, an IP constraint that is not an address and a contiguous mask (RFC 5280
/// 4.2.1.10).
pub fn malformed(nc: &NameConstraints<'_>) -> Option<String> {
    let all = nc
        .permitted_subtrees
        .iter()
        .flatten()
        .chain(nc.excluded_subtrees.iter().flatten());
    for s in all {
        match &s.base {
            GeneralName::DNSName(d) if d.starts_with('.') => {
                return Some(alloc::format!(
                    "the DNS constraint \"{d}\" starts with a period, which RFC 5280 4.2.1.10 does not allow for dNSName (OpenSSL and rustls-webpki, so mtlskit serve, read it as the subdomains and accept it); write it without the period, which covers the domain and its subdomains"
                ))
            }
            GeneralName::IPAddress(b) if !cidr_ok(b) => {
                return Some(alloc::format!(
                    "the IP constraint {} is not an address and a contiguous mask (4+4 or 16+16 bytes)",
                    crate::der::hex(b)
                ))
            }
            _ => {}
        }
    }
    None
}

fn cidr_ok(b: &[u8]) -> bool {
    if b.len() != 8 && b.len() != 32 {
        return false;
    }
    let mask = &b[b.len() / 2..];
    let bits: Vec<bool> = mask
        .iter()
        .flat_map(|byte| (0..8).rev().map(move |i| byte >> i & 1 == 1))
        .collect();
    // Ones, then zeros.
    bits.windows(2).all(|w| w[0] || !w[1])
}

fn describe(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(d) => Some(alloc::format!("DNS:{d}")),
        GeneralName::RFC822Name(e) => Some(alloc::format!("email:{e}")),
        GeneralName::IPAddress(b) => Some(alloc::format!("IP:{}", crate::der::hex(b))),
        GeneralName::DirectoryName(n) => Some(alloc::format!(
            "DirName:{}",
            crate::name::Name::from_der_lossy(n.as_raw())
        )),
        GeneralName::OtherName(oid, _) => Some(alloc::format!("otherName:{oid}")),
        GeneralName::URI(u) => Some(alloc::format!("URI:{u}")),
        GeneralName::X400Address(_) => Some(String::from("x400Address")),
        GeneralName::EDIPartyName(_) => Some(String::from("ediPartyName")),
        GeneralName::RegisteredID(oid) => Some(alloc::format!("RID:{oid}")),
        GeneralName::Invalid(..) => None,
    }
}

/// How a name stands to one subtree of the same form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match {
    Inside,
    Outside,
    /// Same form, but not a form compared here.
    Unknown,
}

/// How `name` stands to `base`; `None` when their forms differ (the subtree says nothing
/// about it). `excluded`: a wildcard name is inside when any name it covers is.
fn within(name: &GeneralName<'_>, base: &GeneralName<'_>, excluded: bool) -> Option<Match> {
    let yes = |b: bool| Some(if b { Match::Inside } else { Match::Outside });
    match (name, base) {
        (GeneralName::DNSName(n), GeneralName::DNSName(b)) => {
            let (n, b) = (
                n.to_ascii_lowercase(),
                b.trim_start_matches('.').to_ascii_lowercase(),
            );
            let under = |n: &str| b.is_empty() || n == b || n.ends_with(&alloc::format!(".{b}"));
            match n.strip_prefix("*.") {
                // Every name *.D covers is in the subtree when D is; for an exclusion, one is
                // enough: B itself one label under D.
                Some(d) if excluded => yes(under(d)
                    || b.split_once('.')
                        .is_some_and(|(label, rest)| label != "*" && rest == d)),
                Some(d) => yes(under(d)),
                None => yes(under(&n)),
            }
        }
        (GeneralName::RFC822Name(n), GeneralName::RFC822Name(b)) => {
            let n = n.to_ascii_lowercase();
            let b = b.to_ascii_lowercase();
            yes(if b.contains('@') {
                n == b
            } else if let Some(domain) = b.strip_prefix('.') {
                n.rsplit_once('@')
                    .is_some_and(|(_, h)| h.ends_with(&alloc::format!(".{domain}")))
            } else {
                n.rsplit_once('@').is_some_and(|(_, h)| h == b)
            })
        }
        (GeneralName::IPAddress(n), GeneralName::IPAddress(b)) => {
            let half = b.len() / 2;
            if n.len() != half {
                return None;
            }
            let (addr, mask) = b.split_at(half);
            yes(n
                .iter()
                .zip(addr)
                .zip(mask)
                .all(|((n, a), m)| n & m == a & m))
        }
        (GeneralName::DirectoryName(n), GeneralName::DirectoryName(b)) => {
            // The base's RDNs start the name's (RFC 5280 4.2.1.10, 7.1), compared as encoded.
            let rdns = |x: &x509_parser::x509::X509Name<'_>| -> Vec<Vec<u8>> {
                x.iter()
                    .map(|rdn| {
                        rdn.iter()
                            .flat_map(|a| {
                                let mut v = a.attr_type().as_bytes().to_vec();
                                v.extend_from_slice(a.attr_value().data);
                                v
                            })
                            .collect()
                    })
                    .collect()
            };
            let (n, b) = (rdns(n), rdns(b));
            yes(b.len() <= n.len() && n.iter().zip(&b).all(|(x, y)| x == y))
        }
        (GeneralName::OtherName(n, _), GeneralName::OtherName(b, _)) if n == b => {
            Some(Match::Unknown)
        }
        (GeneralName::URI(_), GeneralName::URI(_))
        | (GeneralName::X400Address(_), GeneralName::X400Address(_))
        | (GeneralName::EDIPartyName(_), GeneralName::EDIPartyName(_))
        | (GeneralName::RegisteredID(_), GeneralName::RegisteredID(_)) => Some(Match::Unknown),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(name: &'static str, base: &'static str, excluded: bool) -> Option<Match> {
        within(
            &GeneralName::DNSName(name),
            &GeneralName::DNSName(base),
            excluded,
        )
    }

    #[test]
    fn dns_subtrees_and_wildcards() {
        assert_eq!(
            dns("a.example.com", "example.com", false),
            Some(Match::Inside)
        );
        assert_eq!(
            dns("example.com", "example.com", false),
            Some(Match::Inside)
        );
        assert_eq!(
            dns("badexample.com", "example.com", false),
            Some(Match::Outside)
        );
        // *.example.com covers bar.example.com: excluded when that one is.
        assert_eq!(
            dns("*.example.com", "bar.example.com", true),
            Some(Match::Inside)
        );
        assert_eq!(
            dns("*.example.com", "bar.example.com", false),
            Some(Match::Outside)
        );
        assert_eq!(
            dns("*.example.com", "a.b.example.com", true),
            Some(Match::Outside)
        );
        assert_eq!(dns("*.foo.com", "foo.com", false), Some(Match::Inside));
    }

    #[test]
    fn ip_masks_and_forms() {
        assert!(cidr_ok(&[192, 0, 2, 0, 255, 255, 255, 0]));
        assert!(!cidr_ok(&[192, 0, 2, 0, 255, 0, 255, 0]));
        assert!(!cidr_ok(&[192, 0, 2, 0]));
        let ip = GeneralName::IPAddress(&[192, 0, 2, 7]);
        let net = GeneralName::IPAddress(&[192, 0, 2, 0, 255, 255, 255, 0]);
        assert_eq!(within(&ip, &net, false), Some(Match::Inside));
        let uri = GeneralName::URI("https://example.com");
        assert_eq!(within(&uri, &uri, true), Some(Match::Unknown));
        assert_eq!(within(&uri, &net, true), None);
    }
}
