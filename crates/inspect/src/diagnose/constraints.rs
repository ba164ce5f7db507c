//! Name constraints (RFC 5280 4.2.1.10): a CA limited to some names must not vouch for others.
//!
//! Checked for DNS names, IP addresses, email addresses and directory names, the forms
//! operators use to fence a private CA; other forms are left to the verifier.

use alloc::string::String;
use alloc::vec::Vec;

use x509_parser::extensions::{GeneralName, GeneralSubtree, NameConstraints};

use super::cert::Cert;

/// The first name of `leaf` that `nc` forbids, as text, if any.
pub fn violation(nc: &NameConstraints<'_>, leaf: &Cert<'_>) -> Option<String> {
    let names = leaf.sans();
    for name in &names {
        let Some(text) = describe(name) else { continue };
        let relevant = |subtrees: &Option<Vec<GeneralSubtree<'_>>>| -> Vec<bool> {
            subtrees
                .iter()
                .flatten()
                .filter_map(|s| within(name, &s.base))
                .collect()
        };
        let permitted = relevant(&nc.permitted_subtrees);
        if !permitted.is_empty() && !permitted.contains(&true) {
            return Some(alloc::format!("{text} is outside the permitted names"));
        }
        if relevant(&nc.excluded_subtrees).contains(&true) {
            return Some(alloc::format!("{text} is among the excluded names"));
        }
    }
    None
}

fn describe(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(d) => Some(alloc::format!("DNS:{d}")),
        GeneralName::RFC822Name(e) => Some(alloc::format!("email:{e}")),
        GeneralName::IPAddress(b) => Some(alloc::format!("IP:{}", crate::der::hex(b))),
        _ => None,
    }
}

/// `Some(true)` when `name` lies within `base`, `Some(false)` when it is of the same form but
/// outside, `None` when the forms differ (the subtree says nothing about it).
fn within(name: &GeneralName<'_>, base: &GeneralName<'_>) -> Option<bool> {
    match (name, base) {
        (GeneralName::DNSName(n), GeneralName::DNSName(b)) => {
            let (n, b) = (
                n.to_ascii_lowercase(),
                b.trim_start_matches('.').to_ascii_lowercase(),
            );
            let n = n.trim_start_matches("*.");
            Some(b.is_empty() || n == b || n.ends_with(&alloc::format!(".{b}")))
        }
        (GeneralName::RFC822Name(n), GeneralName::RFC822Name(b)) => {
            let n = n.to_ascii_lowercase();
            let b = b.to_ascii_lowercase();
            Some(if b.contains('@') {
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
            Some(
                n.iter()
                    .zip(addr)
                    .zip(mask)
                    .all(|((n, a), m)| n & m == a & m),
            )
        }
        _ => None,
    }
}
