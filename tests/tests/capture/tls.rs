//! `capture::decode` on real mTLS handshakes captured on 127.0.0.1: every connection is found
//! with the right client and server, each direction's TLS matches tshark's dissection of the
//! same file (JA3, JA3S, chosen suite, alerts and who sent them), and the connection summary
//! says what happened to the client certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_inspect::capture;
use mtlskit_inspect::capture::model::{ClientBy, ClientCertificate, Connection, Direction};
use mtlskit_inspect::Timestamp;
use mtlskit_tests::capture::{editcap, Pcap};
use mtlskit_tests::peer::{get, good_ca_server};
use mtlskit_tests::tshark::{rows, Capture};

struct Case {
    name: &'static str,
    args: Vec<String>,
    accepted: bool,
}

fn cases(dir: &Path) -> Vec<Case> {
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let with = |version: &str, ca: &str| {
        vec![
            version.to_string(),
            "-cert".into(),
            path(&format!("{ca}-client.pem")),
            "-key".into(),
            path(&format!("{ca}-client.key")),
        ]
    };
    vec![
        Case {
            name: "TLS 1.2 mTLS",
            args: with("-tls1_2", "good"),
            accepted: true,
        },
        Case {
            name: "TLS 1.2 no client certificate",
            args: vec!["-tls1_2".into()],
            accepted: false,
        },
        Case {
            name: "TLS 1.2 certificate from another CA",
            args: with("-tls1_2", "other"),
            accepted: false,
        },
        Case {
            name: "TLS 1.3 mTLS",
            args: with("-tls1_3", "good"),
            accepted: true,
        },
    ]
}

/// Runs every case against one `s_server -Verify 1`, captured on lo; returns the file and the
/// client port of each case.
fn capture_cases(dir: &Path) -> (std::path::PathBuf, Vec<(Case, u16)>) {
    let (_server, port) = good_ca_server(dir);
    let cap = Capture::start(dir, "lo", port, "mtls.pcapng", &[]);
    let cases = cases(dir);
    let n = cases.len();
    for case in &cases {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let out = get("127.0.0.1", port, &args);
        assert_eq!(
            out.contains("HTTP/1.0 200 ok"),
            case.accepted,
            "{}: {out}",
            case.name
        );
    }
    let file = cap.stop(n);
    // The cases ran one after the other: their connections are the TLS ones, in order.
    let streams = capture::streams(&std::fs::read(&file).unwrap()).unwrap();
    let ports: Vec<u16> = streams
        .iter()
        .filter(|s| !s.client_to_server.bytes.is_empty())
        .map(|s| s.client.port())
        .collect();
    assert_eq!(ports.len(), n);
    (file, cases.into_iter().zip(ports).collect())
}

fn by_port(connections: &[Connection], port: u16) -> &Connection {
    connections
        .iter()
        .find(|c| c.client == format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("no connection from port {port}"))
}

