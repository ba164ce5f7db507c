//! The client certificate verifier: rustls's `WebPkiClientVerifier`, wrapped to enforce
//! `verify_depth` and to explain a rejection.
//!
//! rustls calls the verifier inside the poll of the handshake future, so the explanation is
//! handed to the connection that owns that future through a tokio task-local: no lock, no map
//! keyed by connection, and nothing to clean up when the connection goes away.

use std::cell::RefCell;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};

use super::explain::{self, Explained};

tokio::task_local! {
    /// The explanation of the last rejected chain of the handshake running in this task.
    pub static REJECTION: RefCell<Option<Explained>>;
}

/// Wraps a verifier; see the module documentation.
#[derive(Debug)]
pub struct ExplainingVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    /// The most CA certificates allowed above the client's own.
    depth: u32,
    /// The bundle's certificates, to not count an anchor the client also sent.
    anchors: Vec<CertificateDer<'static>>,
}

impl ExplainingVerifier {
    pub fn new(
        inner: Arc<dyn ClientCertVerifier>,
        depth: u32,
        anchors: Vec<CertificateDer<'static>>,
    ) -> Self {
        ExplainingVerifier {
            inner,
            depth,
            anchors,
        }
    }
}

fn record(e: Explained) {
    let _ = REJECTION.try_with(|cell| *cell.borrow_mut() = Some(e));
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
                    record(Explained::new(
                        "path_len_exceeded",
                        format!(
                            "client certificate chain is {cas} CAs deep, verify_depth allows {}",
                            self.depth
                        ),
                    ));
                    return Err(Error::InvalidCertificate(
                        CertificateError::ApplicationVerificationFailure,
                    ));
                }
                Ok(v)
            }
            Err(e) => {
                record(explain::rejected_chain(
                    &e,
                    end_entity,
                    intermediates,
                    &self.anchors,
                ));
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
