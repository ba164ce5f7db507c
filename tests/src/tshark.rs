//! tshark for the tests: a capture of `tcp port PORT` while the test runs, stopped with SIGINT
//! (tshark closes the file and stops its dumpcap), and tshark's reading of a capture file
//! (fields, `follow,tcp,raw`, `conv,tcp`) as the reference the decoders are compared with.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mtlskit_inspect::capture;

use crate::process::{poll, Daemon};

/// A running tshark writing a capture of `tcp port PORT`; stopped with SIGINT when dropped.
#[derive(Debug)]
pub struct Capture {
    daemon: Daemon,
    pub path: PathBuf,
}

impl Capture {
    /// Starts `tshark -i IFACE -f "tcp port PORT" -w DIR/NAME ARGS...` and returns once the
    /// capture demonstrably holds packets: a probe connection to `port` (no data) must show up
    /// in the file.
    pub fn start(dir: &Path, iface: &str, port: u16, name: &str, args: &[&str]) -> Capture {
        let path = dir.join(name);
        let err = dir.join(format!("{name}.stderr"));
        let child = Command::new("tshark")
            .args(["-i", iface, "-f", &format!("tcp port {port}"), "-w"])
            .arg(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).expect("tshark stderr file"))
            .spawn()
            .expect("start tshark (apt-get install tshark)");
        let capture = Capture {
            daemon: Daemon::stopped_by(child, port, "INT"),
            path,
        };
        assert!(
            poll(Duration::from_secs(20), || std::fs::read_to_string(&err)
                .unwrap_or_default()
                .contains("Capturing on")),
            "tshark did not start: {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        // The capture filter is installed a moment after the message: probe until one shows.
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let seen = poll(Duration::from_secs(20), || {
            drop(TcpStream::connect_timeout(
                &addr,
                Duration::from_millis(200),
            ));
            capture.streams().iter().any(|s| s.server.port() == port)
        });
        assert!(seen, "tshark never captured the probe connection");
        capture
    }

    /// The TCP streams of the file so far, as the capture reader sees them.
    fn streams(&self) -> Vec<capture::Stream> {
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        capture::streams(&bytes).unwrap_or_default()
    }

    /// Waits until the capture holds `connections` connections with data closed (a FIN each
    /// way, or a RST either way), then stops tshark with SIGINT and waits for it to exit.
    pub fn stop(mut self, connections: usize) -> PathBuf {
        let done = poll(Duration::from_secs(20), || {
            let closed = self
                .streams()
                .iter()
                .filter(|s| !s.client_to_server.bytes.is_empty())
                .filter(|s| {
                    let (c, s) = (&s.client_to_server, &s.server_to_client);
                    // A reset from either side ends the connection; else both send a FIN.
                    c.rst || s.rst || (c.fin && s.fin)
                })
                .count();
            closed >= connections
        });
        let status = self.daemon.stop();
        assert!(status.is_some(), "tshark did not exit on SIGINT");
        assert!(
            done,
            "the capture never held {connections} closed connections"
        );
        self.path.clone()
    }
}

