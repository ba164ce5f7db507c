//! `mtlskit inspect --summary | --jsonl | --filter` on a capture of many connections: the
//! summary's counts against tshark's dissection of the same file, standard input, filters,
//! and JSON lines that parse, in the same order whatever the number of threads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mtlskit_inspect::tls::names::cipher_suite_name;
use mtlskit_tests::capture::Pcap;
use mtlskit_tests::mtlskit;
use mtlskit_tests::tshark::rows;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Copies of the recorded handshakes of testdata/web (one accepted, one refused for want of a
/// client certificate), each on its own client port and 25 seconds after the one before, so
/// they fall in several minutes: `(accepted, refused)` copies, interleaved.
fn many(dir: &Path, accepted: usize, refused: usize) -> PathBuf {
    let ok = Pcap::parse(&std::fs::read(root().join("testdata/web/mtls_ok.pcap")).unwrap());
    let bad = Pcap::parse(&std::fs::read(root().join("testdata/web/no_client_cert.pcap")).unwrap());
    let mut out = Pcap {
        header: ok.header.clone(),
        records: Vec::new(),
    };
    let base = u32::from_le_bytes(ok.records[0].0[..4].try_into().unwrap());
    let (mut a, mut r) = (0, 0);
    for n in 0..accepted + refused {
        let source = if (n % 2 == 0 && a < accepted) || r >= refused {
            a += 1;
            &ok
        } else {
            r += 1;
            &bad
        };
        let first = &source.records[0].1;
        let ihl = usize::from(first[14] & 0x0f) * 4;
        let client = u16::from_be_bytes([first[14 + ihl], first[15 + ihl]]);
        let port = 20000 + n as u16;
        let start = u32::from_le_bytes(source.records[0].0[..4].try_into().unwrap());
        for (header, frame) in &source.records {
            let mut header = *header;
            let mut frame = frame.clone();
            let secs = u32::from_le_bytes(header[..4].try_into().unwrap());
            header[..4].copy_from_slice(&(base + (secs - start) + 25 * n as u32).to_le_bytes());
            let tcp = 14 + usize::from(frame[14] & 0x0f) * 4;
            for at in [tcp, tcp + 2] {
                if u16::from_be_bytes([frame[at], frame[at + 1]]) == client {
                    frame[at..at + 2].copy_from_slice(&port.to_be_bytes());
                }
            }
            out.records.push((header, frame));
        }
    }
    let path = dir.join("many.pcap");
    std::fs::write(&path, out.write()).unwrap();
    path
}

fn summary_json(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Value {
    let mut all = vec!["inspect", "--summary", "--json"];
    all.extend_from_slice(args);
    let run = mtlskit(dir, &all, stdin);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// A summary table as value -> connections.
fn table(summary: &Value, name: &str) -> BTreeMap<String, u64> {
    summary[name]
        .as_array()
        .unwrap_or_else(|| panic!("no table {name}"))
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap().to_string(),
                r["connections"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn counts<I: IntoIterator<Item = String>>(values: I) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(v).or_insert(0) += 1;
    }
    out
}

#[test]
fn summary_counts_equal_tsharks_dissection() {
    let dir = tempfile::tempdir().unwrap();
    let file = many(dir.path(), 7, 5);
    let s = summary_json(dir.path(), &[file.to_str().unwrap()], None);

    // TLS connections: the TCP streams with a ClientHello.
    let hellos = rows(
        &file,
        Some("tls.handshake.type == 1"),
        &["tcp.stream", "tls.handshake.extensions_server_name"],
    );
    let streams: BTreeSet<String> = hellos.iter().map(|r| r[0].clone()).collect();
    assert_eq!(s["connections"], streams.len() as u64);
    assert_eq!(s["connections"], 12);
    assert_eq!(
        table(&s, "server_names"),
        counts(hellos.iter().map(|r| r[1].clone()))
    );

    // Versions and suites: the ServerHellos.
    let server_hellos = rows(
        &file,
        Some("tls.handshake.type == 2"),
        &[
            "tls.handshake.version",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.ciphersuite",
        ],
    );
    let versions = server_hellos.iter().map(|r| {
        let v = if r[1].is_empty() { &r[0] } else { &r[1] };
        match v.as_str() {
            "0x0304" => "TLS 1.3".to_string(),
            "0x0303" => "TLS 1.2".to_string(),
            other => panic!("version {other}"),
        }
    });
    assert_eq!(table(&s, "versions"), counts(versions));
    let suites = server_hellos.iter().map(|r| {
        let code = u16::from_str_radix(r[2].trim_start_matches("0x"), 16).unwrap();
        cipher_suite_name(code).unwrap().to_string()
    });
    assert_eq!(table(&s, "cipher_suites"), counts(suites));

    // Failed handshakes: the streams with a fatal alert.
    let fatal: BTreeSet<String> =
        rows(&file, Some("tls.alert_message.level == 2"), &["tcp.stream"])
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
    assert_eq!(s["outcomes"]["failed"], fatal.len() as u64);
    assert_eq!(s["outcomes"]["failed"], 5);
    assert_eq!(s["outcomes"]["completed"], 7);

    // Client certificates: the client's Certificate messages, empty or not.
    let client_certs = rows(
        &file,
        Some("tls.handshake.type == 11 && tcp.srcport >= 20000"),
        &["tls.handshake.certificates_length"],
    );
    let sent = client_certs.iter().filter(|r| r[0] != "0").count() as u64;
    let empty = client_certs.iter().filter(|r| r[0] == "0").count() as u64;
    let certs = table(&s, "client_certificates");
    assert_eq!(certs.get("sent").copied().unwrap_or(0), sent);
    assert_eq!(certs.get("empty").copied().unwrap_or(0), empty);

    // Per minute: each stream's first packet's minute, and whether it failed.
    let firsts = rows(
        &file,
        Some("tcp.flags.syn == 1 && tcp.flags.ack == 0"),
        &["tcp.stream", "frame.time_epoch"],
    );
    let mut minutes: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for r in &firsts {
        let secs: f64 = r[1].parse().unwrap();
        let m = minutes.entry(secs as i64 / 60).or_default();
        m.0 += 1;
        m.1 += u64::from(fatal.contains(&r[0]));
    }
    let ours: Vec<(u64, u64)> = s["per_minute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["handshakes"].as_u64().unwrap(),
                m["failed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(ours.len() >= 4, "{ours:?}");
    assert_eq!(ours, minutes.into_values().collect::<Vec<_>>());
}

#[test]
fn stdin_gives_the_same_summary_and_text_renders_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = many(dir.path(), 3, 2);
    let bytes = std::fs::read(&file).unwrap();
    let from_file = summary_json(dir.path(), &[file.to_str().unwrap()], None);
    let from_stdin = summary_json(dir.path(), &["-"], Some(&bytes));
    assert_eq!(from_file, from_stdin);
    let run = mtlskit(dir.path(), &["inspect", "--summary", "-"], Some(&bytes));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("handshakes: 3 completed, 2 failed, 0 unknown, 0 without a ClientHello (failure rate 40.0%)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("client_certificate_missing"),
        "{}",
        run.stdout
    );
}

fn jsonl(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["inspect", "--jsonl"];
    all.extend_from_slice(args);
    let run = mtlskit(dir, &all, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn jsonl_lines_parse_in_a_stable_order_and_filters_pick_connections() {
    let dir = tempfile::tempdir().unwrap();
    let file = many(dir.path(), 4, 3);
    let path = file.to_str().unwrap();
    let one = jsonl(dir.path(), &["--jobs", "1", path]);
    let three = jsonl(dir.path(), &["--jobs", "3", path]);
    assert_eq!(one.len(), 7);
    assert_eq!(one, three, "the order does not depend on the threads");
    // Each line is a connection object of the report (docs/report-format.md).
    let whole = mtlskit_tests::inspect_json(dir.path(), &[path]).0;
    let connections = whole["items"][0]["connections"].as_array().unwrap();
    assert_eq!(one.len(), connections.len());
    for line in &one {
        assert!(connections.contains(line), "{line}");
    }

    let missing = jsonl(
        dir.path(),
        &["--filter", "code=client_certificate_missing", path],
    );
    assert_eq!(missing.len(), 3);
    let port = missing[0]["client"].as_str().unwrap().to_string();
    let by_addr = jsonl(dir.path(), &["--filter", &format!("addr={port}"), path]);
    assert_eq!(by_addr.len(), 1);
    assert_eq!(by_addr[0], missing[0]);
    assert_eq!(
        jsonl(dir.path(), &["--filter", "addr=127.0.0.1", path]).len(),
        7
    );
    assert_eq!(
        jsonl(dir.path(), &["--filter", "sni=nowhere.example", path]).len(),
        0
    );
    let subject = jsonl(
        dir.path(),
        &[
            "--filter",
            "subject=mtlskit client",
            "--filter",
            "sni=localhost",
            path,
        ],
    );
    assert_eq!(subject.len(), 4);
    let ja4 = one[0]["client_to_server"]["client_hello"]["ja4"]
        .as_str()
        .unwrap();
    assert_eq!(
        jsonl(dir.path(), &["--filter", &format!("ja4={ja4}"), path]).len(),
        7
    );
    let s = summary_json(
        dir.path(),
        &["--filter", "code=client_certificate_missing", path],
        None,
    );
    assert_eq!(s["connections"], 3);
    assert_eq!(s["outcomes"]["failed"], 3);

    let bad = mtlskit(
        dir.path(),
        &["inspect", "--jsonl", "--filter", "port=1", path],
        None,
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("not one of sni, ja4, code, subject, addr"),
        "{}",
        bad.stderr
    );
    let not_capture = dir.path().join("x.txt");
    std::fs::write(&not_capture, "hello").unwrap();
    let run = mtlskit(
        dir.path(),
        &["inspect", "--summary", not_capture.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not a readable capture"),
        "{}",
        run.stderr
    );
}

#[test]
fn jsonl_decrypts_with_a_key_log() {
    let dir = root().join("testdata/decrypt");
    let capture = dir.join("tls13.pcapng");
    let keys = dir.join("tls13.keys");
    let plain = jsonl(&dir, &[capture.to_str().unwrap()]);
    assert_eq!(plain.len(), 3);
    for line in &plain {
        assert_eq!(line["summary"]["client_certificate"], "encrypted");
    }
    let decrypted = jsonl(
        &dir,
        &[
            "--keylog",
            keys.to_str().unwrap(),
            capture.to_str().unwrap(),
        ],
    );
    assert_eq!(decrypted.len(), 3);
    for line in &decrypted {
        assert!(
            line["decryption"]["records_decrypted"].as_u64().unwrap() > 0,
            "{line}"
        );
        assert_ne!(line["summary"]["client_certificate"], "encrypted");
    }
}
