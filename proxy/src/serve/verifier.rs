//! The client certificate verifier: rustls's `WebPkiClientVerifier`, wrapped to enforce
//! `verify_depth` and the size of what a client may send (`max_client_chain`,
//! `max_client_chain_bytes`), and to keep a rejected chain for its explanation.
//!
//! rustls calls the verifier inside the poll of the handshake future, on a runtime worker, on
//! input no one has authenticated yet: so nothing here is more than a count or a copy. A
//! rejected chain is handed to the connection that owns that future through a tokio
//! task-local (no lock, no map keyed by connection, nothing to clean up when the connection
//! goes away), and explained after the handshake has failed, off the workers
//! (`listener::explain_rejection`).

use std::cell::RefCell;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};

use super::explain::Explained;

tokio::task_local! {
    /// The last rejection of the handshake running in this task.
    pub static REJECTION: RefCell<Option<Rejection>>;
}

/// What the verifier refused.
#[derive(Debug)]
pub enum Rejection {
    /// Explained already (a count: depth, size).
    Explained(Explained),
    /// A chain webpki refused, to be explained later: rustls's error and the chain, leaf
    /// first (its size is bounded by `max_client_chain_bytes`).
    Chain {
        error: Error,
        chain: Vec<CertificateDer<'static>>,
    },
}

/// Wraps a verifier; see the module documentation.
#[derive(Debug)]
pub struct ExplainingVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    /// The most CA certificates allowed above the client's own.
    depth: u32,
    /// The bundle's certificates, to not count an anchor the client also sent.
    anchors: Arc<Vec<CertificateDer<'static>>>,
    /// Most certificates a client may send, its own included.
    max_chain: usize,
    /// Most bytes of certificates a client may send.
    max_chain_bytes: usize,
}

impl ExplainingVerifier {
    pub fn new(
        inner: Arc<dyn ClientCertVerifier>,
        depth: u32,
        anchors: Arc<Vec<CertificateDer<'static>>>,
        max_chain: usize,
        max_chain_bytes: usize,
    ) -> Self {
        ExplainingVerifier {
            inner,
            depth,
            anchors,
            max_chain,
            max_chain_bytes,
        }
    }
}

/// Most certificates of a client's chain that may share one subject.
const MAX_SAME_SUBJECT: usize = 2;

/// The subject (as text) that more than [`MAX_SAME_SUBJECT`] of `certs` carry, if any. An
/// unreadable certificate is left to webpki, which refuses it.
fn crowded_subject(certs: &[CertificateDer<'_>]) -> Option<String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    if certs.len() <= MAX_SAME_SUBJECT {
        return None;
    }
    let subjects: Vec<&[u8]> = certs
        .iter()
        .filter_map(|c| X509Certificate::from_der(c.as_ref()).ok())
        .map(|(_, x)| x.tbs_certificate.subject.as_raw())
        .collect();
    subjects.iter().find_map(|s| {
        (subjects.iter().filter(|t| *t == s).count() > MAX_SAME_SUBJECT).then(|| {
            x509_parser::x509::X509Name::from_der(s)
                .map(|(_, n)| n.to_string())
                .unwrap_or_default()
        })
    })
}

fn record(r: Rejection) {
    let _ = REJECTION.try_with(|cell| *cell.borrow_mut() = Some(r));
}

fn refused(e: Explained) -> Error {
    record(Rejection::Explained(e));
    Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
}

