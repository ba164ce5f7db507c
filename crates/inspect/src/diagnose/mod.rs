//! Diagnosis: would this certificate be accepted, and if not, why — in words and stable codes.
//!
//! Given trust anchors (the CA bundle), the peer's chain (leaf first, intermediates in any order),
//! optionally its private key, the role it plays (an mTLS client or a server), the host name a
//! client would check and a moment in time, [`diagnose`] builds the best chain and checks it the
//! way a TLS verifier does. Every finding carries one of the stable codes documented in
//! docs/diagnosis.md and a sentence that says what to fix.
//!
//! Chain diagnosis needs the `std` feature (x509-parser); [`alert`] and [`handshake`] (why a
//! captured handshake failed) do not.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

#[cfg(feature = "std")]
use crate::error::Error;
use crate::finding::Finding;
#[cfg(feature = "std")]
use crate::finding::{Code, Severity};
use crate::time::Timestamp;

pub mod alert;
pub mod capture;
#[cfg(feature = "std")]
mod cert;
#[cfg(feature = "std")]
mod chain;
#[cfg(feature = "std")]
mod checks;
#[cfg(feature = "std")]
mod constraints;
pub mod handshake;
#[cfg(feature = "std")]
pub mod hostname;
#[cfg(feature = "std")]
mod profile;
#[cfg(feature = "std")]
mod revocation;

#[cfg(feature = "std")]
pub(crate) use cert::Cert;
#[cfg(feature = "std")]
pub(crate) use chain::issuers;
#[cfg(feature = "std")]
pub use chain::{MAX_CHECKS, MAX_DEPTH};

/// The role the certificate is used for: the TLS side it identifies.
pub use crate::tls::model::Role;

/// One DER certificate and where it came from ("client.pem #0").
#[derive(Clone, Debug)]
pub struct Source<'a> {
    /// The certificate's DER.
    pub der: &'a [u8],
    /// Where it came from, for messages ("client.pem #0").
    pub origin: String,
}

/// What to diagnose.
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    /// The trust anchors: the CA bundle a verifier is configured with.
    pub anchors: Vec<Source<'a>>,
    /// The peer's certificates, leaf first; the rest may be in any order.
    pub chain: Vec<Source<'a>>,
    /// SHA-256 of the SubjectPublicKeyInfo of the private key that goes with the leaf.
    pub key_spki_sha256: Option<String>,
    /// The side the leaf identifies.
    pub role: Role,
    /// The name a client connects to (servers only).
    pub host: Option<String>,
    /// The moment validity is checked at.
    pub now: Timestamp,
    /// Certificate revocation lists (DER) to check the chain against; none: no revocation
    /// checks (docs/diagnosis.md, "Revocation").
    pub crls: Vec<Source<'a>>,
    /// The certificate profile checked beyond what every verifier checks.
    pub profile: Profile,
    /// Whose decisions the verdict reproduces.
    pub verifier: Verifier,
    /// The most intermediate CAs the verifier allows between the leaf and the trust anchor
    /// (the proxy's `verify_depth` minus one, OpenSSL's `-verify_depth`); `None`: the engine's
    /// own bound ([`MAX_DEPTH`]).
    pub max_intermediates: Option<usize>,
}

/// The certificate profile a diagnosis holds the chain to, beyond path validation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// RFC 5280's MUSTs (criticality, key identifiers, serial numbers, name syntax): the
    /// profile of a private mTLS PKI, and the default.
    #[default]
    Rfc5280,
    /// RFC 5280 and, for TLS server certificates, the CA/Browser Forum Baseline Requirements
    /// (the public Web PKI): an EKU with serverAuth and without anyExtendedKeyUsage, the CN one
    /// of the SANs, root AKIs, RSA sizes in whole octets.
    WebPki,
}

impl Profile {
    /// "rfc5280" or "webpki", as the CLI spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Profile::Rfc5280 => "rfc5280",
            Profile::WebPki => "webpki",
        }
    }
}

/// Whose decisions a diagnosis reproduces where verifiers differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verifier {
    /// Path validation as RFC 5280 defines it (the default).
    #[default]
    Rfc5280,
    /// RFC 5280 and rustls-webpki's own refusals, so the verdict is `mtlskit serve`'s: it does
    /// not process directoryName, rfc822Name, URI and otherName constraints and refuses every
    /// such name under a constraint of its form (RFC 5280 4.2.1.10 lets it).
    Rustls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
/// Whether a verifier would accept the chain.
pub enum Verdict {
    /// No finding of severity error.
    Accepted,
    /// At least one finding of severity error.
    Rejected,
}

/// The diagnosis contract (docs/architecture.md, docs/diagnosis.md).
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    /// Accepted or rejected.
    pub verdict: Verdict,
    /// SHA-256 of each certificate of the chain built, leaf first.
    pub chain: Vec<String>,
    /// The subjects of the same certificates, for people.
    pub chain_subjects: Vec<crate::name::Name>,
    /// What is wrong (or noteworthy), worst first.
    pub findings: Vec<Finding>,
}

