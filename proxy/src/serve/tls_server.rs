//! The listening side's rustls `ServerConfig`, built from the config at start and at each
//! reload, shared by every connection of that generation: versions, cipher suites in the
//! configured order, client verification with CRLs, the session cache and tickets under the
//! resumption policy, ALPN h2 and http/1.1.

use std::sync::Arc;

use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::ServerConfig;
use sha2::{Digest, Sha256};

use super::resumption::{Binding, BoundCache, BoundTicketer, SessionStore};
use super::verifier::{ExplainingVerifier, SpiffeVerifier};
use mtlskit_pki::load;
use rustls::server::danger::ClientCertVerifier;

use crate::config::{Config, CrlPolicy, CrlScope, Protocol, VerifyClient};

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
    /// A `ticket_key_file` cannot be used.
    #[error(transparent)]
    TicketKey(#[from] super::ticket_keys::TicketKeyError),
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

/// The CRLs client certificates are checked against, with their files.
pub type Crls = Arc<Vec<load::LoadedCrl>>;

/// The process's resumption state: kept across reloads that keep its settings, so a reload
/// that does not change what verified a session does not cost every client a full handshake.
#[derive(Clone, Default)]
pub struct Resumption {
    sessions: Option<Arc<SessionStore>>,
    /// The ticket key rotator and its rotation period.
    tickets: Option<(
        std::time::Duration,
        Arc<dyn rustls::server::ProducesTickets>,
    )>,
}

impl std::fmt::Debug for Resumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resumption")
            .field("sessions", &self.sessions.is_some())
            .field("tickets", &self.tickets.as_ref().map(|t| t.0))
            .finish()
    }
}

/// What [`build`] makes.
#[derive(Debug)]
pub struct Built {
    pub tls: Arc<ServerConfig>,
    /// The client CA bundle, which explanations of rejected chains diagnose against.
    pub anchors: Anchors,
    /// The CRLs, for the same explanations.
    pub crls: Crls,
    /// The resumption state to keep for the next reload.
    pub resumption: Resumption,
    /// The client-certificate verifier inside `tls` (for [`super::client_verifier`]).
    pub verifier: Arc<dyn rustls::server::danger::ClientCertVerifier>,
}

