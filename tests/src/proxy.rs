//! Support for the proxy's end-to-end tests: extra certificates (other CA, expired, not yet
//! valid, serverAuth-only, intermediate), an echo upstream in Python that answers with the
//! request it saw as JSON, `mtlskit serve` as a child process with its logs in files, nginx as
//! an mTLS upstream, and the clients (curl, openssl s_client, Python httplib2).
//!
//! Everything listens on 127.0.0.1; readiness is polled with a bound, never slept for.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{make_pki, mtlskit_path, openssl, Run};

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Waits up to 10 s until something accepts on `port`.
pub fn wait_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(20));
    }
    panic!("{what} is not listening on {port} after 10 s");
}

/// A child process killed when dropped.
#[derive(Debug)]
pub struct Daemon {
    pub child: Child,
    pub port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    Daemon { child, port }
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
            daemon: Daemon { child, port },
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

/// Runs curl in `dir` (certificate options are the caller's) and returns what it printed.
pub fn curl(dir: &Path, args: &[&str]) -> Run {
    Command::new("curl")
        .current_dir(dir)
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start curl")
        .into()
}

/// curl with the test CA and, if given, a client certificate `NAME.pem`/`NAME.key`.
pub fn curl_as(dir: &Path, client: Option<&str>, extra: &[&str], url: &str) -> Run {
    let mut args: Vec<String> = vec!["--cacert".into(), "ca.pem".into()];
    if let Some(name) = client {
        args.extend([
            "--cert".into(),
            format!("{name}.pem"),
            "--key".into(),
            format!("{name}.key"),
        ]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(url.to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(dir, &refs)
}

/// Runs `openssl s_client` to 127.0.0.1:port, sends `input` and returns its output.
pub fn s_client(dir: &Path, port: u16, args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let connect = format!("127.0.0.1:{port}");
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(["s_client", "-connect", &connect, "-servername", "localhost"])
        .args(["-CAfile", "ca.pem", "-verify_return_error"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().expect("wait for s_client").into()
}

/// A minimal `openssl ca` setup, for certificates with chosen validity dates.
fn ca_conf(dir: &Path, ca: &str) -> PathBuf {
    let db = dir.join(format!("{ca}.db"));
    std::fs::create_dir_all(&db).expect("ca db dir");
    let index = db.join("index.txt");
    if !index.exists() {
        std::fs::write(&index, "").expect("index.txt");
    }
    let conf = db.join("ca.cnf");
    std::fs::write(
        &conf,
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {index}\nnew_certs_dir = {db}\n\
             certificate = {ca}.pem\nprivate_key = {ca}.key\ndefault_md = sha256\n\
             policy = p\nunique_subject = no\nrand_serial = yes\ncopy_extensions = none\n[p]\ncommonName = supplied\n\
             [server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n\
             [client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\n\
             [spiffe]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\n\
             subjectAltName=URI:spiffe://example.org/ns/web,DNS:web.example.org\n\
             [intermediate]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
            index = index.display(),
            db = db.display(),
        ),
    )
    .expect("ca.cnf");
    conf
}

/// Issues `NAME.pem`/`NAME.key` (CN = `cn`) from CA `ca` (files `ca.pem`, `ca.key`) with
/// extensions `ext` (server, client, spiffe: a client with a URI and a DNS SAN, intermediate), valid from `start` to `end`
/// (`YYYYMMDDHHMMSSZ`).
pub fn issue(dir: &Path, ca: &str, name: &str, cn: &str, ext: &str, start: &str, end: &str) {
    let conf = ca_conf(dir, ca);
    let (key, csr, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("/CN={cn}"),
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &subj,
        ],
    );
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            &conf.display().to_string(),
            "-in",
            &csr,
            "-out",
            &pem,
            "-extensions",
            ext,
            "-startdate",
            start,
            "-enddate",
            end,
        ],
    );
}

/// A self-signed CA `NAME.pem`/`NAME.key` with CN `cn`.
pub fn make_ca(dir: &Path, name: &str, cn: &str) {
    let (key, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("/CN={cn}"),
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "30",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Dates as `openssl ca` wants them, `days` from now.
pub fn date(days: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        + days * 86_400;
    let (d, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The standard PKI (`make_pki`) plus: `other` (a client of `Other CA`), `expired` (ended 3
/// days ago), `future` (starts in 2 days), `serveronly` (serverAuth EKU only).
pub fn make_full_pki(dir: &Path) {
    make_pki(dir);
    make_ca(dir, "otherca", "Other CA");
    issue(
        dir,
        "otherca",
        "other",
        "other",
        "client",
        &date(-1),
        &date(10),
    );
    issue(
        dir,
        "ca",
        "expired",
        "expired",
        "client",
        &date(-30),
        &date(-3),
    );
    issue(dir, "ca", "future", "future", "client", &date(2), &date(30));
    issue(
        dir,
        "ca",
        "serveronly",
        "serveronly",
        "server",
        &date(-1),
        &date(10),
    );
}

/// Debian's nginx as an HTTPS upstream on a free port that requires a client certificate from
/// `ca.pem` and answers `<client subject DN> <protocol>`; `http2` turns h2 on.
pub fn nginx_upstream(dir: &Path, http2: bool) -> Daemon {
    let port = free_port();
    let d = dir.display();
    let h2 = if http2 { " http2" } else { "" };
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/nginx-error.log info;\nevents {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/nginx-tmp;\n\
             proxy_temp_path {d}/nginx-tmp;\n  fastcgi_temp_path {d}/nginx-tmp;\n\
             uwsgi_temp_path {d}/nginx-tmp;\n  scgi_temp_path {d}/nginx-tmp;\n\
             server {{\n    listen 127.0.0.1:{port} ssl{h2};\n\
             ssl_certificate {d}/server.pem;\n    ssl_certificate_key {d}/server.key;\n\
             ssl_client_certificate {d}/ca.pem;\n    ssl_verify_client on;\n\
             location / {{ return 200 \"$ssl_client_s_dn $server_protocol\\n\"; }}\n  }}\n}}\n"
        ),
    )
    .expect("write nginx.conf");
    let mut child = Command::new("nginx")
        .current_dir(dir)
        .args([
            "-p",
            &d.to_string(),
            "-c",
            "nginx.conf",
            "-g",
            "daemon off;",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx (apt-get install nginx-light)");
    wait_port(port, &mut child, "nginx");
    Daemon { child, port }
}

/// Polls `ready` every 20 ms for up to `limit`; whether it became true.
pub fn poll(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

/// A dumpcap capture of `tcp port PORT` on `lo` into `capture.pcapng` (stopped when dropped).
#[derive(Debug)]
pub struct Capture {
    _daemon: Daemon,
    pub path: PathBuf,
}

impl Capture {
    /// Starts dumpcap and returns once a probe connection to `port` shows in the file.
    pub fn start(dir: &Path, port: u16) -> Capture {
        let path = dir.join("capture.pcapng");
        let err = dir.join("dumpcap.stderr");
        let mut child = Command::new("dumpcap")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).expect("dumpcap.stderr"))
            .spawn()
            .expect("start dumpcap (apt-get install tshark)");
        let started = poll(Duration::from_secs(20), || {
            std::fs::read_to_string(&err)
                .unwrap_or_default()
                .contains("Capturing on")
        });
        let _ = child.try_wait();
        let daemon = Daemon { child, port };
        assert!(
            started,
            "dumpcap did not start: {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let empty = size();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let seen = poll(Duration::from_secs(20), || {
            drop(TcpStream::connect_timeout(
                &addr,
                Duration::from_millis(200),
            ));
            size() > empty
        });
        assert!(seen, "dumpcap never wrote the probe connection");
        Capture {
            _daemon: daemon,
            path,
        }
    }
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
    Daemon { child, port }
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
