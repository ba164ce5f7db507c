//! Clients the proxy must refuse, with TLS 1.2 and 1.3, and the reason it logs for each; an
//! intermediate sent by the client and verify_depth; protocol versions; cipher restriction and
//! server preference.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::{curl_as, s_client};
use mtlskit_tests::pki::{date, issue, make_full_pki};
use mtlskit_tests::proxy::{echo_proxy, echo_upstream, start_proxy, Proxy};

/// Waits until `n` handshake failure lines contain `needle`.
fn wait_failures(proxy: &Proxy, needle: &str, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<_> = proxy
            .lines("error.log")
            .into_iter()
            .filter(|l| l["target"] == "mtlskit::handshake")
            .filter(|l| l["reason"].as_str().is_some_and(|r| r.contains(needle)))
            .collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} handshake failures with {needle:?}; error.log: {}",
            std::fs::read_to_string(proxy.dir.join("error.log")).unwrap_or_default()
        );
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[test]
fn bad_client_certificates_are_refused_with_a_reason_in_tls12_and_tls13() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let cases: [(Option<&str>, &str, &str); 5] = [
        (None, "client sent no certificate", "client_certificate_missing"),
        (
            Some("other"),
            "client certificate CN=other issued by CN=Other CA, which is not in the client CA bundle",
            "untrusted_issuer",
        ),
        (
            Some("expired"),
            "client certificate CN=expired expired 3 days ago",
            "expired",
        ),
        (Some("future"), "client certificate CN=future is not valid yet", "not_yet_valid"),
        (
            Some("serveronly"),
            "is not for client authentication (its extended key usage: serverAuth)",
            "missing_client_auth_eku",
        ),
    ];
    for (client, reason, code) in cases {
        for version in [
            ["--tlsv1.2", "--tls-max", "1.2"],
            ["--tlsv1.3", "--tls-max", "1.3"],
        ] {
            let run = curl_as(dir, client, &version, &proxy.url("/secret"));
            assert_ne!(
                run.code, 0,
                "{client:?} {version:?} got through: {}",
                run.stdout
            );
            assert!(!run.stdout.contains("headers"), "{}", run.stdout);
        }
        let lines = wait_failures(&proxy, reason, 2);
        assert_eq!(lines[0]["code"], code);
        if client.is_some() {
            // The diagnosis engine (mtlskit diagnose's) agrees, in the same line.
            let diagnosis = lines[0]["diagnosis"].as_str().unwrap_or_default();
            assert!(diagnosis.starts_with(code), "{code}: {diagnosis}");
        }
        assert!(lines[0]["client"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"));
    }
    // Nothing reached the upstream.
    assert!(proxy.lines("access.log").is_empty());
}

#[test]
fn tls13_refusal_arrives_on_the_clients_first_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_full_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let run = s_client(
        dir,
        proxy.daemon.port,
        &[
            "-tls1_3",
            "-cert",
            "expired.pem",
            "-key",
            "expired.key",
            "-ign_eof",
        ],
        "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n",
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("HTTP/1.1 200"), "{all}");
    assert!(
        all.contains("certificate expired"),
        "the alert names the problem: {all}"
    );
    wait_failures(&proxy, "expired 3 days ago", 1);

    let run = s_client(
        dir,
        proxy.daemon.port,
        &["-tls1_2", "-cert", "other.pem", "-key", "other.key"],
        "",
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("unknown ca"), "{all}");
}

#[test]
fn client_sent_intermediate_and_verify_depth() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    issue(
        dir,
        "ca",
        "inter",
        "Intermediate CA",
        "intermediate",
        &date(-1),
        &date(20),
    );
    issue(dir, "inter", "leaf", "leaf", "client", &date(-1), &date(10));
    let chain = std::fs::read_to_string(dir.join("leaf.pem")).unwrap()
        + &std::fs::read_to_string(dir.join("inter.pem")).unwrap();
    std::fs::write(dir.join("chained.pem"), chain).unwrap();
    std::fs::copy(dir.join("leaf.key"), dir.join("chained.key")).unwrap();
    let up = echo_upstream(dir, None);

    let shallow = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let run = curl_as(dir, Some("chained"), &[], &shallow.url("/"));
    assert_ne!(run.code, 0, "verify_depth 1 must refuse: {}", run.stdout);
    let l = wait_failures(&shallow, "2 CAs deep, verify_depth allows 1", 1);
    assert_eq!(l[0]["code"], "path_len_exceeded");
    drop(shallow);

    let deep = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        "verify_depth = 2",
        "",
    );
    let run = curl_as(dir, Some("chained"), &[], &deep.url("/"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["headers"]["x-ssl-client-s-dn"], "CN=leaf");
    assert_eq!(v["headers"]["x-ssl-client-i-dn"], "CN=Intermediate CA");
    // Without the intermediate the leaf cannot be chained.
    let run = curl_as(dir, Some("leaf"), &[], &deep.url("/"));
    assert_ne!(run.code, 0);
    wait_failures(
        &deep,
        "issued by CN=Intermediate CA, which is not in the client CA bundle",
        1,
    );
}

#[test]
fn tls12_only_config_refuses_a_tls13_only_client() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "protocols = [\"TLSv1.2\"]");
    let run = curl_as(dir, Some("client"), &["--tlsv1.3"], &proxy.url("/"));
    assert_ne!(run.code, 0, "{}", run.stdout);
    wait_failures(&proxy, "no protocol version in common", 1);
    let run = curl_as(
        dir,
        Some("client"),
        &["--tls-max", "1.2", "-w", "%{http_code}", "-o", "/dev/null"],
        &proxy.url("/"),
    );
    assert_eq!(run.stdout, "200", "{}", run.stderr);
}

fn negotiated(dir: &std::path::Path, port: u16, ciphers: &str) -> String {
    let run = s_client(
        dir,
        port,
        &[
            "-tls1_2",
            "-cipher",
            ciphers,
            "-cert",
            "client.pem",
            "-key",
            "client.key",
        ],
        "",
    );
    run.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Cipher    : "))
        .or_else(|| {
            run.stdout
                .lines()
                .find_map(|l| l.split_once("Cipher is ").map(|(_, c)| c))
        })
        .unwrap_or("(none)")
        .trim()
        .to_string()
}

#[test]
fn cipher_restriction_and_server_preference() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let upstream = format!("http://127.0.0.1:{}", up.port);
    let suites = "protocols = [\"TLSv1.2\"]\n\
                  ciphers = [\"ECDHE-ECDSA-AES128-GCM-SHA256\", \"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\"]";
    let client_order = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256";

    let server_pref = start_proxy(
        dir,
        &upstream,
        &format!("{suites}\nprefer_server_ciphers = true"),
        "",
    );
    assert_eq!(
        negotiated(dir, server_pref.daemon.port, client_order),
        "ECDHE-ECDSA-AES128-GCM-SHA256"
    );
    let run = s_client(
        dir,
        server_pref.daemon.port,
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        "",
    );
    assert_ne!(run.code, 0);
    wait_failures(&server_pref, "no cipher suite in common", 1);
    drop(server_pref);

    let client_pref = start_proxy(dir, &upstream, suites, "");
    assert_eq!(
        negotiated(dir, client_pref.daemon.port, client_order),
        "ECDHE-ECDSA-CHACHA20-POLY1305"
    );
}
