//! `mtlskit demo`: the whole mTLS setup of docs/architecture.md on one machine, in one command.
//!
//! In a temporary folder (or `--dir`): a PKI (`pki init`); an upstream that requires the
//! proxy's client certificate and answers with the headers it received; the proxy in front
//! of it with the classic nginx block's settings (TLS 1.2, its cipher list, client certificates
//! required); the web inspector on plain HTTP (`--web DIST`, else the page embedded in the binary); one probe through the proxy. Then it prints
//! the URLs, where the certificates are and ready-to-paste curl and Python commands, and runs
//! until Ctrl-C.

mod upstream;

use std::net::SocketAddr;
use std::path::Path;

use mtlskit_inspect::Timestamp;
use mtlskit_proxy::Config;

use crate::args::DemoArgs;
use crate::Status;

/// The nginx block's `ssl_ciphers` (docs/architecture.md), verbatim (rustls leaves out the four CBC suites; the proxy's
/// error log says so).
const CIPHERS: [&str; 10] = [
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
];

pub fn run(args: &DemoArgs) -> anyhow::Result<Status> {
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("mtlskit-demo-{}", std::process::id())),
            true,
        ),
    };
    if let Err(message) = prepare(&dir) {
        eprintln!("mtlskit: {message}");
        return Ok(Status::Usage);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(demo(args, &dir));
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match result {
        Ok(()) => Ok(Status::Ok),
        Err(message) => {
            eprintln!("mtlskit: {message}");
            Ok(Status::Bad)
        }
    }
}

/// The PKI: made once; an existing `--dir` PKI is reused.
fn prepare(dir: &Path) -> Result<(), String> {
    if dir.join("ca.pem").exists() && dir.join("client.key").exists() {
        return Ok(());
    }
    mtlskit_pki::init(dir, &mtlskit_pki::InitOptions::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn demo(args: &DemoArgs, dir: &Path) -> Result<(), String> {
    let localhost = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let upstream = upstream::start(dir, localhost(args.upstream_port)).await?;
    let proxy_addr = localhost(args.proxy_port);
    let config = Config::parse(
        &proxy_config(proxy_addr, upstream),
        "demo proxy config",
        dir.to_path_buf(),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("proxy.toml"), proxy_config(proxy_addr, upstream))
        .map_err(|e| e.to_string())?;
    // Bind first so a busy port is reported here, not from a background task.
    std::net::TcpListener::bind(proxy_addr)
        .map_err(|e| format!("cannot listen on {proxy_addr}: {e}; pass --proxy-port"))?;
    let proxy = tokio::spawn(async move {
        mtlskit_proxy::serve(&config, mtlskit_proxy::shutdown_signal()).await
    });
    let web = match page_source(args) {
        Some(source) => Some(crate::page::start(source, localhost(args.web_port)).await?),
        None => None,
    };
    wait_listening(proxy_addr).await?;
    let url = format!("https://localhost:{}/test_url", proxy_addr.port());
    let mut probe = mtlskit_probe::Options::new(url.clone());
    probe.cert = Some(dir.join("client.pem"));
    probe.key = Some(dir.join("client.key"));
    probe.ca = Some(dir.join("ca.pem"));
    println!("=== One request through the proxy, as `mtlskit probe` sees it\n");
    let report = mtlskit_probe::probe(&probe, Timestamp::now())
        .await
        .map_err(|e| e.to_string())?;
    let _ = std::fs::write(dir.join("handshake.pcap"), report.pcap());
    let mut out = std::io::stdout().lock();
    crate::render::probe(&report, &mut out).map_err(|e| e.to_string())?;
    print_guide(dir, proxy_addr, upstream, web, &url);
    // The proxy stops on SIGINT too (its own shutdown signal): whichever sees Ctrl-C first, the
    // demo ends the same way.
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        r = proxy => match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(e) => return Err(e.to_string()),
        },
    }
    println!("\nmtlskit demo stopped.");
    Ok(())
}

/// The proxy config: the classic nginx block (docs/architecture.md), pointed at the demo's files and upstream.
fn proxy_config(listen: SocketAddr, upstream: SocketAddr) -> String {
    let ciphers: Vec<String> = CIPHERS.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        r#"# the classic nginx server block, as mtlskit serve runs it (see docs/config.md)
[server]
listen = ["{listen}"]
certificate = "server.pem"
key = "server.key"
client_ca = "ca.pem"
verify_client = "required"
session_cache = 4096
session_timeout = "5m"
protocols = ["TLSv1.2"]
ciphers = [{}]
prefer_server_ciphers = true

[log]
level = "info"
error = "error.log"
access = "access.log"

[[location]]
path = "/"
upstream = "https://127.0.0.1:{}"
server_name = "localhost"
client_certificate = "client.pem"
client_key = "client.key"
trusted_ca = "ca.pem"
verify = true
session_reuse = true
"#,
        ciphers.join(", "),
        upstream.port()
    )
}

/// The page: `--web DIST` when it holds one, else the page embedded in the binary (if any).
fn page_source(args: &DemoArgs) -> Option<crate::page::Source> {
    match &args.web {
        Some(root) => root
            .join("index.html")
            .exists()
            .then(|| crate::page::Source::Folder(root.clone())),
        None => crate::page::Source::embedded(),
    }
}

/// Polls the proxy's port for up to 10 s.
async fn wait_listening(addr: SocketAddr) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    Err(format!(
        "the proxy did not start listening on {addr} within 10 s"
    ))
}

fn print_guide(
    dir: &Path,
    proxy: SocketAddr,
    upstream: SocketAddr,
    web: Option<SocketAddr>,
    url: &str,
) {
    let d = dir.display();
    println!("\n=== mtlskit demo is running (Ctrl-C stops it)\n");
    println!("  proxy      https://localhost:{}/  (client certificate required, TLS 1.2, the nginx block's ciphers)", proxy.port());
    println!("  upstream   https://127.0.0.1:{}/  (requires the proxy's client certificate; echoes what it receives)", upstream.port());
    match web {
        Some(w) => {
            println!("  inspector  http://{w}/  (drop {d}/handshake.pcap or any certificate on it)")
        }
        None => println!(
            "  inspector  not served: run `cargo xtask demo`, pass --web DIST, or build with `cargo xtask dist`"
        ),
    }
    println!("  files      {d}/  ca.pem, server.pem/.key, client.pem/.key, proxy.toml, access.log, handshake.pcap");
    println!("\nTry:");
    println!("  curl --cacert {d}/ca.pem --cert {d}/client.pem --key {d}/client.key {url}");
    println!("  curl --cacert {d}/ca.pem {url}        # no client certificate: refused");
    println!(
        "  python3 -c 'import httplib2; h = httplib2.Http(ca_certs=\"{d}/ca.pem\"); h.add_certificate(\"{d}/client.key\", \"{d}/client.pem\", \"\"); r, b = h.request(\"{url}\", \"GET\", headers={{\"Accept\": \"application/json\"}}); print(r.status); print(b.decode())'"
    );
    println!("  mtlskit probe --ca {d}/ca.pem {url}");
    println!("  mtlskit inspect {d}/handshake.pcap");
    println!("\nready");
}
