//! Why a handshake failed, in a sentence a person understands, with a stable reason code for
//! the per-reason counters.
//!
//! rustls says *what* failed (`UnknownIssuer`, `Expired`...); the presented chain says *which*
//! certificate and by how much, so both are combined here. The certificate facts come from
//! [`certinfo`] (the inspect crate's names and numbers), and a rejected chain is also run
//! through the inspect crate's diagnosis engine (the one behind `mtlskit diagnose`, the probe
//! and the web page), whose findings go into the log line. Only failures pay for this, after
//! the handshake has failed, on the blocking pool (`listener::explain_rejection`), within a
//! budget: at most [`MAX_CHECKS`] signature checks, each bounded by the inspect crate (no RSA
//! above 8192 bits or with an exponent above 32 bits).

use rustls::{CertificateError, Error, PeerIncompatible};
use rustls_pki_types::CertificateDer;

use crate::certinfo::{self, human, CertInfo};

/// An explained handshake failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    /// Stable code, as in docs/ (`client_certificate_missing`, `untrusted_issuer`, ...).
    pub code: &'static str,
    pub reason: String,
    /// The diagnosis engine's findings on the chain ("code: message"), for rejected chains.
    pub diagnosis: Vec<String>,
}

impl Explained {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Explained {
            code,
            reason: reason.into(),
            diagnosis: Vec::new(),
        }
    }
}

/// The most signature checks one explanation makes (`mtlskit diagnose` allows 256): a chain
/// a legitimate client sends needs one per certificate.
pub const MAX_CHECKS: usize = 16;

