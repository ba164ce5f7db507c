//! The verdict panel's diagnosis: which dropped items go into the engine, and its answer.
//!
//! From everything dropped, the page picks what `mtlskit diagnose` is given on the command line:
//! the trust anchors (every self-issued CA certificate: a CA file or a whole bundle), the
//! certificate to check (the leaf: a certificate that is not a CA, the one the user picked, else
//! the first whose private key was dropped, else the first), the intermediates (the CA
//! certificates that are not self-issued) and the private key that belongs to the leaf (or the
//! only key dropped, so that a wrong key is reported) and every dropped CRL (revocation is then
//! checked, as `--crl` does). Then
//! `mtlskit_inspect::diagnose::diagnose` runs at the page's moment, in the certificate's own role
//! (a server certificate for a host name, else a client certificate) unless the user picks one.

use mtlskit_inspect::diagnose::{self, Diagnosis, Request, Role, Source};
use mtlskit_inspect::Timestamp;
use mtlskit_inspect::{ItemBody, Report};

/// What the user chose in the panel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The role the user picked; `None` checks the certificate in its own role
    /// ([`own_role`]). Picking another certificate goes back to `None`.
    pub role: Option<Role>,
    /// The host name a client connects to (server role only); blank for none.
    pub host: String,
    /// The certificate to check, by its source name and index, when the user picked one.
    pub leaf: Option<(String, usize)>,
}

/// The report items (positions in `report.items`) given to the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// Every certificate that could be checked (not a CA), in report order.
    pub candidates: Vec<usize>,
    /// The certificate checked: the user's pick, else the first candidate whose private key
    /// was dropped, else the first.
    pub leaf: Option<usize>,
    /// The CA certificates that are not self-issued, for the chain.
    pub intermediates: Vec<usize>,
    /// The self-issued CA certificates, trusted as roots.
    pub anchors: Vec<usize>,
    /// The private key given with the leaf.
    pub key: Option<usize>,
    /// Every CRL dropped.
    pub crls: Vec<usize>,
    /// The role the leaf is checked in: the user's, else its own.
    pub role: Role,
}

/// The role a certificate is made for: a server's when its extendedKeyUsage allows serverAuth
/// and not clientAuth (RFC 5280 4.2.1.12), else a client's (the page is about mTLS clients).
pub fn own_role(cert: &mtlskit_inspect::Certificate) -> Role {
    let has = |name: &str| cert.extended_key_usage.iter().any(|e| e == name);
    if has("serverAuth") && !has("clientAuth") {
        Role::Server
    } else {
        Role::Client
    }
}

/// The engine's answer, or why it could not run.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Nothing to check: no certificate that is not a CA was dropped.
    NoLeaf,
    /// The diagnosis of the chosen leaf.
    Done(Diagnosis),
    /// The leaf could not be read by the engine.
    Failed(String),
}

/// Picks the engine's inputs among the report's items.
pub fn choose(report: &Report, options: &Options) -> Choice {
    let mut choice = Choice::default();
    for (pos, item) in report.items.iter().enumerate() {
        if let ItemBody::Crl(_) = &item.body {
            choice.crls.push(pos);
        }
        let ItemBody::Certificate(c) = &item.body else {
            continue;
        };
        match (c.is_ca, c.subject == c.issuer) {
            (true, true) => choice.anchors.push(pos),
            (true, false) => choice.intermediates.push(pos),
            (false, _) => choice.candidates.push(pos),
        }
    }
    let keys: Vec<(usize, &mtlskit_inspect::Key)> = report
        .items
        .iter()
        .enumerate()
        .filter_map(|(pos, item)| match &item.body {
            ItemBody::PrivateKey(k) if k.spki_sha256.is_some() => Some((pos, k)),
            _ => None,
        })
        .collect();
    let key_of = |leaf: usize| {
        let item = report.items.get(leaf)?;
        keys.iter()
            .find(|(_, k)| {
                k.matches
                    .iter()
                    .any(|r| r.source == item.source && r.index == item.index)
            })
            .map(|(pos, _)| *pos)
    };
    let picked = options.leaf.as_ref().and_then(|(source, index)| {
        choice.candidates.iter().copied().find(|&pos| {
            report
                .items
                .get(pos)
                .is_some_and(|i| &i.source == source && i.index == *index)
        })
    });
    choice.leaf = picked
        .or_else(|| {
            choice
                .candidates
                .iter()
                .copied()
                .find(|&p| key_of(p).is_some())
        })
        .or_else(|| choice.candidates.first().copied());
    let only_key = match keys.as_slice() {
        [(pos, _)] => Some(*pos),
        _ => None,
    };
    choice.key = choice.leaf.and_then(|leaf| key_of(leaf).or(only_key));
    let leaf_role = choice
        .leaf
        .and_then(|p| report.items.get(p))
        .and_then(|i| match &i.body {
            ItemBody::Certificate(c) => Some(own_role(c)),
            _ => None,
        });
    choice.role = options.role.or(leaf_role).unwrap_or_default();
    choice
}

/// Runs the engine on the chosen items at `now`.
pub fn run(report: &Report, choice: &Choice, options: &Options, now: Timestamp) -> Outcome {
    let Some(leaf) = choice.leaf.and_then(|p| report.items.get(p)) else {
        return Outcome::NoLeaf;
    };
    let source = |pos: &usize| {
        report.items.get(*pos).map(|i| Source {
            der: &i.bytes,
            origin: format!("{} #{}", i.source, i.index),
        })
    };
    let mut chain = vec![Source {
        der: &leaf.bytes,
        origin: format!("{} #{}", leaf.source, leaf.index),
    }];
    chain.extend(choice.intermediates.iter().filter_map(source));
    let key_spki_sha256 =
        choice
            .key
            .and_then(|p| report.items.get(p))
            .and_then(|i| match &i.body {
                ItemBody::PrivateKey(k) => k.spki_sha256.clone(),
                _ => None,
            });
    let host = options.host.trim();
    let request = Request {
        anchors: choice.anchors.iter().filter_map(source).collect(),
        chain,
        key_spki_sha256,
        role: choice.role,
        host: (choice.role == Role::Server && !host.is_empty()).then(|| host.to_string()),
        now,
        crls: choice.crls.iter().filter_map(source).collect(),
        ..Default::default()
    };
    match diagnose::diagnose(&request) {
        Ok(d) => Outcome::Done(d),
        Err(e) => Outcome::Failed(format!("{} #{}: {e}", leaf.source, leaf.index)),
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