impl ClientCertVerifier for ExplainingVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // Counted before webpki looks at a byte: a chain over the limits is refused unread.
        let count = 1 + intermediates.len();
        let bytes = end_entity.len() + intermediates.iter().map(|c| c.len()).sum::<usize>();
        if count > self.max_chain || bytes > self.max_chain_bytes {
            return Err(refused(Explained::new(
                "client_chain_too_large",
                format!(
                    "client sent {count} certificates ({bytes} bytes); max_client_chain allows {} and max_client_chain_bytes {}",
                    self.max_chain, self.max_chain_bytes
                ),
            )));
        }
        // webpki's path search tries every order of same-named CAs (factorial in their number,
        // up to its budget of 200,000 steps): a chain with more than two certificates of one
        // subject (two: a cross-signed CA) is refused before it starts.
        if let Some(name) = crowded_subject(intermediates) {
            return Err(refused(Explained::new(
                "client_chain_too_large",
                format!(
                    "client sent more than {MAX_SAME_SUBJECT} CA certificates named {}",
                    crate::certinfo::clip(&name)
                ),
            )));
        }
        match self
            .inner
            .verify_client_cert(end_entity, intermediates, now)
        {
            Ok(v) => {
                // The path is the leaf, the intermediates that are not anchors, then an anchor.
                let cas = 1 + intermediates
                    .iter()
                    .filter(|c| !self.anchors.iter().any(|a| a.as_ref() == c.as_ref()))
                    .count();
                if cas > self.depth as usize {
                    return Err(refused(Explained::new(
                        "path_len_exceeded",
                        format!(
                            "client certificate chain is {cas} CAs deep, verify_depth allows {}",
                            self.depth
                        ),
                    )));
                }
                Ok(v)
            }
            Err(e) => {
                // An inner verifier (SpiffeVerifier) may have explained it already.
                let explained = REJECTION
                    .try_with(|cell| cell.borrow().is_some())
                    .unwrap_or(false);
                if explained {
                    return Err(e);
                }
                record(Rejection::Chain {
                    error: e.clone(),
                    chain: std::iter::once(end_entity)
                        .chain(intermediates)
                        .map(|c| c.clone().into_owned())
                        .collect(),
                });
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// SPIFFE trust domains (`[[trust_domain]]`): a client certificate whose one URI SAN is a
/// SPIFFE ID is verified only against the bundle of that ID's trust domain (SPIFFE X509-SVID
/// spec, section 5: never against one pooled set of roots, so a CA of one domain cannot vouch
/// for an identity of another); a certificate without a SPIFFE ID goes to `client_ca` when
/// there is one. An SVID has exactly one URI SAN (section 2); one with more is refused.
#[derive(Debug)]
pub struct SpiffeVerifier {
    domains: Vec<(String, Arc<dyn ClientCertVerifier>)>,
    fallback: Option<Arc<dyn ClientCertVerifier>>,
    /// The CA names sent in the CertificateRequest: every bundle's and `client_ca`'s.
    hints: Vec<DistinguishedName>,
    mandatory: bool,
}

impl SpiffeVerifier {
    pub fn new(
        domains: Vec<(String, Arc<dyn ClientCertVerifier>)>,
        fallback: Option<Arc<dyn ClientCertVerifier>>,
        mandatory: bool,
    ) -> Self {
        let hints = domains
            .iter()
            .map(|(_, v)| v)
            .chain(&fallback)
            .flat_map(|v| v.root_hint_subjects().iter().cloned())
            .collect();
        SpiffeVerifier {
            domains,
            fallback,
            hints,
            mandatory,
        }
    }

    /// Any inner verifier: the signature checks do not depend on the roots.
    fn any(&self) -> Option<&Arc<dyn ClientCertVerifier>> {
        self.domains
            .first()
            .map(|(_, v)| v)
            .or(self.fallback.as_ref())
    }
}

/// The trust domain of a SPIFFE ID (`spiffe://example.org/path` -> `example.org`).
fn trust_domain(id: &str) -> &str {
    let rest = id.strip_prefix("spiffe://").unwrap_or("");
    rest.split('/').next().unwrap_or("")
}

impl ClientCertVerifier for SpiffeVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let Some(leaf) = crate::certinfo::read(end_entity.as_ref()) else {
            return Err(Error::InvalidCertificate(CertificateError::BadEncoding));
        };
        let spiffe = leaf.uris().filter(|u| u.starts_with("spiffe://")).count();
        let who = crate::certinfo::clip(leaf.subject.as_str());
        if spiffe == 0 {
            return match &self.fallback {
                Some(v) => v.verify_client_cert(end_entity, intermediates, now),
                None => Err(refused(Explained::new(
                    "spiffe_id_missing",
                    format!("client certificate {who} has no SPIFFE ID (URI SAN), and only SPIFFE trust domains are configured"),
                ))),
            };
        }
        let Some(id) = leaf.spiffe_id() else {
            return Err(refused(Explained::new(
                "spiffe_id_invalid",
                format!(
                    "client certificate {who} has {} URI SANs: an X509-SVID has exactly one",
                    leaf.uris().count()
                ),
            )));
        };
        let domain = trust_domain(id);
        match self.domains.iter().find(|(name, _)| name == domain) {
            Some((_, v)) => v.verify_client_cert(end_entity, intermediates, now),
            None => Err(refused(Explained::new(
                "spiffe_unknown_trust_domain",
                format!(
                    "client certificate {who} is {}, whose trust domain {} is not configured",
                    crate::certinfo::clip(id),
                    crate::certinfo::clip(domain)
                ),
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        match self.any() {
            Some(v) => v.verify_tls12_signature(message, cert, dss),
            None => Err(Error::General("no verifier".into())),
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        match self.any() {
            Some(v) => v.verify_tls13_signature(message, cert, dss),
            None => Err(Error::General("no verifier".into())),
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.any()
            .map(|v| v.supported_verify_schemes())
            .unwrap_or_default()
    }
}
