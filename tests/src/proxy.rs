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
        # path: as Python's http.server made it (it folds a leading "//"); target: as sent.
        out = json.dumps({"method": self.command, "path": self.path,
            "target": self.requestline.split(" ")[1],
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
    let tls: &[&str] = match &tls {
        Some((cert, key)) => &[cert, key],
        None => &[],
    };
    python_upstream(dir, "echo.py", ECHO, tls, "echo upstream")
}

/// Writes `script` to `file` in `dir` and runs it as `python3 FILE PORT ARGS...` on a free port;
/// returns once the port accepts connections.
pub fn python_upstream(dir: &Path, file: &str, script: &str, args: &[&str], what: &str) -> Daemon {
    std::fs::write(dir.join(file), script).expect("write the Python upstream");
    let port = free_port();
    let mut child = Command::new("python3")
        .current_dir(dir)
        .arg(file)
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    wait_port(port, &mut child, what);
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

    /// Waits for the error log's line saying generation `n` serves (a reload that took).
    pub fn wait_generation(&self, n: u64) -> serde_json::Value {
        self.wait_log(
            "error.log",
            "message",
            &format!("generation {n} serves new connections"),
        )
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

/// A location's lines for an mTLS upstream: the proxy's client certificate (the standard
/// PKI's `client`) and the CA it trusts for the upstream's.
pub const PROXY_CLIENT: &str =
    "client_certificate = \"client.pem\"\nclient_key = \"client.key\"\ntrusted_ca = \"ca.pem\"";

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

/// Answers a WebSocket handshake with 101, says hello with the client DN it was given, then
/// echoes every byte; anything else gets 400.
const WEBSOCKET: &str = r#"
import base64, hashlib, socket, sys, threading
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
def serve(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    h = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    if h.get("upgrade", "").lower() != "websocket" or "upgrade" not in h.get("connection", "").lower():
        body = b"no upgrade asked"
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        c.close()
        return
    accept = base64.b64encode(hashlib.sha1((h["sec-websocket-key"] + GUID).encode()).digest()).decode()
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    c.sendall(("hello %s\n" % h.get("x-ssl-client-s-dn", "?")).encode())
    if rest:
        c.sendall(rest)
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        c.sendall(chunk)
    c.close()
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"#;

/// A raw-socket WebSocket upstream: answers the handshake with 101, says `hello DN` with the
/// `X-SSL-Client-S-DN` it was given, then echoes every byte; anything else gets 400.
pub fn websocket_upstream(dir: &Path) -> Daemon {
    python_upstream(dir, "ws.py", WEBSOCKET, &[], "websocket upstream")
}

/// What a WebSocket client script starts with: a TLS connection to 127.0.0.1:`argv[1]` with
/// `client.pem`, `upgrade(extra_headers)` sending the handshake for `/ws` and returning the
/// status line and the headers, and `read_until(marker)` / `read_n(n)` over what follows.
const WEBSOCKET_CLIENT: &str = r#"
import json, os, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("client.pem", "client.key")
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="localhost")
buf = b""
def read_until(marker):
    global buf
    while marker not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("closed early: %r" % buf)
        buf += chunk
    i = buf.index(marker) + len(marker)
    out, buf = buf[:i], buf[i:]
    return out
def read_n(n):
    global buf
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("closed early after %d bytes" % len(buf))
        buf += chunk
    out, buf = buf[:n], buf[n:]
    return out
def upgrade(extra=b""):
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n")
    head = read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
    return head[0], {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in head[1:] if l)}
"#;

/// Writes `dir/file`: a WebSocket client script, `body` after the common part (see
/// `WEBSOCKET_CLIENT`).
pub fn websocket_client(dir: &Path, file: &str, body: &str) {
    std::fs::write(dir.join(file), format!("{WEBSOCKET_CLIENT}{body}"))
        .expect("write the WebSocket client");
}

/// `mtlskit reload --config proxy.toml` in `dir`.
pub fn reload(dir: &Path) -> crate::Run {
    crate::mtlskit(dir, &["reload", "--config", "proxy.toml"], None)
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
    python_upstream(dir, "bulk.py", BULK, &[], "bulk upstream")
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

/// Writes `script` to `dir/file`, runs it with python3 and `args`, and returns the JSON it
/// printed; panics with its stderr when it fails.
pub fn python_json(dir: &Path, file: &str, script: &str, args: &[&str]) -> serde_json::Value {
    std::fs::write(dir.join(file), script).expect("write the Python client");
    let out = Command::new("python3")
        .current_dir(dir)
        .arg(file)
        .args(args)
        .output()
        .expect("start python3");
    assert!(
        out.status.success(),
        "{file} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{file}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Python: `h2_client(port)` opens an mTLS connection as `client` with ALPN h2 and returns the
/// socket and an `h2` client connection whose preface is queued. Put before a script.
pub const PY_H2_CLIENT: &str = r#"
import socket, ssl
import h2.config, h2.connection
def h2_client(port, timeout=10):
    ctx = ssl.create_default_context(cafile="ca.pem")
    ctx.load_cert_chain("client.pem", "client.key")
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout),
                        server_hostname="localhost")
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    return s, c
"#;

/// A Python client: N TLS handshakes (then a GET) to 127.0.0.1:PORT with CERT (and the
/// chain in its file) and KEY, as fast as they go; prints how many were refused.
/// Arguments: PORT CERT KEY N.
pub const HANDSHAKES: &str = r#"
import socket, ssl, sys
port, cert, key, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations("ca.pem")
ctx.load_cert_chain(cert, key)
refused = 0
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        t = ctx.wrap_socket(s, server_hostname="localhost")
        t.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        if not t.recv(64).startswith(b"HTTP/1.1 200"):
            refused += 1
    except (ssl.SSLError, OSError):
        refused += 1
    finally:
        s.close()
print(refused)
"#;
