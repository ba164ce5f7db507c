//! `mtlskit inspect` on the bytes of a real mTLS handshake (one direction as `.bin`, as an
//! `xxd` dump and as `hexdump -C`), compared with tshark's dissection of the same connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use mtlskit_tests::peer::s_server;
use mtlskit_tests::pki::make_full_pki;
use mtlskit_tests::tshark::{field_values, follow};
use mtlskit_tests::{inspect_json, items, mtlskit};

#[test]
fn handshake_bytes_in_every_encoding_match_tshark() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    let server = s_server(dir, "-tls1_2");
    let url = format!("https://localhost:{}/", server.port);
    let run = mtlskit(
        dir,
        &[
            "probe",
            "--ca",
            "ca.pem",
            "--cert",
            "client.pem",
            "--key",
            "client.key",
            "--save-handshake",
            "hs.pcap",
            &url,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let hs = follow(&dir.join("hs.pcap"), 0);
    let (to_server, to_client) = (hs.from0, hs.from1);
    assert!(to_server.len() > 200 && to_client.len() > 200);
    std::fs::write(dir.join("client.bin"), &to_server).unwrap();
    std::fs::write(dir.join("server.bin"), &to_client).unwrap();
    let xxd = Command::new("xxd")
        .current_dir(dir)
        .arg("client.bin")
        .output()
        .unwrap();
    std::fs::write(dir.join("client.xxd"), xxd.stdout).unwrap();
    let hd = Command::new("hexdump")
        .current_dir(dir)
        .args(["-C", "client.bin"])
        .output()
        .unwrap();
    std::fs::write(dir.join("client.hexdump"), hd.stdout).unwrap();

    let ja3 = field_values(&dir.join("hs.pcap"), "tls.handshake.ja3");
    let ja3s = field_values(&dir.join("hs.pcap"), "tls.handshake.ja3s");
    let (report, run) = inspect_json(
        dir,
        &["client.bin", "client.xxd", "client.hexdump", "server.bin"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let items = items(&report);
    for item in &items[..3] {
        assert_eq!(item["kind"], "tls");
        assert_eq!(item["client_hello"]["server_name"], "localhost");
        assert_eq!(
            Some(item["client_hello"]["ja3"].as_str().unwrap().to_string()),
            ja3.first().cloned(),
            "{item:#}"
        );
        // The client's certificate is readable in TLS 1.2.
        assert_eq!(item["certificates"][0]["subject"], "CN=client");
    }
    let server = &items[3];
    assert_eq!(
        Some(server["server_hello"]["ja3s"].as_str().unwrap().to_string()),
        ja3s.first().cloned()
    );
    assert_eq!(
        server["certificate_request"]["certificate_authorities"],
        serde_json::json!(["CN=Test CA"])
    );
    let types: Vec<u64> = server["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type_code"].as_u64().unwrap())
        .collect();
    // ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone, and
    // NewSessionTicket (still plaintext in TLS 1.2, before ChangeCipherSpec).
    assert_eq!(types, [2, 11, 12, 13, 14, 4]);

    // The text view names what a person looks for.
    let text = mtlskit(dir, &["inspect", "server.bin"], None);
    for want in [
        "ServerHello:",
        "CertificateRequest:",
        "acceptable CAs     CN=Test CA",
        "JA3S",
    ] {
        assert!(
            text.stdout.contains(want),
            "missing {want}: {}",
            text.stdout
        );
    }
}
