//! The checks a TLS verifier makes on a chain, each turned into a finding a person can act on.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::cert::Cert;
use super::chain::Outcome;
use super::{constraints, hostname, Request, Role};
use crate::finding::{Code, Finding};
use crate::time::{relative_days, Timestamp};

const KU_DIGITAL_SIGNATURE: u16 = 1;
const KU_KEY_CERT_SIGN: u16 = 1 << 5;

pub fn run(
    req: &Request<'_>,
    certs: &[Cert<'_>],
    anchor: &[bool],
    out: &Outcome,
    findings: &mut Vec<Finding>,
) {
    let path: Vec<&Cert<'_>> = out.path.iter().filter_map(|i| certs.get(*i)).collect();
    let Some(leaf) = path.first().copied() else {
        return;
    };
    trust(req, certs, anchor, out, &path, findings);
    for pair in out.path.windows(2) {
        let (Some(child), Some(issuer)) = (certs.get(pair[0]), certs.get(pair[1])) else {
            continue;
        };
        if out.unchecked.contains(&(pair[0], pair[1])) {
            let alg = child.x509.signature_algorithm.algorithm.to_id_string();
            let alg = crate::oid::signature_name(&alg).map_or(alg.clone(), String::from);
            findings.push(child.proves(Finding::error(Code::UnsupportedAlgorithm, format!(
                "the signature on {} by {} ({alg}, with that CA's key) cannot be verified here, and rustls-webpki (mtlskit serve) does not implement it either: DSA, P-192, explicit curve parameters and Ed448 are refused; reissue with ECDSA P-256/P-384, RSA 2048+ or Ed25519",
                child.label(), issuer.label())), "signatureAlgorithm"));
        }
    }
    for (depth, cert) in path.iter().enumerate() {
        validity(cert, req.now, findings);
        if depth > 0 {
            issuer_checks(cert, depth, &path, req, findings);
        }
        if depth + 1 < path.len() || !out.trusted {
            if let Some(hash) = cert.weak_hash() {
                findings.push(cert.proves(Finding::warning(Code::Sha1Signature, format!(
                    "{} is signed with {hash}, which verifiers are dropping; reissue it with SHA-256", cert.label())), "signatureAlgorithm"));
            }
        }
        if let Some(bits) = cert.rsa_bits().filter(|b| *b < 2048) {
            findings.push(cert.proves(
                Finding::warning(
                    Code::WeakKey,
                    format!(
                        "{} has a {bits}-bit RSA key; use at least 2048 bits (or ECDSA P-256)",
                        cert.label()
                    ),
                ),
                "subjectPublicKeyInfo",
            ));
        }
    }
    leaf_checks(req, leaf, findings);
    super::profile::run(req, &path, out.trusted, findings);
    super::revocation::check(req, &path, out.trusted, findings);
    // rustls-webpki takes a trust anchor as its subject, key and name constraints: what else is
    // wrong with the anchor does not stop mtlskit serve, and the finding says so.
    if let (true, Some(anchor)) = (out.trusted && path.len() > 1, path.last()) {
        for f in findings.iter_mut().filter(|f| {
            f.certificate.as_deref() == Some(anchor.sha256.as_str())
                && f.severity == crate::finding::Severity::Error
                && !matches!(
                    f.code,
                    Code::NameConstraints | Code::UntrustedIssuer | Code::BadSignature
                )
                && !f.message.contains("mtlskit serve")
        }) {
            f.message.push_str(ANCHOR_NOTE);
        }
    }
}

/// Appended to findings about a trust anchor that rustls-webpki does not check.
const ANCHOR_NOTE: &str =
    " (rustls-webpki, so mtlskit serve, takes a trust anchor as configured and does not check this)";

/// The chain `out` (trusted, found beyond the verifier's depth limit) has more than `max`
/// intermediates.
pub fn too_deep(certs: &[Cert<'_>], out: &Outcome, max: usize) -> Finding {
    let count = out.path.len().saturating_sub(2);
    let path: Vec<&str> = out
        .path
        .iter()
        .filter_map(|i| certs.get(*i))
        .map(|c| c.subject.as_str())
        .collect();
    let finding = Finding::error(
        Code::ChainTooDeep,
        format!(
            "the only chain to the CA bundle ({}) has {count} intermediate CA(s); the verifier allows {max} (mtlskit serve: verify_depth {}): send a shorter chain or raise the limit",
            path.join(" <- "),
            max + 1
        ),
    );
    match out.path.first().and_then(|i| certs.get(*i)) {
        Some(leaf) => leaf.proves(finding, "issuer"),
        None => finding,
    }
}

/// Trusted, or why not: unknown issuer, missing intermediate, bad signature.
fn trust(
    req: &Request<'_>,
    certs: &[Cert<'_>],
    anchor: &[bool],
    out: &Outcome,
    path: &[&Cert<'_>],
    findings: &mut Vec<Finding>,
) {
    if out.trusted || req.anchors.is_empty() {
        return;
    }
    if out.exhausted {
        findings.push(Finding::error(Code::UntrustedIssuer, format!(
            "no chain to the CA bundle was found within {} signature checks; too many candidate certificates",
            out.budget)));
        return;
    }
    if let Some((child, issuer)) = out.bad_signatures.first() {
        let (c, i) = (&certs[*child], &certs[*issuer]);
        // Key identifiers that differ mean another CA that carries the same name (two
        // `pki init` runs, a re-keyed CA): an untrusted issuer, not a damaged certificate.
        let other_key =
            matches!((c.authority_key_id(), i.subject_key_id()), (Some(a), Some(s)) if a != s);
        if other_key {
            findings.push(c.proves(Finding::error(Code::UntrustedIssuer, format!(
                "{} was issued by a CA named {}, but not by the one in the CA bundle ({}): the key identifiers differ, so it is another CA with the same name",
                c.label(), c.issuer, i.label())), "issuer"));
        } else {
            findings.push(c.proves(Finding::error(Code::BadSignature, format!(
                "the signature on {} does not verify with the key of {}: it was not issued by that certificate, or it was altered",
                c.label(), i.label())), "signatureValue"));
        }
        return;
    }
    let Some(top) = path.last() else { return };
    let anchors: Vec<&Cert<'_>> = certs
        .iter()
        .zip(anchor)
        .filter(|(_, a)| **a)
        .map(|(c, _)| c)
        .collect();
    if top.self_issued() {
        findings.push(top.proves(Finding::error(Code::UntrustedIssuer, format!(
            "the chain ends at {}, a self-signed CA that is not in the CA bundle; add it to the bundle if you trust it",
            top.label())), "issuer"));
        return;
    }
    // The top's issuer was not given at all. An issuer of the same organisation as a trusted
    // CA, or one whose certificate URL the top names, is most likely a missing intermediate.
    let issuer_org = Cert::organisation(top.x509.issuer());
    let same_org = issuer_org.as_ref().is_some_and(|o| {
        anchors
            .iter()
            .any(|a| Cert::organisation(a.x509.subject()).as_ref() == Some(o))
    });
    let url = top.ca_issuers_url();
    if same_org || url.is_some() {
        let fetch = url
            .map(|u| format!(" (its certificate is published at {u})"))
            .unwrap_or_default();
        findings.push(top.proves(
            Finding::error(
                Code::MissingIntermediate,
                format!(
            "{} was issued by {}, which is not in the CA bundle and was not sent with it{fetch}; \
             if that is an intermediate CA, the peer must send it after its own certificate",
            top.label(), top.issuer),
            ),
            "issuer",
        ));
    } else {
        let known: Vec<&str> = anchors.iter().map(|a| a.subject.as_str()).take(3).collect();
        findings.push(top.proves(
            Finding::error(
                Code::UntrustedIssuer,
                format!(
                    "{} was issued by {}, which is not in the CA bundle (it holds {}{}); \
             if that is an intermediate CA, the peer must send it too",
                    top.label(),
                    top.issuer,
                    known.join("; "),
                    if anchors.len() > 3 { "; ..." } else { "" }
                ),
            ),
            "issuer",
        ));
    }
}

fn validity(cert: &Cert<'_>, now: Timestamp, findings: &mut Vec<Finding>) {
    let (from, until) = (cert.not_before(), cert.not_after());
    if now.0 > until {
        findings.push(cert.proves(
            Finding::error(
                Code::Expired,
                format!(
                    "{} expired {} ({})",
                    cert.label(),
                    relative_days(now.days_until(Timestamp(until))),
                    Timestamp(until)
                ),
            ),
            "notAfter",
        ));
    } else if now.0 < from {
        findings.push(cert.proves(
            Finding::error(
                Code::NotYetValid,
                format!(
                    "{} is not valid until {} ({}); check the clocks of the machines involved",
                    cert.label(),
                    Timestamp(from),
                    relative_days(now.days_until(Timestamp(from)))
                ),
            ),
            "notBefore",
        ));
    }
}

/// Checks of a certificate used to sign the one below it.
fn issuer_checks(
    cert: &Cert<'_>,
    depth: usize,
    path: &[&Cert<'_>],
    req: &Request<'_>,
    findings: &mut Vec<Finding>,
) {
    let role = req.role;
    let (is_ca, path_len) = cert.ca();
    // X.509 v1 roots predate basicConstraints; verifiers accept them as anchors.
    let v1_root = cert.x509.version().0 == 0 && cert.self_issued();
    if !is_ca && !v1_root {
        findings.push(cert.proves(Finding::error(Code::NotACa, format!(
            "{} signed {} but is not a CA (basicConstraints CA:TRUE is missing); only CA certificates may issue others",
            cert.label(), path[depth - 1].label())), "basicConstraints"));
    }
    if cert
        .key_usage()
        .is_some_and(|ku| ku & KU_KEY_CERT_SIGN == 0)
    {
        findings.push(cert.proves(
            Finding::error(
                Code::KeyUsage,
                format!(
                    "{} signs certificates but its key usage lacks keyCertSign",
                    cert.label()
                ),
            ),
            "keyUsage",
        ));
    }
    // Intermediates between this CA and the leaf; RFC 5280 6.1.4 (l) does not count
    // self-issued ones (a key rollover), rustls-webpki does.
    let rfc = req.verifier == super::Verifier::Rfc5280;
    let below = path
        .get(1..depth)
        .unwrap_or_default()
        .iter()
        .filter(|c| !(rfc && c.self_issued()))
        .count();
    if let Some(max) = path_len.filter(|max| below > *max as usize) {
        findings.push(cert.proves(Finding::error(Code::PathLenExceeded, format!(
            "{} allows {max} intermediate CA(s) below it (pathlen:{max}) but the chain has {below}", cert.label())), "basicConstraints"));
    }
    if let Some(nc) = cert.name_constraints() {
        if let Some(problem) = constraints::malformed(nc) {
            findings.push(cert.proves(
                Finding::error(
                    Code::NameConstraints,
                    format!(
                        "{}'s nameConstraints are malformed: {problem}",
                        cert.label()
                    ),
                ),
                "nameConstraints",
            ));
        }
        let mut budget = constraints::MAX_COMPARISONS;
        // RFC 5280 6.1.3 (b): not applied to self-issued intermediates (rustls-webpki does).
        let below = path.iter().take(depth).enumerate();
        for (_, subject) in below.filter(|(i, c)| !(rfc && *i > 0 && c.self_issued())) {
            if let Some(v) = constraints::violation(nc, subject, &mut budget, req.verifier) {
                findings.push(cert.proves(
                    Finding::error(
                        Code::NameConstraints,
                        format!(
                            "{} may only issue for names its nameConstraints allow: in {}, {v}",
                            cert.label(),
                            subject.label()
                        ),
                    ),
                    "nameConstraints",
                ));
            }
        }
    }
    // A CA's EKU, when present, limits what it may issue for (openssl and Windows enforce it).
    if !allows(cert, role) {
        let (code, purpose) = purpose(role);
        findings.push(cert.proves(Finding::error(code, format!(
            "{} limits its extended key usage and {purpose} is not in it, so certificates it issues cannot be used as a TLS {}",
            cert.label(), role_name(role))), "extKeyUsage"));
    }
}

/// Whether the certificate's EKU (absent = any) allows the role.
fn allows(cert: &Cert<'_>, role: Role) -> bool {
    match cert.eku() {
        None => true,
        Some((server, client, any)) => any || if role == Role::Client { client } else { server },
    }
}

const fn purpose(role: Role) -> (Code, &'static str) {
    match role {
        Role::Client => (Code::MissingClientAuthEku, "clientAuth"),
        Role::Server => (Code::MissingServerAuthEku, "serverAuth"),
    }
}

fn leaf_checks(req: &Request<'_>, leaf: &Cert<'_>, findings: &mut Vec<Finding>) {
    let (is_ca, _) = leaf.ca();
    if is_ca {
        findings.push(leaf.proves(Finding::error(Code::CaUsedAsLeaf, format!(
            "{} is a CA certificate (CA:TRUE) used as a {}; issue a separate end-entity certificate",
            leaf.label(), role_name(req.role))), "basicConstraints"));
    }
    if leaf
        .key_usage()
        .is_some_and(|ku| ku & KU_DIGITAL_SIGNATURE == 0)
    {
        findings.push(leaf.proves(
            Finding::error(
                Code::KeyUsage,
                format!(
                "{}'s key usage lacks digitalSignature, which a TLS {} needs to sign the handshake",
                leaf.label(),
                role_name(req.role)
            ),
            ),
            "keyUsage",
        ));
    }
    let (code, purpose) = purpose(req.role);
    if let Some((server, client, _)) = leaf.eku() {
        if !allows(leaf, req.role) {
            let has: Vec<&str> = [(server, "serverAuth"), (client, "clientAuth")]
                .iter()
                .filter(|(b, _)| *b)
                .map(|(_, n)| *n)
                .collect();
            let has = if has.is_empty() {
                String::from("neither")
            } else {
                has.join(" and ")
            };
            findings.push(leaf.proves(Finding::error(code, format!(
                "{}'s extended key usage allows {has}, not {purpose}: it cannot be used as a TLS {}",
                leaf.label(), role_name(req.role))), "extKeyUsage"));
        }
    }
    if let (Role::Server, Some(host)) = (req.role, req.host.as_deref()) {
        let sans = leaf.sans();
        if !hostname::covers(&sans, host) {
            findings.push(leaf.proves(
                Finding::error(
                    Code::HostnameMismatch,
                    format!(
                "{} does not cover \"{host}\": its names are {} (the subject CN is not checked)",
                leaf.label(), hostname::describe(&sans)),
                ),
                "subjectAltName",
            ));
        }
    }
    if let Some(fp) = &req.key_spki_sha256 {
        let leaf_fp = super::cert::sha256_hex(leaf.spki());
        if *fp != leaf_fp {
            findings.push(leaf.proves(
                Finding::error(
                    Code::KeyMismatch,
                    format!(
                        "the private key does not belong to {}: their public keys differ",
                        leaf.label()
                    ),
                ),
                "subjectPublicKeyInfo",
            ));
        }
    }
}

const fn role_name(role: Role) -> &'static str {
    match role {
        Role::Client => "client",
        Role::Server => "server",
    }
}
