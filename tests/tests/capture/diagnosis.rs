//! Captures of failed mTLS handshakes are explained: `inspect()` (what `mtlskit inspect` and
//! the web page run) turns a real tshark capture of each failure into the right finding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_inspect::{inspect, ItemBody};
use mtlskit_tests::peer::{get, self_signed_server};
use mtlskit_tests::pki::ca_and_client;
use mtlskit_tests::process::free_port;
use mtlskit_tests::tshark::Capture;

/// Runs one client case against `s_server` (extra server options), captured on lo; returns
/// the capture's findings as (code, message).
fn case(dir: &Path, server_extra: &[&str], client: &[&str]) -> Vec<(String, String)> {
    let port = free_port();
    let ca = dir.join("good.pem");
    let mut args = vec![
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        ca.to_str().unwrap(),
    ];
    args.extend_from_slice(server_extra);
    let _server = self_signed_server(dir, port, &args);
    let cap = Capture::start(dir, "lo", port, &format!("case-{port}.pcapng"), &[]);
    let out = get("127.0.0.1", port, client);
    assert!(
        !out.contains("HTTP/1.0 200 ok"),
        "the handshake should fail: {out}"
    );
    let file = cap.stop(1);
    let report = inspect("case.pcapng", &std::fs::read(file).unwrap(), None);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let item = &report.items[0];
    assert!(matches!(item.body, ItemBody::Capture(_)));
    item.findings
        .iter()
        .map(|f| (f.code.to_string(), f.message.clone()))
        .collect()
}

fn has(findings: &[(String, String)], code: &str, words: &str) -> bool {
    findings.iter().any(|(c, m)| c == code && m.contains(words))
}

#[test]
fn failed_handshakes_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ca_and_client(dir, "good");
    ca_and_client(dir, "other");
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let (good_cert, good_key) = (p("good-client.pem"), p("good-client.key"));
    let (other_cert, other_key) = (p("other-client.pem"), p("other-client.key"));

    // TLS 1.2, no client certificate: the empty Certificate message after the request.
    let f = case(dir, &[], &["-tls1_2"]);
    assert!(
        has(
            &f,
            "client_certificate_missing",
            "empty Certificate message"
        ),
        "{f:?}"
    );
    assert!(
        has(&f, "client_certificate_missing", "CN=good CA"),
        "names the CA asked for: {f:?}"
    );

    // TLS 1.2, a certificate from another CA: unknown_ca, and the issuer is not among the
    // CAs the server named.
    let f = case(
        dir,
        &[],
        &["-tls1_2", "-cert", &other_cert, "-key", &other_key],
    );
    assert!(
        has(&f, "client_certificate_rejected", "unknown_ca (48)"),
        "{f:?}"
    );
    assert!(
        has(
            &f,
            "client_certificate_rejected",
            "issued by CN=other CA, which is not among"
        ),
        "{f:?}"
    );

    // TLS 1.2, an expired certificate (the server verifies 30 days from now).
    let later = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 86_400)
        .to_string();
    let f = case(
        dir,
        &["-attime", &later],
        &["-tls1_2", "-cert", &good_cert, "-key", &good_key],
    );
    assert!(
        has(
            &f,
            "client_certificate_rejected",
            "certificate_expired (45)"
        ),
        "{f:?}"
    );

    // TLS 1.3, no client certificate: the alert is encrypted; the shape is reported.
    let f = case(dir, &[], &["-tls1_3"]);
    assert!(
        f.iter().any(|(c, _)| c.starts_with("client_certificate_")),
        "{f:?}"
    );
}