#[test]
fn mtls_handshakes_decode_like_tshark() {
    let dir = tempfile::tempdir().unwrap();
    let (file, cases) = capture_cases(dir.path());
    let bytes = std::fs::read(&file).unwrap();
    let now = Timestamp::parse_rfc3339("2030-01-01T00:00:00Z").ok();
    let decoded = capture::decode(&bytes, None).unwrap();
    let c = &decoded.capture;
    assert_eq!(c.format, "pcapng");
    // The readiness probes send nothing; s_server answers them with an alert, so they are
    // TLS connections too, with no client bytes.
    let with_client_bytes = c
        .connections
        .iter()
        .filter(|k| k.bytes_client_to_server > 0);
    assert_eq!(with_client_bytes.count(), cases.len());
    assert!(c.connections.iter().all(|k| k.bytes_client_to_server > 0
        || k.server_to_client
            .records
            .iter()
            .all(|r| r.content_type == 21)));
    // The cases' connections are captured whole (the readiness probes before them may have
    // been caught mid-way while tshark installed its filter, under load).
    assert!(c
        .connections
        .iter()
        .filter(|k| k.bytes_client_to_server > 0)
        .all(|k| k.client_by == ClientBy::Syn && k.gaps.is_empty()));

    // tshark's dissection of the same file.
    let hellos = rows(
        &file,
        Some("tls.handshake.type == 1"),
        &["tcp.srcport", "tls.handshake.ja3"],
    );
    let servers = rows(
        &file,
        Some("tls.handshake.type == 2"),
        &[
            "tcp.dstport",
            "tls.handshake.ja3s",
            "tls.handshake.ciphersuite",
        ],
    );
    let alerts = rows(
        &file,
        Some("tls.alert_message.desc"),
        &["tcp.srcport", "tcp.dstport", "tls.alert_message.desc"],
    );
    for (case, port) in &cases {
        let k = by_port(&c.connections, *port);
        let ch = k
            .client_to_server
            .client_hello
            .as_ref()
            .expect("ClientHello");
        let sh = k
            .server_to_client
            .server_hello
            .as_ref()
            .expect("ServerHello");
        let row = |rows: &[Vec<String>]| {
            rows.iter()
                .find(|r| r[0] == port.to_string())
                .cloned()
                .unwrap_or_else(|| panic!("{}: tshark has no row", case.name))
        };
        assert_eq!(ch.ja3, row(&hellos)[1], "{}: JA3", case.name);
        let s = row(&servers);
        assert_eq!(sh.ja3s, s[1], "{}: JA3S", case.name);
        assert_eq!(
            format!("0x{:04x}", sh.cipher_suite),
            s[2],
            "{}: suite",
            case.name
        );
        assert_eq!(k.summary.cipher_suite, Some(sh.cipher_suite));
        assert_eq!(k.summary.server_name.as_deref(), Some("localhost"));
        assert!(k.server_to_client.certificates.len() <= 1);
        // Alerts tshark can read (plaintext ones), with the side that sent them.
        let theirs: Vec<String> = alerts
            .iter()
            .filter(|r| r[0] == port.to_string() || r[1] == port.to_string())
            .map(|r| {
                let who = if r[0] == port.to_string() {
                    "client"
                } else {
                    "server"
                };
                format!("{who}:{}", r[2])
            })
            .collect();
        let ours: Vec<String> = [
            ("client", &k.client_to_server),
            ("server", &k.server_to_client),
        ]
        .iter()
        .flat_map(|(who, t)| t.alerts.iter().map(move |a| format!("{who}:{}", a.code)))
        .collect();
        assert_eq!(ours, theirs, "{}: alerts", case.name);
    }
    let summary = |i: usize| &by_port(&c.connections, cases[i].1).summary;
    assert_eq!(summary(0).version, Some(0x0303));
    assert!(summary(0).client_certificate_requested);
    assert_eq!(summary(0).client_certificate, Some(ClientCertificate::Sent));
    assert_eq!(
        summary(1).client_certificate,
        Some(ClientCertificate::Empty)
    );
    assert!(
        summary(1)
            .alerts
            .iter()
            .any(|a| a.starts_with("server: fatal")),
        "{:?}",
        summary(1)
    );
    assert_eq!(summary(2).client_certificate, Some(ClientCertificate::Sent));
    assert!(
        summary(2)
            .alerts
            .iter()
            .any(|a| a.starts_with("server: fatal")),
        "{:?}",
        summary(2)
    );
    assert_eq!(summary(3).version, Some(0x0304));
    assert_eq!(
        summary(3).client_certificate,
        Some(ClientCertificate::Encrypted)
    );

    // The report object serialises with the contract's names.
    let json = serde_json::to_value(c).unwrap();
    let first = &json["connections"][0];
    for key in ["client", "server", "client_to_server", "server_to_client"] {
        assert!(!first[key].is_null(), "{key}");
    }
    assert!(first["client_to_server"]["records"].is_array());

    // The tree points into the file: each connection's first record starts with 0x16 0x03.
    assert_eq!(decoded.tree.len(), c.connections.len());
    for node in decoded
        .tree
        .iter()
        .filter(|n| !n.children[0].children.is_empty())
    {
        let record = &node.children[0].children[0];
        assert_eq!(
            &bytes[record.span.offset..record.span.offset + 2],
            &[0x16, 0x03]
        );
    }
    // With a time, the certificates' validity is checked too (they expire in two days).
    let later = capture::decode(&bytes, now).unwrap();
    assert!(later.findings.len() > decoded.findings.len());
}

#[test]
fn a_gap_stops_tls_decoding_with_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (file, cases) = capture_cases(dir.path());
    let pcap = dir.path().join("mtls.pcap");
    editcap(&file, &pcap, &["-F", "pcap"]);
    let mut p = Pcap::parse(&std::fs::read(&pcap).unwrap());
    // Drop the packet that carries the server's Certificate in the first case (TLS 1.2).
    let full = capture::decode(&std::fs::read(&pcap).unwrap(), None).unwrap();
    let k = by_port(&full.capture.connections, cases[0].1);
    let s2c = &k.server_to_client;
    assert!(!s2c.certificates.is_empty());
    let streams = capture::streams(&std::fs::read(&pcap).unwrap()).unwrap();
    let stream = streams
        .iter()
        .find(|s| s.client.port() == cases[0].1)
        .unwrap();
    let last_chunk = stream.server_to_client.chunks.last().unwrap();
    p.records.remove(last_chunk.packet - 1);
    let damaged = p.write();
    let d = capture::decode(&damaged, None).unwrap();
    let k = by_port(&d.capture.connections, cases[0].1);
    assert_eq!(
        k.gaps.len(),
        0,
        "a lost last segment is no gap: nothing follows it"
    );
    let whole = by_port(&full.capture.connections, cases[0].1).bytes_server_to_client;
    assert!(k.bytes_server_to_client < whole);
    // Now lose the first server segment: everything after is a gap's aftermath.
    let mut p = Pcap::parse(&std::fs::read(&pcap).unwrap());
    let first_chunk = stream.server_to_client.chunks.first().unwrap();
    p.records.remove(first_chunk.packet - 1);
    let d = capture::decode(&p.write(), None).unwrap();
    let k = by_port(&d.capture.connections, cases[0].1);
    assert_eq!(k.gaps.len(), 1);
    assert_eq!(k.gaps[0].direction, Direction::ServerToClient);
    assert_eq!(k.gaps[0].offset, 0);
    assert!(k.server_to_client.server_hello.is_none());
    assert!(k.findings.iter().any(|f| f.code == "tls_after_gap"));
    assert!(d.findings.iter().any(|f| f.code == "tcp_gap"));
}
