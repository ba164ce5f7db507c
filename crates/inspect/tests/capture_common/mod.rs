//! Test support for the capture reader: real TLS connections on 127.0.0.1 and [::1] between
//! `openssl s_server` and `openssl s_client`/curl, captured by tshark, and tshark's own
//! reading of the same files (`follow,tcp,raw` and `conv,tcp`) as the reference.
//!
//! Every process started here is killed by its own pid when its guard drops.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/process.rs"]
mod process;
#[allow(unused_imports)]
pub use process::{free_port, poll, tshark_read, unhex, Guard};

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mtlskit_inspect::capture::{self, Stream};

/// `openssl s_server -www` on `port` (all addresses, IPv4 and IPv6) with a fresh self-signed
/// P-256 certificate for localhost.
pub fn server(dir: &Path, port: u16, extra: &[&str]) -> Guard {
    let key = dir.join("server.key");
    let cert = dir.join("server.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt"])
        .args([
            "ec_paramgen_curve:P-256",
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .output()
        .expect("run openssl req");
    assert!(out.status.success(), "openssl req failed");
    let child = Command::new("openssl")
        .args(["s_server", "-accept", &port.to_string(), "-www", "-quiet"])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(extra)
        .stdin(Stdio::piped()) // kept open: s_server stops at end of input otherwise
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let guard = Guard(child);
    assert!(
        poll(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "openssl s_server did not listen on {port}"
    );
    guard
}

/// A running tshark writing `path`.
pub struct Tshark {
    guard: Guard,
    pub path: PathBuf,
    err: PathBuf,
}

/// Starts `tshark -i IFACE -f "tcp port PORT" -w PATH ARGS...` and returns once the capture
/// demonstrably holds packets: a probe connection to `port` (no TLS) must show up in the file.
pub fn tshark(dir: &Path, iface: &str, port: u16, name: &str, args: &[&str]) -> Tshark {
    let path = dir.join(name);
    let err = dir.join(format!("{name}.stderr"));
    let child = Command::new("tshark")
        .args(["-i", iface, "-f", &format!("tcp port {port}"), "-w"])
        .arg(&path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("start tshark (apt-get install tshark)");
    let t = Tshark {
        guard: Guard(child),
        path,
        err,
    };
    assert!(
        poll(Duration::from_secs(20), || fs::read_to_string(&t.err)
            .unwrap_or_default()
            .contains("Capturing on")),
        "tshark did not start: {}",
        fs::read_to_string(&t.err).unwrap_or_default()
    );
    // The capture filter is installed a moment after the message: probe until a probe shows.
    let seen = poll(Duration::from_secs(20), || {
        drop(TcpStream::connect(("127.0.0.1", port)));
        let bytes = fs::read(&t.path).unwrap_or_default();
        capture::streams(&bytes)
            .map(|s| s.iter().any(|s| s.server.port() == port))
            .unwrap_or(false)
    });
    assert!(seen, "tshark never captured the probe connection");
    t
}

impl Tshark {
    /// Waits until the capture holds `connections` TLS connections closed in both directions
    /// (FIN or RST), then stops tshark with SIGINT and waits for it to exit.
    pub fn stop(mut self, connections: usize) -> PathBuf {
        let done = poll(Duration::from_secs(20), || {
            let bytes = fs::read(&self.path).unwrap_or_default();
            let streams = capture::streams(&bytes).unwrap_or_default();
            let closed = streams
                .iter()
                .filter(|s| !s.client_to_server.bytes.is_empty())
                .filter(|s| {
                    (s.client_to_server.fin || s.client_to_server.rst)
                        && (s.server_to_client.fin || s.server_to_client.rst)
                })
                .count();
            closed >= connections
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
        assert!(
            done,
            "the capture never held {connections} closed connections"
        );
        self.path.clone()
    }
}

/// `openssl s_client` sending one HTTP request; `host` is "127.0.0.1" or "[::1]". Panics
/// unless the server answers.
pub fn s_client(host: &str, port: u16, extra: &[&str]) {
    let out = s_client_try(host, port, extra);
    assert!(
        out.contains("HTTP/1.0 200 ok"),
        "no HTTP answer from {host}:{port} {extra:?}: {out}"
    );
}

/// `openssl s_client` sending one HTTP request; returns what it printed, whatever happened.
pub fn s_client_try(host: &str, port: u16, extra: &[&str]) -> String {
    let mut child = Command::new("timeout")
        .args([
            "20",
            "openssl",
            "s_client",
            "-connect",
            &format!("{host}:{port}"),
        ])
        .args(["-servername", "localhost", "-ign_eof"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
    }
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    let _ = child.wait();
    out
}

/// Runs openssl with `args` in `dir`; panics when it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`{name}.pem`, `{name}.key`) and a client certificate it signed (`{name}-client.pem`,
/// `{name}-client.key`) in `dir`.
pub fn ca_and_client(dir: &Path, name: &str) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let (ca, ca_key) = (format!("{name}.pem"), format!("{name}.key"));
    let (cl, cl_key, csr) = (
        format!("{name}-client.pem"),
        format!("{name}-client.key"),
        format!("{name}-client.csr"),
    );
    let subj = format!("/CN={name} CA");
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-keyout", &ca_key, "-out", &ca, "-subj", &subj, "-days", "2",
    ]);
    openssl(dir, &args);
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend(["-keyout", &cl_key, "-out", &csr, "-subj", "/CN=client"]);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &cl,
            "-days",
            "2",
        ],
    );
}

/// tshark's `-T fields` output for the packets matching `filter`, one row per packet.
pub fn fields(path: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-Y", filter, "-T", "fields", "-E", "separator=|"];
    for f in fields {
        args.extend(["-e", f]);
    }
    tshark_read(path, &args)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

pub fn curl(url: &str) {
    let out = Command::new("curl")
        .args([
            "-sk",
            "--max-time",
            "20",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            url,
        ])
        .output()
        .expect("run curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200", "curl {url}");
}

/// tshark's follow of one TCP stream: node 0, node 1, bytes 0->1, bytes 1->0.
pub fn follow(path: &Path, stream: usize) -> (String, String, Vec<u8>, Vec<u8>) {
    let text = tshark_read(path, &["-q", "-z", &format!("follow,tcp,raw,{stream}")]);
    let (mut n0, mut n1, mut a, mut b) = (String::new(), String::new(), vec![], vec![]);
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Node 0: ") {
            n0 = n.to_string();
        } else if let Some(n) = line.strip_prefix("Node 1: ") {
            n1 = n.to_string();
        } else if let Some(hex) = line.strip_prefix('\t') {
            b.extend(unhex(hex));
        } else if !line.is_empty() && line.bytes().all(|c| c.is_ascii_hexdigit()) {
            a.extend(unhex(line));
        }
    }
    (n0, n1, a, b)
}