/// Diagnoses a request; an error only when the leaf itself cannot be read.
#[cfg(feature = "std")]
pub fn diagnose(request: &Request<'_>) -> Result<Diagnosis, Error> {
    diagnose_bounded(request, MAX_CHECKS)
}

/// [`diagnose`] with at most `max_checks` signature checks in the path search, for callers
/// that diagnose untrusted input on a CPU budget (the proxy explaining a rejected client
/// chain). Each check is also bounded: RSA keys above 8192 bits or with an exponent above 32
/// bits are not computed with (`x509::signature`).
#[cfg(feature = "std")]
pub fn diagnose_bounded(request: &Request<'_>, max_checks: usize) -> Result<Diagnosis, Error> {
    let leaf = request.chain.first().ok_or(Error::Malformed {
        what: "request",
        reason: String::from("there is no certificate to diagnose"),
    })?;
    let mut findings = Vec::new();
    let mut certs = alloc::vec![Cert::parse(leaf.der, leaf.origin.clone())?];
    let mut anchor = alloc::vec![false];
    // Unreadable extra certificates are reported and skipped: they cannot be in a chain.
    for (src, is_anchor) in request
        .chain
        .iter()
        .skip(1)
        .map(|s| (s, false))
        .chain(request.anchors.iter().map(|s| (s, true)))
    {
        match Cert::parse(src.der, src.origin.clone()) {
            Ok(c) => {
                certs.push(c);
                anchor.push(is_anchor);
            }
            Err(e) => findings.push(Finding::warning(
                Code::UnreadableCertificate,
                alloc::format!("{}: {e}; it was skipped", src.origin),
            )),
        }
    }
    // The leaf is trusted as is when it is itself in the bundle (pinning).
    anchor[0] = request.anchors.iter().any(|a| a.der == leaf.der);
    if request.anchors.is_empty() {
        findings.push(Finding::error(
            Code::UntrustedIssuer,
            "the CA bundle is empty, so nothing can be trusted",
        ));
    }
    // The verifier's depth limit: leaf, intermediates, anchor.
    let max_len = request
        .max_intermediates
        .map_or(MAX_DEPTH, |m| m.saturating_add(2));
    let mut outcome = chain::build(&certs, &anchor, 0, (max_checks, max_len), request.verifier);
    if !outcome.trusted && max_len < MAX_DEPTH {
        // Is the only way to the bundle a longer chain? Then that is what to say.
        let longer = chain::build(
            &certs,
            &anchor,
            0,
            (max_checks, MAX_DEPTH),
            request.verifier,
        );
        if longer.trusted {
            // Self-issued intermediates (a key rollover) do not count (RFC 5280 6.1.4 (l)).
            let inner = longer
                .path
                .get(1..longer.path.len() - 1)
                .unwrap_or_default();
            let logical = inner
                .iter()
                .filter(|i| certs.get(**i).is_some_and(|c| !c.self_issued()))
                .count();
            if logical > max_len - 2 {
                findings.push(checks::too_deep(&certs, &longer, max_len - 2));
            }
            outcome = longer;
        }
    }
    checks::run(request, &certs, &anchor, &outcome, &mut findings);
    findings.sort_by_key(|f| core::cmp::Reverse(f.severity));
    let verdict = if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::Rejected
    } else {
        Verdict::Accepted
    };
    let path = outcome.path.iter().filter_map(|i| certs.get(*i));
    let (chain, chain_subjects) = path.map(|c| (c.sha256.clone(), c.subject.clone())).unzip();
    Ok(Diagnosis {
        verdict,
        chain,
        chain_subjects,
        findings,
    })
}

/// The DER CRLs of a source: PEM `X509 CRL` blocks or DER. Other objects are skipped; a source
/// without a CRL is an error.
#[cfg(feature = "std")]
pub fn crls_in(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    use crate::sniff::{self, Object};
    let mut out = Vec::new();
    for blob in sniff::sniff(bytes)? {
        let blob = blob?;
        if blob.object == Object::Crl {
            out.push(crate::der::Reader::new(&blob.bytes).read()?.raw.to_vec());
        }
    }
    if out.is_empty() {
        return Err(Error::Malformed {
            what: "file",
            reason: String::from("it holds no certificate revocation list"),
        });
    }
    Ok(out)
}

/// The DER certificates of a source: a PEM bundle, DER, a PKCS#7 bundle, base64 or hex.
/// Other objects (keys, CSRs) are skipped; a source without certificates is an error.
#[cfg(feature = "std")]
pub fn certificates_in(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    use crate::sniff::{self, Object};
    let mut out = Vec::new();
    for blob in sniff::sniff(bytes)? {
        let blob = blob?;
        match blob.object {
            Object::Certificate => {
                out.push(crate::der::Reader::new(&blob.bytes).read()?.raw.to_vec())
            }
            Object::Pkcs7 => {
                let top = crate::der::Reader::new(&blob.bytes).read()?;
                for c in crate::x509::pkcs7_certificates(top.raw)? {
                    out.push(c.to_vec());
                }
            }
            _ => {}
        }
    }
    if out.is_empty() {
        return Err(Error::Malformed {
            what: "file",
            reason: String::from("it holds no certificate"),
        });
    }
    Ok(out)
}
