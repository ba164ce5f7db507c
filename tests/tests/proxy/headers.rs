//! Issue 11, hole 3: a verified client cannot pose as another identity to the upstream. curl
//! (HTTP/1.1 and h2) sends forged identity headers in every spelling (underscores, other
//! `X-SSL-Client-*` names, RFC 9440's `Client-Cert`), address headers, and a Host that is not
//! the connection's SNI; the echo upstream shows what arrived.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::echo_proxy;

const FORGED: [&str; 9] = [
    "X_SSL_Client_S_DN: CN=admin",
    "X-SSL-Client-DN: CN=admin",
    "x-ssl-client-anything: CN=admin",
    "X-SSL-CLIENT-VERIFY: SUCCESS",
    "Client-Cert: :Zm9v:",
    "Client-Cert-Chain: :Zm9v:",
    "X-Forwarded-Client-Cert: Hash=00",
    "Forwarded: for=10.0.0.1",
    "X-Real-IP: 10.0.0.1",
];

fn seen(dir: &std::path::Path, url: &str, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<&str> = Vec::new();
    for h in FORGED.iter().chain(["My_Header: 1"].iter()) {
        args.extend(["-H", h]);
    }
    args.extend(extra);
    let run = curl_as(dir, Some("client"), &args, url);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn forged_identity_and_underscore_headers_never_reach_the_upstream() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "x_forwarded_for = \"replace\"");
    for flag in ["--http1.1", "--http2"] {
        let body = seen(
            dir,
            &proxy.url("/h"),
            &[flag, "-H", "X-Forwarded-For: 10.9.8.7"],
        );
        let h = body["headers"].as_object().unwrap();
        let identity: Vec<&String> = h
            .keys()
            .filter(|k| {
                k.contains("ssl") || k.contains("cert") || k.contains('_') || *k == "forwarded"
            })
            .collect();
        assert_eq!(
            identity,
            [
                "x-ssl-client-cert",
                "x-ssl-client-fingerprint",
                "x-ssl-client-i-dn",
                "x-ssl-client-not-after",
                "x-ssl-client-not-before",
                "x-ssl-client-s-dn",
                "x-ssl-client-serial",
                "x-ssl-client-v-remain",
                "x-ssl-client-verify"
            ],
            "{flag}: only the proxy's identity headers"
        );
        assert_eq!(h["x-ssl-client-s-dn"], "CN=client", "{flag}");
        assert_eq!(h["x-ssl-client-verify"], "SUCCESS", "{flag}");
        assert!(h.get("x-ssl-client-dn").is_none(), "{flag}");
        assert_eq!(h["x-real-ip"], "127.0.0.1", "{flag}");
        assert_eq!(h["x-forwarded-for"], "127.0.0.1", "{flag}: replaced");
    }
}

#[test]
fn underscores_pass_when_configured_but_never_as_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "underscores_in_headers = true");
    let body = seen(dir, &proxy.url("/h"), &["-H", "X-Forwarded-For: 10.9.8.7"]);
    let h = &body["headers"];
    assert_eq!(h["my_header"], "1", "{h}");
    assert!(h.get("x_ssl_client_s_dn").is_none(), "{h}");
    assert_eq!(h["x-ssl-client-s-dn"], "CN=client");
    assert_eq!(
        h["x-forwarded-for"], "10.9.8.7, 127.0.0.1",
        "appended by default"
    );
}

#[test]
fn host_other_than_the_sni_gets_421() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "server_names = [\"localhost\"]");
    for flag in ["--http1.1", "--http2"] {
        let code = |extra: &[&str]| {
            let mut args = vec![flag, "-o", "/dev/null", "-w", "%{http_code}"];
            args.extend(extra);
            curl_as(dir, Some("client"), &args, &proxy.url("/h")).stdout
        };
        assert_eq!(code(&[]), "200", "{flag}");
        assert_eq!(code(&["-H", "Host: LOCALHOST."]), "200", "{flag}");
        assert_eq!(code(&["-H", "Host: admin.internal"]), "421", "{flag}");
    }
    drop(proxy);
    let (_up, proxy) = echo_proxy(dir, "host_must_match = false");
    let run = curl_as(
        dir,
        Some("client"),
        &[
            "-H",
            "Host: admin.internal",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ],
        &proxy.url("/h"),
    );
    assert_eq!(run.stdout, "200");
}