/// How many TCP streams tshark numbers in the file.
pub fn tshark_stream_count(path: &Path) -> usize {
    tshark_read(path, &["-T", "fields", "-e", "tcp.stream"])
        .lines()
        .filter_map(|l| l.trim().parse::<usize>().ok())
        .max()
        .map_or(0, |m| m + 1)
}

/// tshark's TCP conversations as unordered endpoint pairs, written as we write endpoints.
pub fn conversations(path: &Path) -> BTreeSet<(String, String)> {
    let text = tshark_read(path, &["-q", "-z", "conv,tcp"]);
    text.lines()
        .filter(|l| l.contains("<->"))
        .map(|l| {
            let mut words = l.split_whitespace();
            let a = bracket(words.next().unwrap_or_default());
            words.next();
            let b = bracket(words.next().unwrap_or_default());
            pair(a, b)
        })
        .collect()
}

/// tshark's conv table writes IPv6 endpoints as "::1:443"; we write "[::1]:443".
fn bracket(endpoint: &str) -> String {
    match endpoint.rsplit_once(':') {
        Some((ip, port)) if ip.contains(':') => format!("[{ip}]:{port}"),
        _ => endpoint.to_string(),
    }
}

pub fn pair(a: String, b: String) -> (String, String) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Asserts that our streams are tshark's: the same conversations, and for every stream tshark
/// follows, the same endpoints and the same bytes in each direction.
pub fn assert_same_as_tshark(path: &Path) -> Vec<Stream> {
    let bytes = fs::read(path).expect("read capture");
    let ours = capture::streams(&bytes).expect("our reading");
    let ours_pairs: BTreeSet<_> = ours
        .iter()
        .map(|s| pair(s.client.to_string(), s.server.to_string()))
        .collect();
    assert_eq!(ours_pairs, conversations(path), "conversations of {path:?}");
    let count = tshark_stream_count(path);
    assert_eq!(ours.len(), count, "stream count of {path:?}");
    for n in 0..count {
        let (n0, n1, a, b) = follow(path, n);
        let s = ours
            .iter()
            .find(|s| {
                pair(s.client.to_string(), s.server.to_string()) == pair(n0.clone(), n1.clone())
            })
            .unwrap_or_else(|| panic!("no stream {n0} <-> {n1} in ours"));
        let (ours_a, ours_b) = if s.client.to_string() == n0 {
            (&s.client_to_server.bytes, &s.server_to_client.bytes)
        } else {
            (&s.server_to_client.bytes, &s.client_to_server.bytes)
        };
        assert!(
            *ours_a == a,
            "{path:?} stream {n}: {n0} -> {n1} differs ({} vs {} bytes)",
            ours_a.len(),
            a.len()
        );
        assert!(
            *ours_b == b,
            "{path:?} stream {n}: {n1} -> {n0} differs ({} vs {} bytes)",
            ours_b.len(),
            b.len()
        );
    }
    ours
}

/// A classic pcap file taken apart: the 24-byte header and each record's header and data.
pub struct Pcap {
    pub header: Vec<u8>,
    pub records: Vec<([u8; 16], Vec<u8>)>,
}

impl Pcap {
    /// Reads a little-endian pcap (what editcap and dumpcap write on x86).
    pub fn parse(bytes: &[u8]) -> Pcap {
        assert_eq!(
            &bytes[..4],
            &[0xd4, 0xc3, 0xb2, 0xa1],
            "a little-endian µs pcap"
        );
        let mut records = vec![];
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let header: [u8; 16] = bytes[at..at + 16].try_into().unwrap();
            let len = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
            records.push((header, bytes[at + 16..at + 16 + len].to_vec()));
            at += 16 + len;
        }
        Pcap {
            header: bytes[..24].to_vec(),
            records,
        }
    }

    /// The file, with every record's lengths set from its data.
    pub fn write(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        for (h, data) in &self.records {
            let mut h = *h;
            let len = (data.len() as u32).to_le_bytes();
            h[8..12].copy_from_slice(&len);
            h[12..16].copy_from_slice(&len);
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
        }
        out
    }

    pub fn set_link_type(&mut self, link: u32) {
        self.header[20..24].copy_from_slice(&link.to_le_bytes());
    }
}

/// Converts a capture with editcap (`-F pcap`, `-F nsecpcap`, `-F pcapng`).
pub fn editcap(input: &Path, output: &Path, args: &[&str]) {
    let status = Command::new("editcap")
        .args(args)
        .arg(input)
        .arg(output)
        .status()
        .expect("run editcap");
    assert!(status.success(), "editcap {args:?}");
}