/// `tshark -r PATH ARGS...`'s output; panics when tshark fails.
pub fn tshark_read(path: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(args)
        .output()
        .expect("run tshark -r");
    assert!(
        out.status.success(),
        "tshark -r {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// tshark's `-T fields` output for the packets matching `filter` (none: every packet), one row
/// per packet, one column per field; `options` are more `-E` options.
fn field_rows(path: &Path, filter: Option<&str>, names: &[&str], options: &[&str]) -> Vec<String> {
    let mut args = vec![];
    if let Some(filter) = filter {
        args.extend(["-Y", filter]);
    }
    args.extend(["-T", "fields", "-E", "separator=|"]);
    args.extend_from_slice(options);
    for n in names {
        args.extend(["-e", n]);
    }
    tshark_read(path, &args)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The fields `names` of the packets matching `filter` (none: every packet), one row per
/// packet; a field that occurs several times in a packet is tshark's comma-separated list.
pub fn rows(path: &Path, filter: Option<&str>, names: &[&str]) -> Vec<Vec<String>> {
    field_rows(path, filter, names, &[])
        .iter()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// For one direction of one stream (TLS packets from port `from_port`), per frame, every
/// occurrence of each field.
pub fn frames(path: &Path, stream: usize, from_port: u16, names: &[&str]) -> Vec<Vec<Vec<String>>> {
    let filter = format!("tcp.stream=={stream} && tcp.srcport=={from_port} && tls");
    frames_where(path, &filter, names, &[])
}

/// Per frame matching `filter`, every occurrence of each field; `extra` are more tshark
/// options (`-o tls.keylog_file:FILE`).
fn frames_where(
    path: &Path,
    filter: &str,
    names: &[&str],
    extra: &[&str],
) -> Vec<Vec<Vec<String>>> {
    let mut options = vec!["-E", "occurrence=a", "-E", "aggregator=~"];
    options.extend_from_slice(extra);
    field_rows(path, Some(filter), names, &options)
        .iter()
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

/// Every occurrence of each field, in frame order, in the TLS packets from port `from` to port
/// `to`, as tshark reads them decrypted with the NSS key log `keylog`.
pub fn decrypted_fields(
    path: &Path,
    keylog: &Path,
    from: u16,
    to: u16,
    names: &[&str],
) -> Vec<Vec<String>> {
    let filter = format!("tcp.srcport=={from} && tcp.dstport=={to} && tls");
    let option = format!("tls.keylog_file:{}", keylog.display());
    let mut out = vec![Vec::new(); names.len()];
    for frame in frames_where(path, &filter, names, &["-o", &option]) {
        for (i, values) in frame.into_iter().enumerate() {
            if let Some(col) = out.get_mut(i) {
                col.extend(values);
            }
        }
    }
    out
}

/// The non-empty values of one field over every packet of a file.
pub fn field_values(path: &Path, field: &str) -> Vec<String> {
    rows(path, None, &[field])
        .into_iter()
        .flatten()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// TCP streams in the file that carry data to `port`, as tshark numbers them.
pub fn data_streams(path: &Path, port: u16) -> Vec<usize> {
    let filter = format!("tcp.dstport=={port} && tcp.len>0");
    let mut v: Vec<usize> = rows(path, Some(&filter), &["tcp.stream"])
        .into_iter()
        .flatten()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    v.dedup();
    v
}

/// A tshark number ("22", "0x1301") as a number.
pub fn num(v: &str) -> u64 {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).expect("hex number"),
        None => v.parse().expect("number"),
    }
}

/// Bytes of a hex string (pairs of digits).
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// One TCP stream as tshark's `follow,tcp,raw` shows it.
#[derive(Debug)]
pub struct Follow {
    /// Node 0: the side that opened the connection, as tshark writes the endpoint.
    pub node0: String,
    /// Node 1: the other side.
    pub node1: String,
    /// The bytes node 0 sent.
    pub from0: Vec<u8>,
    /// The bytes node 1 sent.
    pub from1: Vec<u8>,
}

/// tshark's follow of TCP stream `stream` of a capture.
pub fn follow(path: &Path, stream: usize) -> Follow {
    let text = tshark_read(path, &["-q", "-z", &format!("follow,tcp,raw,{stream}")]);
    let mut f = Follow {
        node0: String::new(),
        node1: String::new(),
        from0: vec![],
        from1: vec![],
    };
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Node 0: ") {
            f.node0 = n.to_string();
        } else if let Some(n) = line.strip_prefix("Node 1: ") {
            f.node1 = n.to_string();
        } else if let Some(hex) = line.strip_prefix('\t') {
            f.from1.extend(unhex(hex));
        } else if !line.is_empty() && line.bytes().all(|c| c.is_ascii_hexdigit()) {
            f.from0.extend(unhex(line));
        }
    }
    f
}

/// How many TCP streams tshark numbers in the file.
pub fn stream_count(path: &Path) -> usize {
    field_values(path, "tcp.stream")
        .iter()
        .filter_map(|l| l.parse::<usize>().ok())
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

/// Two endpoints in a fixed order, so that a connection is the same pair either way round.
pub fn pair(a: String, b: String) -> (String, String) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}
