//! `mtlskit web`: the web inspector served by the binary alone, as curl sees it: content types
//! (`application/wasm`), gzip to clients that ask for it, cache headers, and a
//! Content-Security-Policy that allows no other origin.
//!
//! `page_from_a_folder_*` runs on any build (a page folder made here). `page_built_into_*` and
//! `demo_without_web_*` test the binary `MTLSKIT_BIN` names, or the debug one: `cargo xtask dist`
//! runs them against the release binary with the page embedded; a build without the `web`
//! feature must say how to get the page instead (`mtlskit web`: exit 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use mtlskit_tests::mtlskit_path;
use mtlskit_tests::process::{free_port, stdout_until, wait_port, Daemon};
use sha2::Digest as _;

/// What curl got: status, lower-cased headers, body (as sent: not decompressed).
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn curl(port: u16, path: &str, extra: &[&str]) -> Got {
    let tmp = tempfile::tempdir().unwrap();
    let headers = tmp.path().join("headers");
    let body = tmp.path().join("body");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&body)
        .args(extra)
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&headers).unwrap();
    let mut lines = text.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Got {
        status,
        headers,
        body: std::fs::read(&body).unwrap_or_default(),
    }
}

/// Starts `mtlskit web` in an empty folder (the binary needs nothing else on disk).
fn start(args: &[&str]) -> (Daemon, u16, tempfile::TempDir) {
    let cwd = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(mtlskit_path())
        .current_dir(cwd.path())
        .args(["web", "--listen", &listen])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(port, &mut child, "mtlskit web");
    (Daemon::new(child, port), port, cwd)
}

/// The policy allows the page's own origin and nothing else.
fn assert_strict_policy(csp: &str) {
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    for directive in csp.split(';') {
        for source in directive.split_whitespace().skip(1) {
            let own = source.starts_with('\'')
                && source.ends_with('\'')
                && source != "'unsafe-inline'"
                && source != "'unsafe-eval'";
            assert!(
                own || source == "data:" || source == "blob:",
                "`{source}` in {csp}"
            );
        }
    }
    for needed in [
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(needed), "{needed} in {csp}");
    }
}

