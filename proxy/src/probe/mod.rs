//! `mtlskit probe URL`: design.md's test client done better.
//!
//! Connects like curl (client certificate, key and CA options alike), sends `GET`, and prints
//! the response together with the handshake as the inspect crate decodes it from the recorded
//! bytes: versions and suites offered and chosen, the server's chain with validity, whether
//! the server asked for a client certificate and which CAs it accepts, what the probe sent,
//! alerts — and when it fails, a verdict with the reason (the diagnosis engine's words).

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

use crate::cli::ProbeArgs;
use crate::config::files;
use crate::inspect_cmd::system_now;
use crate::Status;

pub use report::ProbeReport;

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

pub fn run(args: &ProbeArgs) -> anyhow::Result<Status> {
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("mtlskit: {message}");
            return Ok(Status::Usage);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(probe(&plan));
    if let Some(path) = &args.save_handshake {
        if let Err(e) = std::fs::write(path, report.pcap()) {
            eprintln!(
                "mtlskit: {}: cannot write the handshake ({e})",
                path.display()
            );
            return Ok(Status::Usage);
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        std::io::Write::write_all(&mut out, b"\n")?;
    } else {
        report.text(&mut out)?;
    }
    std::io::Write::flush(&mut out)?;
    Ok(if report.ok { Status::Ok } else { Status::Bad })
}

/// Probes from async code (the demo); `Err` is a usage problem with the arguments.
pub async fn report(args: &ProbeArgs) -> Result<ProbeReport, String> {
    let plan = plan(args)?;
    Ok(probe(&plan).await)
}

fn plan(args: &ProbeArgs) -> Result<Plan, String> {
    let uri: hyper::Uri = args
        .url
        .parse()
        .map_err(|e| format!("{}: not a URL ({e})", args.url))?;
    if uri.scheme_str() != Some("https") {
        return Err(format!("{}: only https:// URLs can be probed", args.url));
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("{}: the URL names no host", args.url))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = match &args.ca {
        Some(p) => Some(files::root_store(p).map_err(|e| e.to_string())?),
        None => None,
    };
    let (key, client_chain) = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => {
            let chain = files::certificates(c).map_err(|e| e.to_string())?;
            let der = files::private_key(k).map_err(|e| e.to_string())?;
            let ders = chain.iter().map(|c| c.to_vec()).collect();
            let certified =
                rustls::sign::CertifiedKey::from_der(chain, der, &provider).map_err(|e| {
                    format!(
                        "{}: the key does not go with {} ({e})",
                        k.display(),
                        c.display()
                    )
                })?;
            (Some(Arc::new(certified)), ders)
        }
        (None, None) => (None, Vec::new()),
        _ => return Err("--cert and --key go together".to_string()),
    };
    let versions = match (args.tls12, args.tls13) {
        (true, false) => vec![&rustls::version::TLS12],
        (false, true) => vec![&rustls::version::TLS13],
        _ => vec![&rustls::version::TLS13, &rustls::version::TLS12],
    };
    Ok(Plan {
        url: args.url.clone(),
        port: uri.port_u16().unwrap_or(443),
        server_name: args.servername.clone().unwrap_or_else(|| host.clone()),
        host,
        path,
        roots,
        ca_path: args.ca.clone(),
        key,
        client_chain,
        versions,
        insecure: args.insecure,
        timeout: Duration::from_secs(args.timeout.max(1)),
        provider,
    })
}

async fn probe(plan: &Plan) -> ProbeReport {
    let now = system_now();
    let mut report = ProbeReport::new(&plan.url, &plan.server_name, now);
    let seen = hooks::Shared::default();
    let config = match client_config(plan, &seen) {
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
    match result {
        Ok(Ok((negotiated, response))) => report.succeeded(negotiated, &response),
        Ok(Err((stage, e))) => report.tls_error(stage, &e),
        Err(_) => report.reason = Some(format!("no answer within {:?}", plan.timeout)),
    }
    report.conclude();
    report
}

fn client_config(plan: &Plan, seen: &hooks::Shared) -> Result<rustls::ClientConfig, rustls::Error> {
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
    Ok(config)
}

/// The system CA bundle (Debian's), when no --ca is given.
fn system_roots() -> rustls::RootCertStore {
    let mut store = rustls::RootCertStore::empty();
    if let Ok(certs) =
        files::certificates(std::path::Path::new("/etc/ssl/certs/ca-certificates.crt"))
    {
        store.add_parsable_certificates(certs);
    }
    store
}
