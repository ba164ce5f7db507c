//! rustls hooks that let the probe see what a plain client cannot: the server's chain even
//! when it is refused, whether the server asked for a client certificate (in TLS 1.3 that
//! request is encrypted, so the bytes alone cannot tell), which CAs it said it accepts, and
//! whether the probe had a certificate to send.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The probe connection's TLS secrets as NSS key log lines (`SSLKEYLOGFILE` format), from
/// rustls' `KeyLog` hook. Secrets: its `Debug` shows a count, never a line.
#[derive(Clone, Default)]
pub struct Secrets(Arc<Mutex<Vec<String>>>);

impl Secrets {
    /// The lines logged so far, each ending in a newline.
    pub fn text(&self) -> String {
        match self.0.lock() {
            Ok(g) => g.concat(),
            Err(p) => p.into_inner().concat(),
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |g| g.len());
        write!(f, "Secrets(<{n} lines>)")
    }
}

impl rustls::KeyLog for Secrets {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        match self.0.lock() {
            Ok(mut g) => g.push(line),
            Err(p) => p.into_inner().push(line),
        }
    }
}

/// What the hooks saw during one handshake.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// The server's certificates, leaf first.
    pub server_chain: Vec<Vec<u8>>,
    /// The verifier's error, when the server's chain was refused.
    pub server_rejected: Option<String>,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// The DER distinguished names of the CAs it accepts (may be empty: "any").
    pub acceptable_cas: Vec<Vec<u8>>,
    /// The signature schemes it accepts for the client's CertificateVerify.
    pub sigschemes: Vec<SignatureScheme>,
    /// The probe answered with a certificate (false: an empty Certificate message).
    pub client_cert_sent: bool,
}

pub type Shared = Arc<Mutex<Seen>>;

fn with(seen: &Shared, f: impl FnOnce(&mut Seen)) {
    match seen.lock() {
        Ok(mut g) => f(&mut g),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

/// Verifies the server like any client (or not at all with `--insecure`), keeping a copy of
/// the chain and the verdict.
#[derive(Debug)]
pub struct Verifier {
    pub inner: Option<Arc<dyn ServerCertVerifier>>,
    pub schemes: Vec<SignatureScheme>,
    pub provider: Arc<rustls::crypto::CryptoProvider>,
    pub seen: Shared,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = match &self.inner {
            Some(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            None => Ok(ServerCertVerified::assertion()),
        };
        with(&self.seen, |s| {
            s.server_chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.to_vec())
                .collect();
            s.server_rejected = result.as_ref().err().map(ToString::to_string);
        });
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// Offers the configured client certificate, if any, and records the server's request.
#[derive(Debug)]
pub struct Resolver {
    pub key: Option<Arc<CertifiedKey>>,
    pub seen: Shared,
}

impl ResolvesClientCert for Resolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        with(&self.seen, |s| {
            s.client_cert_requested = true;
            s.acceptable_cas = root_hint_subjects.iter().map(|d| d.to_vec()).collect();
            s.sigschemes = sigschemes.to_vec();
            s.client_cert_sent = self.key.is_some();
        });
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        // Always consulted, so a request is seen even without a certificate to send.
        true
    }
}