/// Builds the server config of one generation, reusing `kept`'s session store and ticket
/// keys when their settings did not change.
pub fn build(config: &Config, kept: &Resumption) -> Result<Built, TlsSetupError> {
    let s = &config.server;
    let provider = Arc::new(provider(config));
    let chain = load::certificates(&config.resolve(&s.certificate))?;
    let key_path = config.resolve(&s.key);
    let key = load::private_key(&key_path)?;

    let mut bundle: Anchors = Arc::new(Vec::new());
    let mut crls: Crls = Arc::new(Vec::new());
    let mut until = i64::MAX;
    let mut binding_hash = Sha256::new();
    binding_hash.update(format!(
        "{:?}/{}/{:?}/{:?}/{:?}",
        s.verify_client, s.verify_depth, s.crl_check, s.crl_unknown, s.crl_expired
    ));
    let verifier: Arc<dyn ClientCertVerifier> = if s.verify_client == VerifyClient::Off {
        WebPkiClientVerifier::no_client_auth()
    } else {
        let paths: Vec<_> = s.crl.iter().map(|p| config.resolve(p)).collect();
        let loaded = load::crls(&paths)?;
        // Each bundle: its certificates in the binding, and a webpki verifier of its own.
        let mut anchors = Vec::new();
        let mut verifier_for = |label: &str,
                                path: std::path::PathBuf|
         -> Result<_, TlsSetupError> {
            let certs = load::certificates(&path)?;
            binding_hash.update(label);
            for a in &certs {
                binding_hash.update(a.as_ref());
            }
            anchors.extend(certs);
            let roots = Arc::new(load::root_store(&path)?);
            for c in &loaded {
                // Each CRL alone first, so a bad one is named by its file.
                WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .with_crls([c.der.clone()])
                    .build()
                    .map_err(|e| TlsSetupError::Material {
                        path: c.path.display().to_string(),
                        problem: format!("is not a CRL that can be used ({e})"),
                    })?;
            }
            let mut builder = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
                .with_crls(loaded.iter().map(|c| c.der.clone()));
            if s.crl_check == CrlScope::Leaf {
                builder = builder.only_check_end_entity_revocation();
            }
            if s.crl_unknown == CrlPolicy::Allow {
                builder = builder.allow_unknown_revocation_status();
            }
            if s.crl_expired == CrlPolicy::Deny {
                builder = builder.enforce_revocation_expiration();
            }
            if s.verify_client == VerifyClient::Optional {
                builder = builder.allow_unauthenticated();
            }
            builder.build().map_err(|e| TlsSetupError::Material {
                path: path.display().to_string(),
                problem: format!("cannot verify clients with this bundle ({e})"),
            })
        };
        let fallback = match &s.client_ca {
            Some(ca) => Some(verifier_for("client_ca", config.resolve(ca))?),
            None => None,
        };
        let mut domains = Vec::new();
        for td in &config.trust_domains {
            let label = format!("trust_domain {}", td.name);
            domains.push((
                td.name.clone(),
                verifier_for(&label, config.resolve(&td.bundle))?,
            ));
        }
        for c in &loaded {
            binding_hash.update(c.der.as_ref());
            if s.crl_expired == CrlPolicy::Deny {
                if let Some(next) = crate::certinfo::crl_next_update(c.der.as_ref()) {
                    until = until.min(next);
                }
            }
        }
        let inner: Arc<dyn ClientCertVerifier> = match (fallback, domains.is_empty()) {
            (Some(v), true) => v,
            (fallback, _) => Arc::new(SpiffeVerifier::new(
                domains,
                fallback,
                s.verify_client == VerifyClient::Required,
            )),
        };
        crls = Arc::new(loaded);
        bundle = Arc::new(anchors);
        Arc::new(ExplainingVerifier::new(
            inner,
            s.verify_depth,
            bundle.clone(),
            s.client_chain_limit(),
            s.max_client_chain_bytes,
        ))
    };

    let mut tls = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions(&s.protocols))?
        .with_client_cert_verifier(verifier.clone())
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
        until,
    };
    let mut resumption = Resumption::default();
    tls.session_storage = if s.session_cache > 0 {
        let store = match &kept.sessions {
            Some(st) if st.sized(s.session_cache, s.session_cache_bytes) => st.clone(),
            _ => SessionStore::new(s.session_cache, s.session_cache_bytes),
        };
        resumption.sessions = Some(store.clone());
        BoundCache::new(binding, store)
    } else {
        Arc::new(NoServerSessionStorage {})
    };
    if s.session_tickets && !s.ticket_key_file.is_empty() {
        // Keys shared with the other instances: read again at each reload (rotation is
        // replacing the files), and nothing to keep across generations.
        let paths: Vec<_> = s
            .ticket_key_file
            .iter()
            .map(|p| config.resolve(p))
            .collect();
        let lifetime = u32::try_from(binding.timeout).unwrap_or(u32::MAX);
        let keys = Arc::new(super::ticket_keys::FileTicketer::load(&paths, lifetime)?);
        tls.ticketer = BoundTicketer::new(binding, keys);
    } else if s.session_tickets {
        // A ticket outlives neither the session timeout nor two key rotations (rustls's
        // rotator keeps the previous key until the next roll, however late that comes).
        let rotation = i64::try_from(s.ticket_key_rotation.0.as_secs()).unwrap_or(i64::MAX);
        let ticket_binding = Binding {
            timeout: binding.timeout.min(rotation.saturating_mul(2)),
            ..binding
        };
        let keys = match &kept.tickets {
            Some((period, keys)) if *period == s.ticket_key_rotation.0 => keys.clone(),
            _ => rotating_ticketer(s.ticket_key_rotation.0)?,
        };
        resumption.tickets = Some((s.ticket_key_rotation.0, keys.clone()));
        tls.ticketer = BoundTicketer::new(ticket_binding, keys);
    } else if s.session_cache == 0 {
        tls.send_tls13_tickets = 0;
    }
    Ok(Built {
        tls: Arc::new(tls),
        anchors: bundle,
        crls,
        resumption,
        verifier,
    })
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
