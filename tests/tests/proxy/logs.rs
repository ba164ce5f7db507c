//! What the proxy's logs say about a connection's ClientHello: the access log's JA4 equals the
//! JA4 of the same connection read from a packet capture (tshark on `lo`, decoded by
//! `mtlskit inspect`; this tshark 4.0 has no `tls.handshake.ja4`), it differs between curl and
//! openssl s_client, and a refused handshake's line names the versions the client offered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mtlskit_tests::inspect_json;
use mtlskit_tests::peer::{curl_as, s_client};
use mtlskit_tests::process::poll;
use mtlskit_tests::proxy::echo_proxy;
use mtlskit_tests::tshark::Capture;

/// `t13d1516h2_8daaf6152771_e5627efa2ab1`: protocol, version, SNI, counts, ALPN, two hashes.
fn is_ja4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('_').collect();
    parts.len() == 3
        && parts[0].len() == 10
        && parts[0].starts_with('t')
        && parts[1].len() == 12
        && parts[2].len() == 12
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The JA4 of each connection in the capture, by client address.
fn captured_ja4(dir: &std::path::Path, capture: &std::path::Path) -> Vec<(String, String)> {
    let (report, _) = inspect_json(dir, &[capture.to_str().unwrap()]);
    let mut out = Vec::new();
    for item in report["items"].as_array().into_iter().flatten() {
        for c in item["connections"].as_array().into_iter().flatten() {
            if let Some(ja4) = c["client_to_server"]["client_hello"]["ja4"].as_str() {
                out.push((c["client"].as_str().unwrap_or("").to_string(), ja4.into()));
            }
        }
    }
    out
}

#[test]
fn access_log_ja4_matches_the_capture_and_tells_clients_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "");
    let capture = Capture::start(dir, "lo", proxy.daemon.port, "capture.pcapng", &[]);

    let run = curl_as(dir, Some("client"), &[], &proxy.url("/by-curl"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = s_client(
        dir,
        proxy.daemon.port,
        &["-cert", "client.pem", "-key", "client.key", "-ign_eof"],
        "GET /by-openssl HTTP/1.0\r\nHost: localhost\r\n\r\n",
    );
    assert!(run.stdout.contains(" 200 OK"), "{}", run.stdout);

    let curl = proxy.wait_log("access.log", "path", "/by-curl");
    let openssl = proxy.wait_log("access.log", "path", "/by-openssl");
    let mut seen = Vec::new();
    for line in [&curl, &openssl] {
        let ja4 = line["ja4"].as_str().unwrap_or_default();
        assert!(is_ja4(ja4), "{line}");
        assert!(ja4.starts_with("t13d"), "SNI localhost, TLS 1.3: {ja4}");
        let client = line["client"].as_str().unwrap().to_string();
        let found = poll(Duration::from_secs(15), || {
            seen = captured_ja4(dir, &capture.path);
            seen.iter().any(|(c, _)| *c == client)
        });
        assert!(found, "{client} not in the capture: {seen:?}");
        let (_, want) = seen.iter().find(|(c, _)| *c == client).unwrap();
        assert_eq!(ja4, want, "{client}");
    }
    assert_ne!(curl["ja4"], openssl["ja4"]);
    // curl asks for h2 by ALPN, s_client for nothing.
    assert!(curl["ja4"].as_str().unwrap()[8..].starts_with("h2"));
    assert!(openssl["ja4"].as_str().unwrap()[8..].starts_with("00"));
}

#[test]
fn refused_handshake_names_the_offered_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "protocols = [\"TLSv1.2\"]");
    let run = s_client(
        dir,
        proxy.daemon.port,
        &["-tls1_3", "-cert", "client.pem", "-key", "client.key"],
        "",
    );
    assert_ne!(run.code, 0, "{}", run.stdout);
    let line = proxy.wait_log("error.log", "reason", "no protocol version in common");
    assert_eq!(line["offered_versions"], "TLSv1.3", "{line}");
    assert!(
        line["ja4"].as_str().is_some_and(|j| j.starts_with("t13d")),
        "{line}"
    );

    let run = s_client(
        dir,
        proxy.daemon.port,
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA"],
        "",
    );
    assert_ne!(run.code, 0, "{}", run.stdout);
    let line = proxy.wait_log("error.log", "reason", "no cipher suite in common");
    assert_eq!(line["offered_versions"], "TLSv1.2", "{line}");
    assert!(
        line["ja4"].as_str().is_some_and(|j| j.starts_with("t12d")),
        "{line}"
    );
}
