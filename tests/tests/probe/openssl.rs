//! `mtlskit probe` against `openssl s_server` requiring a client certificate: success, no
//! certificate, a certificate from another CA, an expired one, an untrusted server, and the
//! saved handshake read back by tshark.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use mtlskit_tests::mtlskit;
use mtlskit_tests::peer::s_server;
use mtlskit_tests::pki::make_full_pki;
use mtlskit_tests::process::free_port;

fn probe(dir: &Path, port: u16, extra: &[&str]) -> (i32, serde_json::Value) {
    let url = format!("https://localhost:{port}/");
    let mut args = vec!["probe", "--json", "--ca", "ca.pem", &url];
    args.extend_from_slice(extra);
    let run = mtlskit(dir, &args, None);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", run.stdout, run.stderr));
    (run.code, report)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn alert_codes(report: &serde_json::Value) -> Vec<u64> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_u64().unwrap())
        .collect()
}

#[test]
fn mtls_success_in_tls12_and_tls13() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    for (flag, version) in [("-tls1_3", "TLS 1.3"), ("-tls1_2", "TLS 1.2")] {
        let server = s_server(dir, flag);
        let (code, r) = probe(
            dir,
            server.port,
            &["--cert", "client.pem", "--key", "client.key"],
        );
        assert_eq!(code, 0, "{r:#}");
        assert_eq!(r["verdict"], "ok");
        assert_eq!(r["negotiated"]["version"], version);
        assert_eq!(r["response"]["status"], 200);
        assert_eq!(r["client_certificate_requested"], true);
        assert_eq!(r["acceptable_cas"], serde_json::json!(["CN=Test CA"]));
        assert_eq!(r["client_certificate_sent"], "CN=client");
        assert_eq!(r["server_chain"][0]["subject"], "CN=server");
        // The decoded ClientHello is the one the probe sent.
        let offered = r["client_to_server"]["client_hello"]["server_name"].as_str();
        assert_eq!(offered, Some("localhost"));
    }
}

#[test]
fn no_client_certificate_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    for (flag, alert) in [("-tls1_3", 116), ("-tls1_2", 40)] {
        let server = s_server(dir, flag);
        let (code, r) = probe(dir, server.port, &[]);
        assert_eq!(code, 1, "{r:#}");
        assert!(
            codes(&r).contains(&"client_certificate_missing".to_string()),
            "{flag}: {r:#}"
        );
        assert!(
            alert_codes(&r).contains(&alert),
            "{flag}: {:?}",
            alert_codes(&r)
        );
        assert!(
            r["reason"].as_str().unwrap().contains("client certificate") || alert == 40,
            "{r:#}"
        );
    }
}

#[test]
fn rejected_client_certificates_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    let server = s_server(dir, "-tls1_2");
    let (code, r) = probe(
        dir,
        server.port,
        &["--cert", "other.pem", "--key", "other.key"],
    );
    assert_eq!(code, 1);
    assert!(
        alert_codes(&r).contains(&48),
        "unknown_ca: {:?}",
        alert_codes(&r)
    );
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("does not trust the CA"),
        "{}",
        r["reason"]
    );
    assert!(
        codes(&r).contains(&"client_certificate_rejected".to_string()),
        "{:?}",
        codes(&r)
    );

    let (code, r) = probe(
        dir,
        server.port,
        &["--cert", "expired.pem", "--key", "expired.key"],
    );
    assert_eq!(code, 1);
    assert!(
        alert_codes(&r).contains(&45),
        "certificate_expired: {:?}",
        alert_codes(&r)
    );
    assert!(
        codes(&r).contains(&"expired".to_string()),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn untrusted_server_is_refused_with_the_diagnosis() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    let server = s_server(dir, "-tls1_3");
    let url = format!("https://localhost:{}/", server.port);
    let run = mtlskit(
        dir,
        &[
            "probe",
            "--ca",
            "otherca.pem",
            "--cert",
            "client.pem",
            "--key",
            "client.key",
            &url,
        ],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("Server certificate     REFUSED"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("untrusted_issuer"), "{}", run.stdout);
    assert!(run.stdout.contains("Verdict: FAILED"), "{}", run.stdout);
}

#[test]
fn saved_handshake_reads_in_tshark() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    let server = s_server(dir, "-tls1_2");
    let (code, _) = probe(
        dir,
        server.port,
        &[
            "--cert",
            "client.pem",
            "--key",
            "client.key",
            "--save-handshake",
            "hs.pcap",
        ],
    );
    assert_eq!(code, 0);
    let out = Command::new("tshark")
        .current_dir(dir)
        .args([
            "-r",
            "hs.pcap",
            "-o",
            "tls.desegment_ssl_records:TRUE",
            "-T",
            "fields",
            "-e",
            "tls.handshake.type",
        ])
        .output()
        .unwrap();
    let types = String::from_utf8_lossy(&out.stdout);
    let all: Vec<&str> = types
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    for t in ["1", "2", "11", "13", "14", "16"] {
        assert!(
            all.contains(&t),
            "handshake type {t} missing from tshark's view: {all:?}"
        );
    }
    // The packets follow the handshake's turns: the ServerHello (2) comes before the client's
    // key exchange (16), as on the wire.
    let frames = Command::new("tshark")
        .current_dir(dir)
        .args(["-r", "hs.pcap", "-T", "fields", "-e", "tls.handshake.type"])
        .output()
        .unwrap();
    let frames = String::from_utf8_lossy(&frames.stdout).to_string();
    let position = |t: &str| frames.lines().position(|l| l.split(',').any(|x| x == t));
    assert!(position("2") < position("16"), "frame order: {frames:?}");
}

#[test]
fn usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(mtlskit(dir, &["probe", "http://localhost/"], None).code, 2);
    assert_eq!(
        mtlskit(
            dir,
            &["probe", "https://localhost/", "--cert", "x.pem"],
            None
        )
        .code,
        2
    );
    let run = mtlskit(
        dir,
        &["probe", "https://localhost/", "--ca", "missing.pem"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("missing.pem: no such file"),
        "{}",
        run.stderr
    );
    // Nothing listens on this port: a clear failure, exit 1.
    let port = free_port();
    let run = mtlskit(dir, &["probe", &format!("https://127.0.0.1:{port}/")], None);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("cannot connect"), "{}", run.stdout);
}
