//! Support for the proxy's end-to-end tests: an echo upstream in Python that answers with the
//! request it saw as JSON, a bulk upstream, and `mtlskit serve` as a child process with its
//! logs in files (stopped with SIGTERM, as an operator does). The clients and nginx are in
//! [`crate::peer`], the certificates in [`crate::pki`].
//!
//! Everything listens on 127.0.0.1; readiness is polled with a bound, never slept for.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{free_port, wait_port, Daemon};
use crate::{make_pki, mtlskit_path};

const ECHO: &str = r#"
import json, sys, ssl
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        total = 0
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 16))
            if not chunk: break
            total += len(chunk); n -= len(chunk)
        out = json.dumps({"method": self.command, "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_len": total}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = do_PUT = answer
    def log_message(self, *a): pass
srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
if len(sys.argv) > 2:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
"#;

/// The echo upstream over plain HTTP, or HTTPS with `tls = Some((cert, key))`.
pub fn echo_upstream(dir: &Path, tls: Option<(&str, &str)>) -> Daemon {
    std::fs::write(dir.join("echo.py"), ECHO).expect("write echo.py");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.current_dir(dir).arg("echo.py").arg(port.to_string());
    if let Some((cert, key)) = tls {
        cmd.args([cert, key]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    wait_port(port, &mut child, "echo upstream");
    Daemon::new(child, port)
}

/// `mtlskit serve` with its access log in `access.log` and error log in `error.log`.
#[derive(Debug)]
pub struct Proxy {
    pub daemon: Daemon,
    pub dir: PathBuf,
}

impl Proxy {
    /// Starts `mtlskit serve --config proxy.toml` (already written in `dir`) on `port`.
    pub fn start(dir: &Path, port: u16) -> Proxy {
        let access = std::fs::File::create(dir.join("access.log")).expect("access.log");
        let errors = std::fs::File::create(dir.join("error.log")).expect("error.log");
        let mut child = Command::new(mtlskit_path())
            .current_dir(dir)
            .args(["serve", "--config", "proxy.toml"])
            .stdin(Stdio::null())
            .stdout(access)
            .stderr(errors)
            .spawn()
            .expect("start mtlskit serve");
        wait_port(port, &mut child, "mtlskit serve");
        Proxy {
            daemon: Daemon::new(child, port),
            dir: dir.to_path_buf(),
        }
    }

    /// The JSON lines of a log file so far.
    pub fn lines(&self, file: &str) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits up to 10 s for a log line whose `field` contains `needle`.
    pub fn wait_log(&self, file: &str, field: &str, needle: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self
                .lines(file)
                .into_iter()
                .find(|l| l[field].as_str().is_some_and(|s| s.contains(needle)))
            {
                return l;
            }
            assert!(
                Instant::now() < deadline,
                "no {file} line with {field} containing {needle:?}: {}",
                std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
            );
            std::thread::park_timeout(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.daemon.port)
    }
}

/// A proxy config for `port` in front of `upstream`, with extra lines in `[server]` and the
/// location.
pub fn config(port: u16, upstream: &str, server_extra: &str, location_extra: &str) -> String {
    format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\ncertificate = \"server.pem\"\nkey = \"server.key\"\n\
         client_ca = \"ca.pem\"\n{server_extra}\n\n[log]\nlevel = \"info\"\n\n\
         [[location]]\npath = \"/\"\nupstream = \"{upstream}\"\n{location_extra}\n"
    )
}

/// Writes proxy.toml and starts the proxy in front of `upstream`.
pub fn start_proxy(dir: &Path, upstream: &str, server_extra: &str, location_extra: &str) -> Proxy {
    let port = free_port();
    std::fs::write(
        dir.join("proxy.toml"),
        config(port, upstream, server_extra, location_extra),
    )
    .expect("write proxy.toml");
    Proxy::start(dir, port)
}

/// The standard PKI, the echo upstream over plain HTTP and the proxy in front of it with
/// `server_extra` in `[server]`; keep the upstream alive as long as the proxy.
pub fn echo_proxy(dir: &Path, server_extra: &str) -> (Daemon, Proxy) {
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        server_extra,
        "",
    );
    (up, proxy)
}

const BULK: &str = r#"
import json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
ZEROS = bytes(1 << 20)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_PUT(self):
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    if not chunk: return
                    total += len(chunk); left -= len(chunk)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk: return
                total += len(chunk); left -= len(chunk)
        out = json.dumps({"body_len": total}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_POST = do_PUT
    def do_GET(self):
        n = int(self.path.rsplit("/", 1)[-1])
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        while n > 0:
            k = min(n, len(ZEROS))
            self.wfile.write(ZEROS[:k] if k < len(ZEROS) else ZEROS)
            n -= k
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;

/// A plain HTTP upstream for large bodies: `PUT`/`POST` counts the body (chunked or not) and
/// answers `{"body_len": N}`; `GET /.../N` sends N zero bytes with a Content-Length.
pub fn bulk_upstream(dir: &Path) -> Daemon {
    std::fs::write(dir.join("bulk.py"), BULK).expect("write bulk.py");
    let port = free_port();
    let mut child = Command::new("python3")
        .current_dir(dir)
        .args(["bulk.py", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    wait_port(port, &mut child, "bulk upstream");
    Daemon::new(child, port)
}

/// Peak resident memory of a process in KiB (`VmHWM` in /proc/PID/status).
pub fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("read /proc/PID/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}
