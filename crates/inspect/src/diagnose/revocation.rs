//! Revocation (RFC 5280 6.3): the certificates of the chain against the CRLs given.
//!
//! Only when at least one CRL is given. Every certificate of the chain below the trust anchor
//! is checked against the CRLs of its issuer (same issuer name, 6.3.3 (b)): a CRL whose
//! signature does not verify with the issuer's key, or whose issuer lacks cRLSign, is not used
//! (`crl_not_signed_by_issuer`); an expired one is reported (`crl_expired`, as rustls-webpki
//! with an expiration policy, nginx and `openssl verify -crl_check` refuse it); a listed serial
//! is `revoked`; an issuer without any CRL is `crl_missing_for_issuer` (nginx's `ssl_crl` and
//! rustls-webpki's default unknown-status policy refuse such a chain). The anchor itself is
//! not checked: it is trusted by configuration (6.1).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::cert::{sha256_hex, Cert};
use super::Request;
use crate::finding::{Code, Finding};
use crate::name::Name;
use crate::span::Span;
use crate::time::{relative_days, Timestamp};
use crate::x509::crl;
use crate::x509::signature::Verification;

/// keyUsage cRLSign (RFC 5280 4.2.1.3), bit 6.
const KU_CRL_SIGN: u16 = 1 << 6;

/// One CRL of the request, read once.
struct Crl<'a> {
    der: &'a [u8],
    origin: &'a str,
    issuer: &'a [u8],
    issuer_text: Name,
    next_update: Option<Timestamp>,
    sha256: String,
    signature: Span,
    next_update_span: Span,
    entries: Vec<Span>,
    /// Why the CRL may not be used (RFC 5280 5.2), if it may not.
    unusable: Option<&'static str>,
}

pub fn check(req: &Request<'_>, path: &[&Cert<'_>], trusted: bool, findings: &mut Vec<Finding>) {
    if req.crls.is_empty() {
        return;
    }
    let mut crls = Vec::new();
    for src in &req.crls {
        let parsed = crl::decode(src.der, None).and_then(|d| Ok((d, crl::issuer_der(src.der)?)));
        match parsed {
            Ok((decoded, issuer)) => {
                let crate::report::ItemBody::Crl(body) = decoded.body else {
                    continue;
                };
                let (signature, next_update_span, entries) = crl::spans(src.der);
                let unusable = unusable(&body);
                crls.push(Crl {
                    der: src.der,
                    origin: &src.origin,
                    issuer,
                    issuer_text: body.issuer,
                    next_update: body.next_update_unix.map(Timestamp),
                    sha256: sha256_hex(src.der),
                    signature,
                    next_update_span,
                    entries,
                    unusable,
                });
            }
            Err(e) => findings.push(Finding::warning(
                Code::UnreadableCertificate,
                format!("{}: {e}; the CRL was skipped", src.origin),
            )),
        }
    }
    // The anchor ends a trusted path and is not checked.
    let checked = if trusted {
        path.len().saturating_sub(1)
    } else {
        path.len()
    };
    for (depth, cert) in path.iter().enumerate().take(checked) {
        let issuer = path.get(depth + 1).copied();
        let theirs: Vec<&Crl<'_>> = crls
            .iter()
            .filter(|c| c.issuer == cert.issuer_raw())
            .collect();
        if theirs.is_empty() {
            findings.push(cert.proves(
                Finding::error(
                    Code::CrlMissingForIssuer,
                    format!(
                        "no CRL of {} was given, so the revocation status of {} is unknown; a verifier that checks revocation (nginx ssl_crl, the proxy's crl) refuses it unless it allows unknown status",
                        cert.issuer,
                        cert.label()
                    ),
                ),
                "issuer",
            ));
            continue;
        }
        for c in theirs {
            if let Some(why) = c.unusable {
                findings.push(
                    Finding::error(
                        Code::CrlUnusable,
                        format!(
                            "the CRL {} of {} {why}, so it cannot be used for {}{}",
                            c.origin,
                            c.issuer_text,
                            cert.label(),
                            super::profile::LENIENT
                        ),
                    )
                    .in_certificate(&c.sha256, None),
                );
                continue;
            }
            if let Some(i) = issuer {
                if let Some(f) = signature(c, i) {
                    findings.push(f);
                    continue;
                }
            }
            if let Some(next) = c.next_update.filter(|n| req.now > *n) {
                findings.push(
                    Finding::error(
                        Code::CrlExpired,
                        format!(
                            "the CRL of {} ({}) expired {} (nextUpdate {next}); the CA must publish a new one, and verifiers refuse {} until it does",
                            c.issuer_text,
                            c.origin,
                            relative_days(req.now.days_until(next)),
                            cert.label()
                        ),
                    )
                    .in_certificate(&c.sha256, Some(c.next_update_span)),
                );
            }
            if let Ok(Some(r)) = crl::revocation(cert.der, &[c.der]) {
                findings.push(
                    Finding::error(Code::Revoked, format!("the {r}, in {}", c.origin))
                        .in_certificate(&c.sha256, c.entries.get(r.entry_index).copied()),
                );
            }
        }
    }
}

/// Why a CRL breaks RFC 5280 5.2 so that it cannot be used: the cRLNumber every CRL must have,
/// non-critical (5.2.3); a delta CRL (5.2.4), which is read only with its base CRL.
fn unusable(body: &crate::objects::Crl) -> Option<&'static str> {
    let number = body.extensions.iter().find(|e| e.oid == "2.5.29.20");
    match number {
        None => Some("has no cRLNumber, which RFC 5280 5.2.3 requires"),
        Some(n) if n.critical => Some("marks its cRLNumber critical, which RFC 5280 5.2.3 forbids"),
        _ if body.extensions.iter().any(|e| e.oid == "2.5.29.27") => {
            Some("is a delta CRL, which is not read without its base CRL (RFC 5280 5.2.4)")
        }
        _ => None,
    }
}

/// Why a CRL cannot be used for the certificates `issuer` signed, if it cannot.
fn signature(c: &Crl<'_>, issuer: &Cert<'_>) -> Option<Finding> {
    let problem = if issuer.key_usage().is_some_and(|ku| ku & KU_CRL_SIGN == 0) {
        format!(
            "the CRL {} names {} as its issuer, but that CA's key usage lacks cRLSign, so it may not sign CRLs (RFC 5280 6.3.3 (f)){}",
            c.origin,
            issuer.label(),
            super::profile::LENIENT
        )
    } else {
        match crl::verify(c.der, issuer.spki()) {
            Ok(Verification::Valid | Verification::Unsupported(_)) => return None,
            Ok(Verification::Invalid) | Err(_) => format!(
                "the CRL {} names {} as its issuer, but its signature does not verify with that CA's key: it was altered, or another CA of the same name signed it",
                c.origin,
                issuer.label()
            ),
        }
    };
    Some(
        Finding::error(Code::CrlNotSignedByIssuer, problem)
            .in_certificate(&c.sha256, Some(c.signature)),
    )
}