/// The diagnosis engine's error findings on a client chain against the client CA bundle.
fn diagnose_chain(
    chain: &[CertificateDer<'_>],
    anchors: &[CertificateDer<'static>],
) -> Vec<mtlskit_inspect::Finding> {
    use mtlskit_inspect::diagnose::{self, Request, Role, Source};
    let chain = chain
        .iter()
        .enumerate()
        .map(|(i, c)| Source {
            der: c.as_ref(),
            origin: if i == 0 {
                "the client certificate".into()
            } else {
                format!("client chain #{i}")
            },
        })
        .collect();
    let anchors = anchors
        .iter()
        .enumerate()
        .map(|(i, c)| Source {
            der: c.as_ref(),
            origin: format!("client CA bundle #{i}"),
        })
        .collect();
    let request = Request {
        anchors,
        chain,
        key_spki_sha256: None,
        role: Role::Client,
        host: None,
        now: mtlskit_inspect::Timestamp::now(),
        // Explain what rustls decided, with its own refusals (docs/diagnosis.md).
        verifier: diagnose::Verifier::Rustls,
        ..Default::default()
    };
    match diagnose::diagnose_bounded(&request, MAX_CHECKS) {
        Ok(d) => d
            .findings
            .into_iter()
            .filter(|f| f.severity == mtlskit_inspect::Severity::Error)
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn facts(der: &[u8]) -> Option<CertInfo> {
    certinfo::read(der)
}

/// Explains a rejected client certificate chain: rustls's error made concrete, plus the
/// diagnosis engine's findings (which also name the problem when rustls's error is generic).
/// `chain` is the leaf, then what the client sent with it.
pub fn rejected_chain(
    err: &Error,
    chain: &[CertificateDer<'_>],
    anchors: &[CertificateDer<'static>],
    crls: &[mtlskit_pki::load::LoadedCrl],
) -> Explained {
    let Some((end_entity, intermediates)) = chain.split_first() else {
        return tls_error(err);
    };
    let mut explained = classify(err, end_entity, intermediates, crls);
    let findings = diagnose_chain(chain, anchors);
    if explained.code == "client_certificate_rejected" {
        if let Some(f) = findings.first() {
            explained.code = f.code.as_str();
            explained.reason = f.message.clone();
        }
    }
    explained.diagnosis = findings
        .iter()
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect();
    explained
}

fn classify(
    err: &Error,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    crls: &[mtlskit_pki::load::LoadedCrl],
) -> Explained {
    let Some(leaf) = facts(end_entity) else {
        return Explained::new(
            "bad_encoding",
            "client sent a certificate that cannot be decoded",
        );
    };
    let who = format!("client certificate {}", leaf.subject);
    let now = mtlskit_inspect::Timestamp::now().0;
    if let Error::InvalidCertRevocationList(e) = err {
        return Explained::new(
            crl_code(e),
            format!("{who} refused: a CRL of its chain cannot be used ({e:?}); see mtlskit check"),
        );
    }
    let Error::InvalidCertificate(ce) = err else {
        return Explained::new(
            "client_certificate_rejected",
            format!("{who} rejected: {err}"),
        );
    };
    match ce {
        CertificateError::UnknownIssuer => {
            let top = intermediates
                .last()
                .and_then(|c| facts(c))
                .unwrap_or_else(|| leaf.clone());
            Explained::new(
                "untrusted_issuer",
                format!(
                    "{who} issued by {}, which is not in the client CA bundle",
                    top.issuer
                ),
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            // The expired one may be an intermediate; name the first that is.
            let expired = std::iter::once(leaf.clone())
                .chain(intermediates.iter().filter_map(|c| facts(c)))
                .find(|c| c.not_after < now)
                .unwrap_or_else(|| leaf.clone());
            let what = if expired.subject == leaf.subject {
                who.clone()
            } else {
                format!("{who}: its issuer {}", expired.subject)
            };
            Explained::new(
                "expired",
                format!("{what} expired {} ago", human(now - expired.not_after)),
            )
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            Explained::new(
                "not_yet_valid",
                format!(
                    "{who} is not valid yet: it starts in {}",
                    human(leaf.not_before - now)
                ),
            )
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            let eku = if leaf.extended_key_usage.is_empty() {
                "none".to_string()
            } else {
                leaf.extended_key_usage.join(", ")
            };
            Explained::new(
                "missing_client_auth_eku",
                format!("{who} is not for client authentication (its extended key usage: {eku})"),
            )
        }
        CertificateError::BadSignature => Explained::new(
            "bad_signature",
            format!("{who}: the signature of {} does not verify", leaf.issuer),
        ),
        CertificateError::Revoked => revoked(&who, end_entity, intermediates, crls),
        CertificateError::UnknownRevocationStatus => {
            // The first certificate of the chain whose issuer has no CRL among server.crl.
            let crl_issuers: Vec<mtlskit_inspect::Name> = crls
                .iter()
                .filter_map(|c| certinfo::read_crl(c.der.as_ref()).map(|i| i.issuer))
                .collect();
            let chain: Vec<CertInfo> = std::iter::once(leaf.clone())
                .chain(intermediates.iter().filter_map(|c| facts(c)))
                .collect();
            let uncovered = chain
                .iter()
                .find(|c| !crl_issuers.contains(&c.issuer))
                .unwrap_or(&leaf);
            let what = if uncovered.subject == leaf.subject {
                who.clone()
            } else {
                format!("{who}: its issuer {}", uncovered.subject)
            };
            Explained::new(
                "crl_missing_for_issuer",
                format!(
                    "{what}: no CRL among server.crl is from {}, and crl_unknown = \"deny\"",
                    uncovered.issuer
                ),
            )
        }
        CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            let expired = crls
                .iter()
                .filter_map(|c| certinfo::read_crl(c.der.as_ref()).map(|i| (c, i)))
                .filter(|(_, i)| i.next_update.is_some_and(|n| n <= now))
                .map(|(c, i)| {
                    format!(
                        "the CRL of {} in {} expired {} ago",
                        i.issuer,
                        c.path.display(),
                        human(now - i.next_update.unwrap_or(now))
                    )
                })
                .collect::<Vec<_>>();
            let what = if expired.is_empty() {
                "a CRL of its chain has expired".to_string()
            } else {
                expired.join("; ")
            };
            Explained::new(
                "crl_expired",
                format!(
                    "{who} refused: {what} (crl_expired = \"deny\"; publish a new CRL and reload)"
                ),
            )
        }
        other => Explained::new(
            "client_certificate_rejected",
            format!("{who} rejected: {other:?}"),
        ),
    }
}

/// "client certificate CN=x serial 0a:1b was revoked on 2026-12-01T10:00:00Z (keyCompromise)
/// by the CRL of CN=CA, next update ...": the first certificate of the chain a CRL lists.
fn revoked(
    who: &str,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    crls: &[mtlskit_pki::load::LoadedCrl],
) -> Explained {
    let crls: Vec<&[u8]> = crls.iter().map(|c| c.der.as_ref()).collect();
    let found = std::iter::once(end_entity)
        .chain(intermediates)
        .enumerate()
        .find_map(|(i, c)| {
            mtlskit_inspect::x509::revocation(c.as_ref(), &crls)
                .ok()
                .flatten()
                .map(|r| (i, r))
        });
    let Some((i, r)) = found else {
        return Explained::new("revoked", format!("{who} is revoked"));
    };
    let what = if i == 0 {
        who.to_string()
    } else {
        format!("{who}: its issuer {}", r.subject)
    };
    let reason = r
        .reason
        .map(|r| format!(" ({})", r.as_str()))
        .unwrap_or_default();
    let next = r
        .next_update
        .map(|n| format!(", next update {n}"))
        .unwrap_or_default();
    Explained::new(
        "revoked",
        format!(
            "{what} serial {} was revoked on {}{reason} by the CRL of {}{next}",
            r.serial_colon, r.revoked_at, r.crl_issuer
        ),
    )
}

/// The code of a CRL webpki could not use when it checked a chain against it.
fn crl_code(e: &rustls::CertRevocationListError) -> &'static str {
    match e {
        rustls::CertRevocationListError::BadSignature
        | rustls::CertRevocationListError::IssuerInvalidForCrl => "crl_not_signed_by_issuer",
        _ => "crl_unusable",
    }
}

/// A rejected chain that is not explained (the explainers were busy): rustls's error alone,
/// with the code it implies, nothing read from the chain.
pub fn unexplained(err: &Error) -> Explained {
    let code = match err {
        Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => "untrusted_issuer",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "not_yet_valid"
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "missing_client_auth_eku"
            }
            CertificateError::BadSignature => "bad_signature",
            CertificateError::Revoked => "revoked",
            CertificateError::UnknownRevocationStatus => "crl_missing_for_issuer",
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => "crl_expired",
            _ => "client_certificate_rejected",
        },
        Error::InvalidCertRevocationList(e) => crl_code(e),
        _ => return tls_error(err),
    };
    Explained::new(
        code,
        format!("client certificate rejected ({err}); not explained: the explainers were busy"),
    )
}

/// Explains a handshake error that the verifier did not (no certificate, versions, ciphers,
/// alerts, I/O).
pub fn handshake_error(err: &std::io::Error) -> Explained {
    if let Some(tls) = err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        return tls_error(tls);
    }
    match err.kind() {
        std::io::ErrorKind::UnexpectedEof => Explained::new(
            "client_closed",
            "client closed the connection during the handshake",
        ),
        std::io::ErrorKind::ConnectionReset => Explained::new(
            "client_closed",
            "client reset the connection during the handshake",
        ),
        std::io::ErrorKind::InvalidData => Explained::new(
            "not_tls",
            format!("client sent something that is not TLS ({err})"),
        ),
        _ => Explained::new("io_error", format!("handshake I/O error: {err}")),
    }
}

fn tls_error(err: &Error) -> Explained {
    match err {
        Error::NoCertificatesPresented => {
            Explained::new("client_certificate_missing", "client sent no certificate")
        }
        Error::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCipherSuitesInCommon => Explained::new(
                "no_common_cipher",
                "no cipher suite in common: the client offers none of the configured ciphers",
            ),
            PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled
            | PeerIncompatible::Tls13RequiredForQuic
            | PeerIncompatible::SupportedVersionsExtensionRequired => Explained::new(
                "protocol_version",
                format!(
                    "no protocol version in common: the client does not offer one the server allows ({p:?})"
                ),
            ),
            other => Explained::new("incompatible", format!("client is incompatible: {other:?}")),
        },
        Error::AlertReceived(a) => Explained::new(
            "client_alert",
            format!("client aborted the handshake with alert {a:?} (it rejected the server)"),
        ),
        Error::InvalidMessage(m) => Explained::new(
            "not_tls",
            format!("client sent an invalid TLS message ({m:?}); plain HTTP to a TLS port?"),
        ),
        Error::InvalidCertificate(c) => Explained::new(
            "client_certificate_rejected",
            format!("client certificate rejected: {c:?}"),
        ),
        other => Explained::new("handshake_error", format!("handshake failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human(3 * 86_400 + 5), "3 days");
        assert_eq!(human(-7200), "2 hours");
        assert_eq!(human(61), "61 seconds");
        assert_eq!(human(86_400), "24 hours");
    }

    #[test]
    fn no_certificate() {
        let e = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Error::NoCertificatesPresented,
        );
        assert_eq!(handshake_error(&e).reason, "client sent no certificate");
    }
}
