//! mtlskit-probe: the mTLS test client behind `mtlskit probe URL`.
//!
//! Connects like curl (client certificate, key and CA options alike), sends `GET`, and prints
//! the response together with the handshake as the inspect crate decodes it from the recorded
//! bytes: versions and suites offered and chosen, the server's chain with validity, whether
//! the server asked for a client certificate and which CAs it accepts, what the probe sent,
//! alerts — and when it fails, a verdict with the reason (the diagnosis engine's words).

#![deny(missing_docs)]

mod error;
mod hooks;
mod pcap;
mod record;
mod report;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use mtlskit_inspect::Timestamp;
use mtlskit_pki::load;

pub use error::Error;
pub use report::{AlertSeen, Negotiated, Outcome, ProbeReport, Response};

/// What to probe and how: the options of `mtlskit probe`, as curl names them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The https:// URL to request.
    pub url: String,
    /// Client certificate (PEM; further certificates are sent as its chain).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key: Option<PathBuf>,
    /// CA bundle to verify the server with (`None`: the system bundle).
    pub ca: Option<PathBuf>,
    /// The name to send in SNI and verify the server certificate for (`None`: the URL's host).
    pub server_name: Option<String>,
    /// Which TLS versions to offer.
    pub versions: Versions,
    /// Do not verify the server's certificate (its problems are still reported).
    pub insecure: bool,
    /// How long to wait for the connection and for each answer.
    pub timeout: Duration,
}

