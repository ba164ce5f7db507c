//! Links across cards: which key belongs to which certificate, which certificate was issued by
//! which dropped CA, and whose issuer is missing.
//!
//! Keys are matched by the inspect crate (the report's `matches`, by public-key fingerprint).
//! Issuers are matched here by name (the certificate's issuer is the CA's subject, and the CA is
//! a CA); the diagnosis engine checks signatures and the rest of the chain when it lands.

use mtlskit_inspect::report::{ItemBody, Report};

/// A relation between items of the report, by position in `report.items`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// The private key at `key` has the public key of the certificate or CSR at `holder`.
    KeyMatches { key: usize, holder: usize },
    /// The private key at `key` matches none of the certificates and CSRs present.
    KeyUnmatched { key: usize },
    /// The certificate at `cert` names the CA certificate at `issuer` as its issuer.
    IssuedBy { cert: usize, issuer: usize },
    /// The certificate at `cert` is not self-issued and its issuer is not among the inputs.
    IssuerMissing { cert: usize, issuer: String },
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
            ItemBody::Certificate(cert) if cert.subject != cert.issuer => {
                let issuers: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(other, i)| {
                        *other != pos
                            && matches!(&i.body, ItemBody::Certificate(ca)
                                if ca.is_ca && ca.subject == cert.issuer)
                    })
                    .map(|(other, _)| other)
                    .collect();
                if issuers.is_empty() {
                    out.push(Link::IssuerMissing {
                        cert: pos,
                        issuer: cert.issuer.clone(),
                    });
                }
                out.extend(
                    issuers
                        .into_iter()
                        .map(|issuer| Link::IssuedBy { cert: pos, issuer }),
                );
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
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtlskit_inspect::report::{Certificate, Item, ItemRef, Key, PublicKeyInfo};

    fn item(source: &str, body: ItemBody) -> Item {
        Item {
            source: source.to_string(),
            index: 0,
            body,
            findings: Vec::new(),
            encoding: "PEM".to_string(),
            bytes: Vec::new(),
            tree: Vec::new(),
        }
    }

    fn cert(subject: &str, issuer: &str, is_ca: bool) -> ItemBody {
        ItemBody::Certificate(Certificate {
            version: 3,
            serial: "1".to_string(),
            subject: subject.to_string(),
            issuer: issuer.to_string(),
            not_before: String::new(),
            not_after: String::new(),
            sha256: String::new(),
            sha1: String::new(),
            spki_sha256: String::new(),
            san: Vec::new(),
            public_key: PublicKeyInfo {
                algorithm: "EC".to_string(),
                bits: Some(256),
                curve: Some("P-256".to_string()),
            },
            signature_algorithm: String::new(),
            signature_algorithm_oid: String::new(),
            is_ca,
            path_len: None,
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            extensions: Vec::new(),
            not_before_unix: 0,
            not_after_unix: 0,
        })
    }

    fn key(matches: Vec<ItemRef>) -> ItemBody {
        ItemBody::PrivateKey(Key {
            algorithm: "EC".to_string(),
            bits: Some(256),
            curve: Some("P-256".to_string()),
            spki_sha256: Some("ab".to_string()),
            format: "PKCS#8".to_string(),
            matches,
        })
    }

    #[test]
    fn links_keys_and_issuers_across_inputs() {
        let report = Report {
            items: vec![
                item("ca.pem", cert("CN=CA", "CN=CA", true)),
                item("client.pem", cert("CN=client", "CN=CA", false)),
                item("other.pem", cert("CN=other", "CN=Elsewhere", false)),
                item(
                    "client.key",
                    key(vec![ItemRef {
                        source: "client.pem".to_string(),
                        index: 0,
                    }]),
                ),
                item("stray.key", key(Vec::new())),
            ],
            errors: Vec::new(),
        };
        let all = links(&report);
        assert_eq!(
            all,
            vec![
                Link::IssuedBy { cert: 1, issuer: 0 },
                Link::IssuerMissing {
                    cert: 2,
                    issuer: "CN=Elsewhere".to_string()
                },
                Link::KeyMatches { key: 3, holder: 1 },
                Link::KeyUnmatched { key: 4 },
            ]
        );
        assert_eq!(of_item(&all, 1).len(), 2);
        assert_eq!(of_item(&all, 0).len(), 1);
    }

    #[test]
    fn a_non_ca_does_not_issue() {
        let report = Report {
            items: vec![
                item("a.pem", cert("CN=A", "CN=A", false)),
                item("b.pem", cert("CN=B", "CN=A", false)),
            ],
            errors: Vec::new(),
        };
        assert!(matches!(
            links(&report)[..],
            [Link::IssuerMissing { cert: 1, .. }]
        ));
    }
}
