//! The listening side's rustls `ServerConfig`, built once from the config and shared by every
//! connection: versions, cipher suites in the configured order, client verification, the
//! session cache and tickets under the resumption policy, ALPN h2 and http/1.1.

use std::sync::Arc;

use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::ServerConfig;
use sha2::{Digest, Sha256};

use super::resumption::{Binding, BoundCache, BoundTicketer};
use super::verifier::ExplainingVerifier;
use mtlskit_pki::load;

use crate::config::{Config, Protocol, VerifyClient};

/// Why the TLS side could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A certificate, key or CA file cannot be used.
    #[error(transparent)]
    File(#[from] load::FileError),
    /// A file that reads but cannot serve (a key that does not go with its certificate).
    #[error("{path}: {problem}")]
    Material {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// rustls refused the settings.
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The provider with the configured suites, in the configured order (all of them when none
/// are named; TLS 1.3 suites are kept when only TLS 1.2 ones are named, as OpenSSL does).
pub fn provider(config: &Config) -> CryptoProvider {
    let mut p = aws_lc_rs::default_provider();
    let wanted = config.cipher_codes().codes;
    if wanted.is_empty() {
        return p;
    }
    let names_tls13 = wanted.iter().any(|c| c >> 8 == 0x13);
    let all = std::mem::take(&mut p.cipher_suites);
    let mut ordered: Vec<_> = Vec::new();
    if !names_tls13 {
        ordered.extend(
            all.iter()
                .filter(|s| u16::from(s.suite()) >> 8 == 0x13)
                .copied(),
        );
    }
    for code in &wanted {
        if let Some(s) = all.iter().find(|s| u16::from(s.suite()) == *code) {
            ordered.push(*s);
        }
    }
    p.cipher_suites = ordered;
    p
}

/// Versions as rustls wants them.
pub fn versions(protocols: &[Protocol]) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let mut v = Vec::new();
    if protocols.contains(&Protocol::Tls13) {
        v.push(&rustls::version::TLS13);
    }
    if protocols.contains(&Protocol::Tls12) {
        v.push(&rustls::version::TLS12);
    }
    v
}

/// The client CA bundle's certificates (empty when clients are not verified).
pub type Anchors = Arc<Vec<rustls_pki_types::CertificateDer<'static>>>;

/// Builds the shared server config; also returns the client CA bundle, which explanations of
/// rejected chains diagnose against.
pub fn build(config: &Config) -> Result<(Arc<ServerConfig>, Anchors), TlsSetupError> {
    let s = &config.server;
    let provider = Arc::new(provider(config));
    let chain = load::certificates(&config.resolve(&s.certificate))?;
    let key_path = config.resolve(&s.key);
    let key = load::private_key(&key_path)?;

    let mut bundle: Anchors = Arc::new(Vec::new());
    let mut binding_hash = Sha256::new();
    binding_hash.update(format!("{:?}/{}", s.verify_client, s.verify_depth));
    let verifier: Arc<dyn rustls::server::danger::ClientCertVerifier> =
        match (&s.client_ca, s.verify_client) {
            (Some(ca), mode) if mode != VerifyClient::Off => {
                let ca_path = config.resolve(ca);
                let anchors = load::certificates(&ca_path)?;
                for a in &anchors {
                    binding_hash.update(a.as_ref());
                }
                let roots = Arc::new(load::root_store(&ca_path)?);
                let builder = WebPkiClientVerifier::builder_with_provider(roots, provider.clone());
                let builder = if mode == VerifyClient::Optional {
                    builder.allow_unauthenticated()
                } else {
                    builder
                };
                let inner = builder.build().map_err(|e| TlsSetupError::Material {
                    path: ca_path.display().to_string(),
                    problem: format!("cannot verify clients with this bundle ({e})"),
                })?;
                bundle = Arc::new(anchors);
                Arc::new(ExplainingVerifier::new(
                    inner,
                    s.verify_depth,
                    bundle.clone(),
                    s.client_chain_limit(),
                    s.max_client_chain_bytes,
                ))
            }
            _ => WebPkiClientVerifier::no_client_auth(),
        };

    let mut tls = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions(&s.protocols))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::Material {
            path: key_path.display().to_string(),
            problem: format!("does not go with the certificate ({e})"),
        })?;
    tls.ignore_client_order = s.prefer_server_ciphers;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    let digest = binding_hash.finalize();
    let mut tag = [0u8; 8];
    tag.copy_from_slice(&digest[..8]);
    let binding = Binding {
        tag,
        timeout: i64::try_from(s.session_timeout.0.as_secs()).unwrap_or(i64::MAX),
    };
    tls.session_storage = if s.session_cache > 0 {
        BoundCache::new(binding, s.session_cache, s.session_cache_bytes)
    } else {
        Arc::new(NoServerSessionStorage {})
    };
    if s.session_tickets {
        // A ticket outlives neither the session timeout nor two key rotations (rustls's
        // rotator keeps the previous key until the next roll, however late that comes).
        let rotation = i64::try_from(s.ticket_key_rotation.0.as_secs()).unwrap_or(i64::MAX);
        let ticket_binding = Binding {
            timeout: binding.timeout.min(rotation.saturating_mul(2)),
            ..binding
        };
        tls.ticketer =
            BoundTicketer::new(ticket_binding, rotating_ticketer(s.ticket_key_rotation.0)?);
    } else if s.session_cache == 0 {
        tls.send_tls13_tickets = 0;
    }
    Ok((Arc::new(tls), bundle))
}

/// Ticket keys that rotate every `rotation`: rustls's `TicketRotator` over fresh aws-lc
/// ticketers, each with its own random key (aws-lc's own `Ticketer` rotates at a fixed 6 h).
fn rotating_ticketer(
    rotation: std::time::Duration,
) -> Result<Arc<dyn rustls::server::ProducesTickets>, rustls::Error> {
    fn fresh() -> Result<Box<dyn rustls::server::ProducesTickets>, rustls::crypto::GetRandomFailed>
    {
        match aws_lc_rs::Ticketer::new() {
            Ok(t) => Ok(Box::new(Fresh(t))),
            Err(_) => Err(rustls::crypto::GetRandomFailed),
        }
    }
    let secs = u32::try_from(rotation.as_secs()).unwrap_or(u32::MAX).max(1);
    Ok(Arc::new(rustls::ticketer::TicketRotator::new(secs, fresh)?))
}

/// One generation of ticket keys inside the rotator.
#[derive(Debug)]
struct Fresh(Arc<dyn rustls::server::ProducesTickets>);

impl rustls::server::ProducesTickets for Fresh {
    fn enabled(&self) -> bool {
        self.0.enabled()
    }
    fn lifetime(&self) -> u32 {
        self.0.lifetime()
    }
    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        self.0.encrypt(plain)
    }
    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        self.0.decrypt(cipher)
    }
}