impl Options {
    /// Options for `url` with everything else at curl's defaults (10 s timeout).
    pub fn new(url: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            cert: None,
            key: None,
            ca: None,
            server_name: None,
            versions: Versions::Both,
            insecure: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The TLS versions the probe offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versions {
    /// TLS 1.3 and TLS 1.2.
    Both,
    /// TLS 1.2 only.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// The probe's arguments after the second stage of checking.
struct Plan {
    url: String,
    host: String,
    port: u16,
    path: String,
    server_name: String,
    roots: Option<rustls::RootCertStore>,
    ca_path: Option<PathBuf>,
    key: Option<Arc<rustls::sign::CertifiedKey>>,
    client_chain: Vec<Vec<u8>>,
    versions: Vec<&'static rustls::SupportedProtocolVersion>,
    insecure: bool,
    timeout: Duration,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

/// Probes once at the moment `now`: connects, sends `GET`, reads the response and decodes
/// what was sent and received. `Err` is a problem with the options (a bad URL, an unreadable
/// file, a key that does not go with its certificate); a failed connection or handshake is a
/// report whose verdict says why.
pub async fn probe(options: &Options, now: Timestamp) -> Result<ProbeReport, Error> {
    let plan = plan(options)?;
    Ok(run(&plan, now).await)
}

fn plan(args: &Options) -> Result<Plan, Error> {
    let uri: hyper::Uri = args.url.parse().map_err(|source| Error::BadUrl {
        url: args.url.clone(),
        source,
    })?;
    if uri.scheme_str() != Some("https") {
        return Err(Error::NotHttps(args.url.clone()));
    }
    let host = uri.host().ok_or_else(|| Error::NoHost(args.url.clone()))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = match &args.ca {
        Some(p) => Some(load::root_store(p)?),
        None => None,
    };
    let (key, client_chain) =
        match (&args.cert, &args.key) {
            (Some(c), Some(k)) => {
                let chain = load::certificates(c)?;
                let der = load::private_key(k)?;
                let ders = chain.iter().map(|c| c.to_vec()).collect();
                let certified = rustls::sign::CertifiedKey::from_der(chain, der, &provider)
                    .map_err(|source| Error::KeyMismatch {
                        key: k.clone(),
                        cert: c.clone(),
                        source,
                    })?;
                (Some(Arc::new(certified)), ders)
            }
            (None, None) => (None, Vec::new()),
            _ => return Err(Error::CertWithoutKey),
        };
    let versions = match args.versions {
        Versions::Tls12 => vec![&rustls::version::TLS12],
        Versions::Tls13 => vec![&rustls::version::TLS13],
        Versions::Both => vec![&rustls::version::TLS13, &rustls::version::TLS12],
    };
    Ok(Plan {
        url: args.url.clone(),
        port: uri.port_u16().unwrap_or(443),
        server_name: args.server_name.clone().unwrap_or_else(|| host.clone()),
        host,
        path,
        roots,
        ca_path: args.ca.clone(),
        key,
        client_chain,
        versions,
        insecure: args.insecure,
        timeout: args.timeout.max(Duration::from_secs(1)),
        provider,
    })
}

async fn run(plan: &Plan, now: Timestamp) -> ProbeReport {
    let mut report = ProbeReport::new(&plan.url, &plan.server_name, now);
    let seen = hooks::Shared::default();
    let secrets = hooks::Secrets::default();
    let config = match client_config(plan, &seen, &secrets) {
        Ok(c) => c,
        Err(e) => return report.failed(format!("cannot set up TLS: {e}")),
    };
    let target = format!("{}:{}", plan.host, plan.port);
    let tcp = match tokio::time::timeout(plan.timeout, TcpStream::connect(&target)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return report.failed(format!("cannot connect to {target}: {e}")),
        Err(_) => {
            return report.failed(format!(
                "cannot connect to {target}: no answer within {:?}",
                plan.timeout
            ))
        }
    };
    report.local = tcp
        .local_addr()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    report.peer = tcp
        .peer_addr()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], plan.port)));
    let transcript = record::Transcript::default();
    let stream = record::Recorder::new(tcp, transcript.clone());
    let Ok(name) = ServerName::try_from(plan.server_name.clone()) else {
        return report.failed(format!(
            "\"{}\" is not a valid server name",
            plan.server_name
        ));
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let exchange = async {
        let mut tls = connector
            .connect(name, stream)
            .await
            .map_err(|e| ("handshake", e))?;
        let (_, conn) = tls.get_ref();
        let negotiated = report::Negotiated::from_connection(conn);
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: mtlskit-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            plan.path, plan.server_name
        );
        tls.write_all(request.as_bytes())
            .await
            .map_err(|e| ("request", e))?;
        let mut response = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match tls.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) if response.len() < 1 << 20 => response.extend_from_slice(&chunk[..n]),
                Ok(_) => break,
                // A peer that closes without close_notify after a full response is common.
                Err(e) if !response.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    break
                }
                Err(e) => return Err(("response", e)),
            }
        }
        Ok::<_, (&str, std::io::Error)>((negotiated, response))
    };
    let result = tokio::time::timeout(plan.timeout, exchange).await;
    let recording = transcript.take();
    let seen = match seen.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    };
    report.fill(plan.ca_path.as_deref(), &plan.client_chain, seen, recording);
    report.secrets = secrets;
    match result {
        Ok(Ok((negotiated, response))) => report.succeeded(negotiated, &response),
        Ok(Err((stage, e))) => report.tls_error(stage, &e),
        Err(_) => report.reason = Some(format!("no answer within {:?}", plan.timeout)),
    }
    report.conclude();
    report
}

fn client_config(
    plan: &Plan,
    seen: &hooks::Shared,
    secrets: &hooks::Secrets,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = plan.provider.clone();
    let roots = match &plan.roots {
        Some(r) => r.clone(),
        None => system_roots(),
    };
    let inner: Option<Arc<dyn rustls::client::danger::ServerCertVerifier>> = if plan.insecure {
        None
    } else {
        let v = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?;
        Some(v)
    };
    let verifier = hooks::Verifier {
        inner,
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
        provider: provider.clone(),
        seen: seen.clone(),
    };
    let resolver = hooks::Resolver {
        key: plan.key.clone(),
        seen: seen.clone(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&plan.versions)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // Kept in memory for `--keylog` and a `--save-handshake` that opens decrypted; written
    // nowhere unless the caller asks.
    config.key_log = Arc::new(secrets.clone());
    Ok(config)
}

/// The system CA bundle (Debian's), when no --ca is given.
fn system_roots() -> rustls::RootCertStore {
    let mut store = rustls::RootCertStore::empty();
    if let Ok(certs) =
        load::certificates(std::path::Path::new("/etc/ssl/certs/ca-certificates.crt"))
    {
        store.add_parsable_certificates(certs);
    }
    store
}
