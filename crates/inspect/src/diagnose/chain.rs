//! Path building: from a leaf, through any of the given certificates, to a trust anchor.
//!
//! Certificates may come in any order, with duplicates and cross-signed alternatives, so this
//! is a search, not a walk: depth-first over issuer candidates (same subject name as the
//! child's issuer name; anchors first, then those whose key identifier matches), verifying
//! each signature on the way. The search is bounded in depth and in signature checks, so a
//! hostile set of thousands of certificates cannot make it hang.

use alloc::vec;
use alloc::vec::Vec;

use super::cert::Cert;
use crate::x509::signature::{self, Verification};

/// The longest chain accepted (leaf, intermediates, anchor).
pub const MAX_DEPTH: usize = 8;
/// The most signature checks one search makes (the default budget; [`super::diagnose_bounded`]
/// takes a smaller one).
pub const MAX_CHECKS: usize = 256;

/// The result of a search.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Indexes into the certificates, leaf first; the best chain found.
    pub path: Vec<usize>,
    /// The path ends at a trust anchor.
    pub trusted: bool,
    /// (child, issuer) pairs whose names matched but whose signature did not verify.
    pub bad_signatures: Vec<(usize, usize)>,
    /// (child, issuer) pairs whose signature algorithm is not checked here.
    pub unchecked: Vec<(usize, usize)>,
    /// The search stopped at its bound before finding a trusted chain.
    pub exhausted: bool,
    /// The signature checks the search was allowed.
    pub budget: usize,
}

