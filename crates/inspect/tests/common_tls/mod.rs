//! Test support for the TLS decoder: a small PKI made with openssl, `openssl s_server` on
//! 127.0.0.1, clients (openssl s_client, curl, Python's ssl), a tshark capture on `lo`, and
//! tshark's own dissection of the capture as the reference the decoder is compared with.
//!
//! Every process started here is killed by its own pid when its guard drops.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/process.rs"]
mod process;
#[allow(unused_imports)]
pub use process::{free_port, poll, tshark_read, unhex, Guard};

pub mod build;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A CA with a server and a client certificate, and a second CA with its own client.
pub fn make_pki(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for (ca, subject) in [
        ("ca", "/O=mtlskit test/CN=Test CA"),
        ("other", "/O=elsewhere/CN=Other CA"),
    ] {
        let mut args = vec!["req", "-x509", "-days", "2", "-subj", subject];
        args.extend(ec);
        let (key, pem) = (format!("{ca}.key"), format!("{ca}.pem"));
        args.extend(["-keyout", &key, "-out", &pem]);
        openssl(dir, &args);
    }
    fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, ca, subject, ext) in [
        ("server", "ca", "/CN=localhost", "server.ext"),
        ("client", "ca", "/CN=client one", "client.ext"),
        ("stranger", "other", "/CN=stranger", "client.ext"),
    ] {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let mut args = vec!["req", "-subj", subject, "-keyout", &key, "-out", &csr];
        args.extend(ec);
        openssl(dir, &args);
        let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext,
                "-out",
                &pem,
            ],
        );
    }
}

/// The subject of a PEM certificate as `openssl -nameopt RFC2253` prints it.
pub fn subject(dir: &Path, pem: &str) -> String {
    let out = openssl(
        dir,
        &[
            "x509", "-in", pem, "-noout", "-subject", "-nameopt", "RFC2253",
        ],
    );
    out.trim().trim_start_matches("subject=").to_string()
}

/// `openssl s_server -www` on 127.0.0.1:`port` with the server certificate, asking for a
/// client certificate from the test CA (`-Verify 1`) unless `extra` says otherwise.
pub fn server(dir: &Path, port: u16, extra: &[&str]) -> Guard {
    let child = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www"])
        .args([
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-CAfile",
            "ca.pem",
        ])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::piped()) // kept open: s_server stops at end of input otherwise
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let guard = Guard(child);
    assert!(
        poll(Duration::from_secs(10), || TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "openssl s_server did not listen on {port}"
    );
    guard
}

/// A running tshark writing a pcapng of `tcp port PORT` on `lo`.
pub struct Capture {
    guard: Guard,
    pub path: PathBuf,
    port: u16,
}

/// TCP streams in the file that carry data from the client, as tshark numbers them.
pub fn data_streams(path: &Path, port: u16) -> Vec<usize> {
    let out = tshark_read(
        path,
        &[
            "-Y",
            &format!("tcp.dstport=={port} && tcp.len>0"),
            "-T",
            "fields",
            "-e",
            "tcp.stream",
        ],
    );
    let mut v: Vec<usize> = out.lines().filter_map(|l| l.trim().parse().ok()).collect();
    v.dedup();
    v
}

fn tcp_count(path: &Path, filter: &str) -> usize {
    Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
        .unwrap_or(0)
}

impl Capture {
    /// Starts tshark and returns once a probe connection to `port` shows in the file.
    pub fn start(dir: &Path, port: u16) -> Capture {
        let path = dir.join("capture.pcapng");
        let err = dir.join("tshark.stderr");
        let child = Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&err).unwrap())
            .spawn()
            .expect("start tshark (apt-get install tshark)");
        let c = Capture {
            guard: Guard(child),
            path,
            port,
        };
        assert!(
            poll(Duration::from_secs(20), || fs::read_to_string(&err)
                .unwrap_or_default()
                .contains("Capturing on")),
            "tshark did not start: {}",
            fs::read_to_string(&err).unwrap_or_default()
        );
        let seen = poll(Duration::from_secs(20), || {
            drop(TcpStream::connect(("127.0.0.1", port)));
            tcp_count(&c.path, &format!("tcp.port=={port}")) > 0
        });
        assert!(seen, "tshark never captured the probe connection");
        c
    }

    /// Waits until `n` connections with data are closed both ways, then stops tshark (SIGINT).
    pub fn stop(mut self, n: usize) -> PathBuf {
        let port = self.port;
        let done = poll(Duration::from_secs(20), || {
            let fins = tcp_count(
                &self.path,
                &format!("tcp.port=={port} && (tcp.flags.fin==1 || tcp.flags.reset==1)"),
            );
            data_streams(&self.path, port).len() >= n && fins >= 2 * n
        });
        let status = Command::new("kill")
            .args(["-INT", &self.guard.0.id().to_string()])
            .status()
            .expect("kill -INT");
        assert!(status.success());
        let exited = poll(Duration::from_secs(20), || {
            matches!(self.guard.0.try_wait(), Ok(Some(_)))
        });
        assert!(exited, "tshark did not exit on SIGINT");
        assert!(done, "the capture never held {n} closed connections");
        self.path.clone()
    }
}