fn sha256_source(script: &str) -> String {
    let hash = sha2::Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// The `src`/`href` values of an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = &html[at + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

fn gzip(path: &Path) {
    let ok = Command::new("gzip")
        .args(["-k", "-9"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "gzip {}", path.display());
}

/// A built page in a folder of its own, as trunk makes one: index.html with its inline
/// loader, a script, and a wasm file with its gzip copy beside it. Returns the folder, the
/// loader and the wasm bytes.
fn page_folder() -> (tempfile::TempDir, &'static str, Vec<u8>) {
    let dist = tempfile::tempdir().unwrap();
    let loader = "import init from './app-0123456789abcdef.js'; await init();";
    std::fs::write(
        dist.path().join("index.html"),
        format!(
            "<!doctype html><title>mtlskit inspector</title>\
             <script type=\"module\">{loader}</script>"
        ),
    )
    .unwrap();
    std::fs::write(
        dist.path().join("app-0123456789abcdef.js"),
        "export default 1;",
    )
    .unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend(std::iter::repeat_n(0u8, 4096));
    let wasm_path = dist.path().join("app-0123456789abcdef_bg.wasm");
    std::fs::write(&wasm_path, &wasm).unwrap();
    gzip(&wasm_path);
    (dist, loader, wasm)
}

#[test]
fn page_from_a_folder_has_wasm_type_gzip_cache_headers_and_a_strict_policy() {
    let (dist, loader, wasm) = page_folder();
    let gz = std::fs::read(dist.path().join("app-0123456789abcdef_bg.wasm.gz")).unwrap();
    let (mut web, port, _cwd) = start(&["--dir", dist.path().to_str().unwrap()]);

    let index = curl(port, "/", &[]);
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    let csp = index.header("content-security-policy").unwrap();
    assert_strict_policy(csp);
    assert!(
        csp.contains(&sha256_source(loader)),
        "the inline loader is allowed by its hash: {csp}"
    );

    let plain = curl(port, "/app-0123456789abcdef_bg.wasm", &[]);
    assert_eq!(plain.header("content-type"), Some("application/wasm"));
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.body, wasm);
    let zipped = curl(
        port,
        "/app-0123456789abcdef_bg.wasm",
        &["-H", "Accept-Encoding: gzip"],
    );
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(zipped.header("vary"), Some("Accept-Encoding"));
    assert_eq!(zipped.body, gz);

    assert_eq!(curl(port, "/nothing.js", &[]).status, 404);
    assert_eq!(
        curl(port, "/app-0123456789abcdef_bg.wasm.gz", &[]).status,
        404
    );
    assert_eq!(
        curl(port, "/%2e%2e/etc/passwd", &["--path-as-is"]).status,
        404
    );
    assert_eq!(curl(port, "/", &["-X", "POST"]).status, 405);
    assert!(web.stop().is_some_and(|s| s.success()), "SIGTERM stops it");
}

#[test]
fn page_built_into_the_binary_is_served_with_nothing_else_on_disk() {
    let empty = tempfile::tempdir().unwrap();
    let probe = Command::new(mtlskit_path())
        .current_dir(empty.path())
        .args(["web", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A binary without the page exits at once; one with it serves until stopped.
    let mut probe = Daemon::new(probe, 0);
    let mut exited = None;
    mtlskit_tests::process::poll(Duration::from_secs(2), || {
        exited = probe.child.try_wait().ok().flatten();
        exited.is_some()
    });
    if let Some(status) = exited {
        let mut stderr = String::new();
        use std::io::Read as _;
        probe
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("built without the web inspector")
                && stderr.contains("cargo xtask dist"),
            "{stderr}"
        );
        return;
    }
    drop(probe);

    let (mut web, port, _cwd) = start(&[]);
    let index = curl(port, "/", &[]);
    assert_eq!(index.status, 200);
    let html = String::from_utf8(index.body.clone()).unwrap();
    assert!(html.contains("<title>mtlskit inspector</title>"), "{html}");
    let csp = index.header("content-security-policy").unwrap();
    assert_strict_policy(csp);
    let refs = references(&html);
    let wasm = refs
        .iter()
        .find(|r| r.ends_with(".wasm"))
        .unwrap_or_else(|| panic!("no wasm in {refs:?}"));
    for r in &refs {
        assert!(
            !r.contains("//") && !r.contains(':'),
            "the page references another origin: {r}"
        );
        let path = format!("/{}", r.trim_start_matches("./"));
        let got = curl(port, &path, &[]);
        assert_eq!(got.status, 200, "{path}");
        assert_strict_policy(got.header("content-security-policy").unwrap());
    }
    let path = format!("/{}", wasm.trim_start_matches("./"));
    let got = curl(port, &path, &["-H", "Accept-Encoding: gzip"]);
    assert_eq!(got.header("content-type"), Some("application/wasm"));
    assert_eq!(got.header("content-encoding"), Some("gzip"));
    assert_eq!(
        got.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let raw = curl(port, &path, &[]);
    assert!(raw.body.starts_with(b"\0asm"), "the wasm itself");
    assert!(
        got.body.len() < raw.body.len(),
        "{} gzip bytes of {}",
        got.body.len(),
        raw.body.len()
    );
    // Brotli first to a client that takes both, smaller than gzip, and the same wasm once
    // decoded (curl --compressed decodes it).
    let br = curl(port, &path, &["-H", "Accept-Encoding: gzip, br"]);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    assert!(
        br.body.len() < got.body.len(),
        "{} brotli bytes, {} gzip",
        br.body.len(),
        got.body.len()
    );
    let decoded = curl(port, &path, &["--compressed"]);
    assert_eq!(decoded.header("content-encoding"), Some("br"));
    assert!(decoded.body == raw.body, "brotli decodes to the wasm");
    assert!(web.stop().is_some_and(|s| s.success()), "SIGTERM stops it");
}

#[test]
fn demo_without_web_serves_the_page_built_into_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let (proxy_port, web_port) = (free_port(), free_port());
    let mut demo = Daemon::stopped_by(
        Command::new(mtlskit_path())
            .current_dir(tmp.path())
            .args(["demo", "--dir", dir.to_str().unwrap()])
            .args(["--proxy-port", &proxy_port.to_string()])
            .args(["--web-port", &web_port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        proxy_port,
        "INT",
    );
    let (lines, _rest) = stdout_until(&mut demo.child, "ready", Duration::from_secs(60));
    let inspector = lines
        .iter()
        .find(|l| l.trim_start().starts_with("inspector"))
        .unwrap_or_else(|| panic!("no inspector line:\n{}", lines.join("\n")));
    if inspector.contains("not served") {
        // A build without the page: the demo says how to get one.
        assert!(inspector.contains("cargo xtask dist"), "{inspector}");
    } else {
        assert!(
            inspector.contains(&format!("http://127.0.0.1:{web_port}/")),
            "{inspector}"
        );
        let index = curl(web_port, "/", &[]);
        assert_eq!(index.status, 200);
        assert!(String::from_utf8_lossy(&index.body).contains("<title>mtlskit inspector</title>"));
        assert_strict_policy(index.header("content-security-policy").unwrap());
    }
    assert!(demo.stop().is_some_and(|s| s.success()), "SIGINT stops it");
}

/// The headers a page answer carries, but the date.
fn page_headers(got: &Got) -> Vec<(String, String)> {
    got.headers
        .iter()
        .filter(|(n, _)| n != "date")
        .cloned()
        .collect()
}

#[test]
fn the_admin_listener_serves_the_inspector_under_inspect_as_mtlskit_web_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mtlskit_tests::make_pki(dir);
    let (dist, _loader, wasm) = page_folder();
    let admin = free_port();
    let admin_table = |extra: &str| {
        format!("\n[admin]\nlisten = \"127.0.0.1:{admin}\"\ninspector = true\n{extra}")
    };
    let folder = format!("inspector_dir = {:?}\n", dist.path().display().to_string());
    let port = free_port();
    let text = mtlskit_tests::proxy::config(port, "http://127.0.0.1:9", "", "");
    std::fs::write(dir.join("proxy.toml"), text.clone() + &admin_table(&folder)).unwrap();
    let mut proxy = mtlskit_tests::proxy::Proxy::start(dir, port);
    wait_port(admin, &mut proxy.daemon.child, "the admin listener");
    let (mut web, web_port, _cwd) = start(&["--dir", dist.path().to_str().unwrap()]);

    // /inspect goes to /inspect/, where the page's relative URLs work.
    let bare = curl(admin, "/inspect", &[]);
    assert_eq!(bare.status, 301);
    assert_eq!(bare.header("location"), Some("/inspect/"));
    // The same answers, headers and bytes, as `mtlskit web` gives for the same page.
    for (path, extra) in [
        ("/", &[][..]),
        ("/app-0123456789abcdef.js", &[][..]),
        (
            "/app-0123456789abcdef_bg.wasm",
            &["-H", "Accept-Encoding: gzip"][..],
        ),
        ("/app-0123456789abcdef_bg.wasm", &[][..]),
        ("/none.js", &[][..]),
    ] {
        let from_admin = curl(admin, &format!("/inspect{path}"), extra);
        let from_web = curl(web_port, path, extra);
        assert_eq!(from_admin.status, from_web.status, "{path}");
        assert_eq!(page_headers(&from_admin), page_headers(&from_web), "{path}");
        assert_eq!(from_admin.body, from_web.body, "{path}");
    }
    assert_eq!(
        curl(admin, "/inspect/app-0123456789abcdef_bg.wasm", &[]).body,
        wasm
    );
    assert!(web.stop().is_some_and(|s| s.success()));
    drop(proxy);

    // inspector = true alone: the page built into the binary, or, without one, a 404 that
    // says how to get it (and `check` warns).
    std::fs::write(dir.join("proxy.toml"), text + &admin_table("")).unwrap();
    let check = mtlskit_tests::mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    let embedded = !check
        .stderr
        .contains("admin.inspector: this mtlskit has no page built in");
    let mut proxy = mtlskit_tests::proxy::Proxy::start(dir, port);
    wait_port(admin, &mut proxy.daemon.child, "the admin listener");
    let index = curl(admin, "/inspect/", &[]);
    if embedded {
        assert_eq!(index.status, 200, "{}", check.stderr);
        assert!(String::from_utf8_lossy(&index.body).contains("<title>mtlskit inspector</title>"));
        assert_strict_policy(index.header("content-security-policy").unwrap());
    } else {
        assert_eq!(index.status, 404);
        assert!(String::from_utf8_lossy(&index.body).contains("cargo xtask dist"));
    }
    assert_eq!(curl(admin, "/readyz", &[]).status, 200);
}