/// Searches for a chain from `certs[leaf]` to any `certs[i]` with `anchor[i]`, making at most
/// `budget` signature checks, of at most `max_len` certificates (bounded by [`MAX_DEPTH`]);
/// a chain that breaks name constraints as `verifier` reads them is passed over.
pub fn build(
    certs: &[Cert<'_>],
    anchor: &[bool],
    leaf: usize,
    (budget, max_len): (usize, usize),
    verifier: super::Verifier,
) -> Outcome {
    let mut search = Search {
        certs,
        anchor,
        checks: 0,
        max_len: max_len.min(MAX_DEPTH),
        verifier,
        first_complete: None,
        comparisons: super::constraints::MAX_COMPARISONS,
        out: Outcome {
            budget,
            ..Outcome::default()
        },
    };
    let mut path = vec![leaf];
    if search.dfs(&mut path) {
        search.out.trusted = true;
        search.out.path = path;
    } else if let Some(complete) = search.first_complete.take() {
        // Every chain to an anchor breaks a CA's name constraints: the first one found, for
        // the checks to say which.
        search.out.trusted = true;
        search.out.path = complete;
    } else if search.out.path.is_empty() {
        search.out.path = vec![leaf];
    }
    search.out
}

/// The certificates among `certs` that issued `certs[child]`, as the path builder would take
/// them: named as its issuer, and whose key verifies its signature (or whose signature
/// algorithm is not checked here, which the builder accepts too).
pub(crate) fn issuers(certs: &[Cert<'_>], child: usize) -> Vec<usize> {
    let anchor = vec![false; certs.len()];
    let search = Search {
        certs,
        anchor: &anchor,
        checks: 0,
        max_len: MAX_DEPTH,
        verifier: super::Verifier::Rfc5280,
        first_complete: None,
        comparisons: 0,
        out: Outcome::default(),
    };
    search
        .candidates(child, &[child])
        .into_iter()
        .take(MAX_CHECKS)
        .filter(|&issuer| search.verify(child, issuer) != Verification::Invalid)
        .collect()
}

struct Search<'c, 'a> {
    certs: &'c [Cert<'a>],
    anchor: &'c [bool],
    checks: usize,
    /// The longest path tried.
    max_len: usize,
    /// How name constraints are read.
    verifier: super::Verifier,
    /// The first path that reached an anchor but broke a name constraint.
    first_complete: Option<Vec<usize>>,
    /// Name-constraint comparisons left for judging complete paths.
    comparisons: usize,
    out: Outcome,
}

impl Search<'_, '_> {
    /// True when `path` (extended in place) reaches an anchor.
    fn dfs(&mut self, path: &mut Vec<usize>) -> bool {
        let Some(&child) = path.last() else {
            return false;
        };
        if self.anchor.get(child).copied().unwrap_or(false) {
            // A chain that breaks a CA's name constraints is not a chain: try the others, as
            // a path-building verifier does (RFC 4158).
            if self.within_constraints(path) {
                return true;
            }
            if self.first_complete.is_none() {
                self.first_complete = Some(path.clone());
            }
            return false;
        }
        if path.len() > self.out.path.len() {
            self.out.path = path.clone();
        }
        if path.len() >= self.max_len {
            return false;
        }
        for issuer in self.candidates(child, path) {
            if self.checks >= self.out.budget {
                self.out.exhausted = true;
                return false;
            }
            self.checks += 1;
            match self.verify(child, issuer) {
                Verification::Valid => {}
                Verification::Invalid => {
                    self.out.bad_signatures.push((child, issuer));
                    continue;
                }
                Verification::Unsupported(_) => self.out.unchecked.push((child, issuer)),
            }
            path.push(issuer);
            if self.dfs(path) {
                return true;
            }
            path.pop();
        }
        false
    }

    /// Certificates named as the child's issuer, not already on the path: anchors first, then
    /// those whose subject key identifier is the child's authority key identifier.
    fn candidates(&self, child: usize, path: &[usize]) -> Vec<usize> {
        let Some(c) = self.certs.get(child) else {
            return Vec::new();
        };
        let aki = c.authority_key_id();
        let mut found: Vec<(u8, usize)> = self
            .certs
            .iter()
            .enumerate()
            .filter(|(i, cand)| !path.contains(i) && cand.subject_raw() == c.issuer_raw())
            .filter(|(i, cand)| {
                !path
                    .iter()
                    .any(|p| self.certs.get(*p).is_some_and(|x| x.der == cand.der))
                    || *i == child
            })
            .map(|(i, cand)| {
                let key_match = match (aki, cand.subject_key_id()) {
                    (Some(a), Some(s)) if a == s => 0,
                    (Some(_), Some(_)) => 2,
                    _ => 1,
                };
                let rank = if self.anchor.get(i).copied().unwrap_or(false) {
                    0
                } else {
                    3
                };
                (rank + key_match, i)
            })
            .collect();
        found.sort_unstable();
        found.dedup_by(|a, b| self.certs[a.1].der == self.certs[b.1].der);
        found.into_iter().map(|(_, i)| i).collect()
    }

    /// Whether every CA of `path` allows the names of the certificates below it; when the
    /// comparison budget is spent, the path is taken as it is (the checks then say why).
    fn within_constraints(&mut self, path: &[usize]) -> bool {
        for (depth, ca) in path.iter().enumerate().skip(1) {
            let Some(nc) = self.certs.get(*ca).and_then(|c| c.name_constraints()) else {
                continue;
            };
            for (i, below) in path[..depth].iter().enumerate() {
                let Some(cert) = self.certs.get(*below) else {
                    continue;
                };
                if i > 0 && cert.self_issued() && self.verifier == super::Verifier::Rfc5280 {
                    continue; // RFC 5280 6.1.3 (b)
                }
                if self.comparisons == 0 {
                    return true;
                }
                if super::constraints::violation(nc, cert, &mut self.comparisons, self.verifier)
                    .is_some()
                {
                    return false;
                }
            }
        }
        true
    }

    fn verify(&self, child: usize, issuer: usize) -> Verification {
        let (Some(c), Some(i)) = (self.certs.get(child), self.certs.get(issuer)) else {
            return Verification::Invalid;
        };
        signature::verify(
            &c.x509.signature_algorithm.algorithm.to_id_string(),
            c.signature_params(),
            i.spki(),
            c.x509.tbs_certificate.as_ref(),
            &c.x509.signature_value.data,
        )
    }
}