/// `openssl s_client` sending one HTTP request; returns its output (it may fail: mTLS
/// rejections are part of the tests).
pub fn s_client(dir: &Path, port: u16, extra: &[&str]) -> String {
    let mut child = Command::new("timeout")
        .args([
            "20",
            "openssl",
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["-servername", "localhost", "-CAfile", "ca.pem", "-ign_eof"])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
    }
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    let _ = child.wait();
    out
}

/// curl with the client certificate; returns the HTTP status it printed.
pub fn curl(dir: &Path, port: u16) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "20", "--cacert", "ca.pem"])
        .args([
            "--cert",
            "client.pem",
            "--key",
            "client.key",
            "-o",
            "/dev/null",
        ])
        .args(["-w", "%{http_code}", &format!("https://localhost:{port}/")])
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .current_dir(dir)
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Python's ssl module as an mTLS client; returns what it printed.
pub fn python(dir: &Path, port: u16) -> String {
    let script = format!(
        "import socket, ssl\n\
         ctx = ssl.create_default_context(cafile='ca.pem')\n\
         ctx.load_cert_chain('client.pem', 'client.key')\n\
         ctx.set_alpn_protocols(['http/1.1'])\n\
         with socket.create_connection(('127.0.0.1', {port}), timeout=20) as s:\n\
         \x20   with ctx.wrap_socket(s, server_hostname='localhost') as t:\n\
         \x20       t.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n\
         \x20       data = b''\n\
         \x20       while True:\n\
         \x20           chunk = t.recv(65536)\n\
         \x20           if not chunk: break\n\
         \x20           data += chunk\n\
         print(data.split(b'\\r\\n')[0].decode())\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .expect("run python3");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bytes of one TCP stream: (client to server, server to client), from tshark's follow.
pub fn follow(path: &Path, stream: usize) -> (Vec<u8>, Vec<u8>) {
    let text = tshark_read(path, &["-q", "-z", &format!("follow,tcp,raw,{stream}")]);
    let (mut a, mut b) = (vec![], vec![]);
    for line in text.lines() {
        if let Some(hex) = line.strip_prefix('\t') {
            b.extend(unhex(hex));
        } else if !line.is_empty() && line.bytes().all(|c| c.is_ascii_hexdigit()) {
            a.extend(unhex(line));
        }
    }
    (a, b)
}

/// For one direction of one stream, per frame, every occurrence of each field.
pub fn frames(path: &Path, stream: usize, from_port: u16, names: &[&str]) -> Vec<Vec<Vec<String>>> {
    let filter = format!("tcp.stream=={stream} && tcp.srcport=={from_port} && tls");
    let mut args = vec!["-Y", &filter, "-T", "fields", "-E", "separator=|"];
    args.extend(["-E", "occurrence=a", "-E", "aggregator=~"]);
    for n in names {
        args.extend(["-e", n]);
    }
    let text = tshark_read(path, &args);
    text.lines()
        .map(|line| {
            line.split('|')
                .map(|v| {
                    v.split('~')
                        .filter(|v| !v.is_empty())
                        .map(String::from)
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Every occurrence of each field, in frame order, for one direction of one stream.
pub fn fields(path: &Path, stream: usize, from_port: u16, names: &[&str]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); names.len()];
    for frame in frames(path, stream, from_port, names) {
        for (i, values) in frame.into_iter().enumerate() {
            if let Some(col) = out.get_mut(i) {
                col.extend(values);
            }
        }
    }
    out
}

/// A tshark number ("22", "0x1301") as a number.
pub fn num(v: &str) -> u64 {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => v.parse().unwrap(),
    }
}
