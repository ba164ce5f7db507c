//! Links across cards: which key belongs to which certificate, which certificate was issued by
//! which dropped CA, and whose issuer is missing.
//!
//! Both are the inspect crate's: keys by public-key fingerprint (the report's `matches`),
//! issuers by [`mtlskit_inspect::link_issuers`], which links only what the diagnosis's chain
//! builder verifies (the issuer's name and its signature).

use mtlskit_inspect::{link_issuers, IssuerLink};
use mtlskit_inspect::{ItemBody, Name, Report};

/// A relation between items of the report, by position in `report.items`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// The private key at `key` has the public key of the certificate or CSR at `holder`.
    KeyMatches {
        /// The private key.
        key: usize,
        /// The certificate or CSR with its public key.
        holder: usize,
    },
    /// The private key at `key` matches none of the certificates and CSRs present.
    KeyUnmatched {
        /// The private key.
        key: usize,
    },
    /// The CA certificate at `issuer` issued the certificate at `cert`: its name is the issuer's
    /// and its key verifies the signature.
    IssuedBy {
        /// The certificate issued.
        cert: usize,
        /// The CA certificate that issued it.
        issuer: usize,
    },
    /// The certificate at `cert` is not self-issued and its issuer is not among the inputs.
    IssuerMissing {
        /// The certificate.
        cert: usize,
        /// The issuer it names, to tell the user which CA to drop.
        issuer: Name,
    },
    /// The CA certificate at `ca` has the name of the issuer of `cert` but another key: its
    /// signature does not verify, so it is not the issuer.
    SameNameOtherKey {
        /// The certificate.
        cert: usize,
        /// The CA certificate with its issuer's name and another key.
        ca: usize,
    },
}

/// Every link among the items of a report, in item order.
pub fn links(report: &Report) -> Vec<Link> {
    let items = &report.items;
    let position = |source: &str, index: usize| {
        items
            .iter()
            .position(|i| i.source == source && i.index == index)
    };
    let holders = items
        .iter()
        .filter(|i| matches!(i.body, ItemBody::Certificate(_) | ItemBody::Csr(_)))
        .count();
    let issuers = link_issuers(items);
    let mut out = Vec::new();
    for (pos, item) in items.iter().enumerate() {
        match &item.body {
            ItemBody::PrivateKey(key) => {
                let found: Vec<usize> = key
                    .matches
                    .iter()
                    .filter_map(|r| position(&r.source, r.index))
                    .collect();
                if found.is_empty() && holders > 0 && key.spki_sha256.is_some() {
                    out.push(Link::KeyUnmatched { key: pos });
                }
                out.extend(
                    found
                        .into_iter()
                        .map(|holder| Link::KeyMatches { key: pos, holder }),
                );
            }
            ItemBody::Certificate(cert) => {
                out.extend(issuers.iter().filter_map(|l| match *l {
                    IssuerLink::IssuedBy { cert: c, issuer } if c == pos => {
                        Some(Link::IssuedBy { cert: pos, issuer })
                    }
                    IssuerLink::Missing { cert: c } if c == pos => Some(Link::IssuerMissing {
                        cert: pos,
                        issuer: cert.issuer.clone(),
                    }),
                    IssuerLink::SameNameOtherKey { cert: c, ca } if c == pos => {
                        Some(Link::SameNameOtherKey { cert: pos, ca })
                    }
                    _ => None,
                }));
            }
            _ => {}
        }
    }
    out
}

/// The links that involve the item at `pos`.
pub fn of_item(all: &[Link], pos: usize) -> Vec<&Link> {
    all.iter()
        .filter(|l| match l {
            Link::KeyMatches { key, holder } => *key == pos || *holder == pos,
            Link::KeyUnmatched { key } => *key == pos,
            Link::IssuedBy { cert, issuer } => *cert == pos || *issuer == pos,
            Link::IssuerMissing { cert, .. } => *cert == pos,
            Link::SameNameOtherKey { cert, ca } => *cert == pos || *ca == pos,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtlskit_inspect::{inspect_many, Input};

    const CA: &[u8] = include_bytes!("../../testdata/browser/ca.pem");
    const CLIENT: &[u8] = include_bytes!("../../testdata/browser/client.pem");
    const KEY: &[u8] = include_bytes!("../../testdata/browser/client.key");
    const OTHER: &[u8] = include_bytes!("../../testdata/web/pki/client.pem");
    const OTHER_KEY: &[u8] = include_bytes!("../../testdata/web/pki/client.key");
    const OTHER_CA: &[u8] = include_bytes!("../../testdata/web/pki/ca.pem");
    const IMPOSTER: &[u8] = include_bytes!("../../testdata/web/other/imposter-ca.pem");

    fn report_of(inputs: &[(&'static str, &'static [u8])]) -> Report {
        let inputs: Vec<Input<'_>> = inputs
            .iter()
            .map(|(source, bytes)| Input { source, bytes })
            .collect();
        inspect_many(&inputs, None)
    }

    /// The issuer named by the certificate at `pos`.
    fn issuer_of(report: &Report, pos: usize) -> Name {
        match &report.items[pos].body {
            ItemBody::Certificate(c) => c.issuer.clone(),
            other => panic!("item {pos} is a {}", other.kind()),
        }
    }

    #[test]
    fn links_keys_and_issuers_across_inputs() {
        let report = report_of(&[
            ("ca.pem", CA),
            ("client.pem", CLIENT),
            ("other.pem", OTHER),
            ("client.key", KEY),
            ("other.key", OTHER_KEY),
        ]);
        let all = links(&report);
        assert_eq!(issuer_of(&report, 2), "CN=mtlskit CA");
        assert_eq!(
            all,
            vec![
                Link::IssuedBy { cert: 1, issuer: 0 },
                Link::IssuerMissing {
                    cert: 2,
                    issuer: issuer_of(&report, 2)
                },
                Link::KeyMatches { key: 3, holder: 1 },
                Link::KeyMatches { key: 4, holder: 2 },
            ]
        );
        assert_eq!(of_item(&all, 1).len(), 2);
        assert_eq!(of_item(&all, 0).len(), 1);
        let stray = links(&report_of(&[
            ("client.pem", CLIENT),
            ("stray.key", OTHER_KEY),
        ]));
        assert_eq!(stray[1..], [Link::KeyUnmatched { key: 1 }]);
    }

    #[test]
    fn only_the_ca_that_signed_is_the_issuer() {
        let all = links(&report_of(&[("ca.pem", OTHER_CA), ("client.pem", CLIENT)]));
        assert!(matches!(all[..], [Link::IssuerMissing { cert: 1, .. }]));
        let all = links(&report_of(&[("ca.pem", OTHER_CA), ("other.pem", OTHER)]));
        assert_eq!(all, vec![Link::IssuedBy { cert: 1, issuer: 0 }]);
    }

    #[test]
    fn a_ca_of_the_same_name_with_another_key_is_not_the_issuer() {
        let all = links(&report_of(&[
            ("imposter.pem", IMPOSTER),
            ("other.pem", OTHER),
        ]));
        assert_eq!(all, vec![Link::SameNameOtherKey { cert: 1, ca: 0 }]);
        assert_eq!(of_item(&all, 0).len(), 1);
        // With the CA that signed it, only that one is linked.
        let all = links(&report_of(&[
            ("imposter.pem", IMPOSTER),
            ("ca.pem", OTHER_CA),
            ("other.pem", OTHER),
        ]));
        assert_eq!(all, vec![Link::IssuedBy { cert: 2, issuer: 1 }]);
    }
}
