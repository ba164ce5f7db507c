//! A verified client reaches the upstream with its identity in headers; whatever the client
//! sends under those names is dropped; optional mode; curl (HTTP/1.1 and h2) and Python
//! httplib2 as clients; the access log line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::pki::{date, issue};
use mtlskit_tests::proxy::{echo_proxy, echo_upstream, start_proxy};

fn seen(run: &mtlskit_tests::Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "curl failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn verified_client_is_forwarded_with_identity_and_spoofs_are_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let run = curl_as(
        dir,
        Some("client"),
        &[
            "-H",
            "X-SSL-Client-Verify: SUCCESS",
            "-H",
            "X-SSL-Client-S-DN: CN=admin",
            "-H",
            "X-Forwarded-Client-Cert: By=spoof",
            "-H",
            "X-Forwarded-For: 10.9.8.7",
        ],
        &proxy.url("/test_url?q=1"),
    );
    let body = seen(&run);
    let h = &body["headers"];
    assert_eq!(body["path"], "/test_url?q=1");
    assert_eq!(h["x-ssl-client-verify"], "SUCCESS");
    assert_eq!(h["x-ssl-client-s-dn"], "CN=client");
    assert_eq!(h["x-ssl-client-i-dn"], "CN=Test CA");
    assert_eq!(h["x-ssl-client-serial"], "52");
    assert!(h.get("x-forwarded-client-cert").is_none(), "{h}");
    let fp = mtlskit_tests::openssl(
        dir,
        &[
            "x509",
            "-in",
            "client.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    let fp = fp
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(h["x-ssl-client-fingerprint"], fp.as_str());
    let cert = h["x-ssl-client-cert"].as_str().unwrap();
    assert!(
        cert.starts_with("-----BEGIN%20CERTIFICATE-----%0A"),
        "{cert}"
    );
    let pem = std::fs::read_to_string(dir.join("client.pem")).unwrap();
    let b64_line = pem
        .lines()
        .nth(1)
        .unwrap()
        .replace('+', "%2B")
        .replace('/', "%2F");
    assert!(cert.contains(&b64_line), "{cert}");
    assert_eq!(h["x-forwarded-for"], "10.9.8.7, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "https");
    assert_eq!(
        h["x-forwarded-host"],
        format!("localhost:{}", proxy.daemon.port).as_str()
    );

    let line = proxy.wait_log("access.log", "path", "/test_url");
    assert_eq!(line["status"], 200);
    assert_eq!(line["verify"], "SUCCESS");
    assert_eq!(line["subject"], "CN=client");
    assert_eq!(line["sni"], "localhost");
    assert_eq!(line["method"], "GET");
    assert!(line["bytes"].as_u64().unwrap() > 100, "{line}");
    assert!(line["tls_version"].as_str().unwrap().starts_with("TLSv1."));
    assert_eq!(line["resumed"], false);
    assert!(line["client"].as_str().unwrap().starts_with("127.0.0.1:"));
}

#[test]
fn h2_and_http11_clients_and_streamed_post_body() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let run = curl_as(
            dir,
            Some("client"),
            &[
                flag,
                "-w",
                "\n%{http_version}",
                "--data-binary",
                "@server.pem",
            ],
            &proxy.url("/post"),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (json, got) = run.stdout.rsplit_once('\n').unwrap();
        assert_eq!(got, version);
        let body: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(body["method"], "POST");
        let size = std::fs::metadata(dir.join("server.pem")).unwrap().len();
        assert_eq!(body["body_len"], size);
    }
}

#[test]
fn optional_mode_forwards_none_without_a_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "verify_client = \"optional\"");
    let anon = seen(&curl_as(
        dir,
        None,
        &["-H", "X-SSL-Client-S-DN: CN=admin"],
        &proxy.url("/"),
    ));
    assert_eq!(anon["headers"]["x-ssl-client-verify"], "NONE");
    assert!(anon["headers"].get("x-ssl-client-s-dn").is_none());
    let known = seen(&curl_as(dir, Some("client"), &[], &proxy.url("/")));
    assert_eq!(known["headers"]["x-ssl-client-verify"], "SUCCESS");
    assert_eq!(known["headers"]["x-ssl-client-s-dn"], "CN=client");
}

/// The classic client script (docs/architecture.md), ported to Python 3: httplib2 with ca_certs and a client
/// certificate, GET /test_url with JSON headers.
#[test]
fn python_httplib2_client_as_in_design() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let script = format!(
        r#"
import json, httplib2
http = httplib2.Http(ca_certs="ca.pem", disable_ssl_certificate_validation=False)
http.add_certificate("client.key", "client.pem", "")
resp, content = http.request("{url}", "GET",
    headers={{"Content-Type": "application/json", "Accept": "application/json"}})
print(json.dumps({{"status": resp.status, "body": json.loads(content)}}))
"#,
        url = proxy.url("/test_url")
    );
    std::fs::write(dir.join("client.py"), script).unwrap();
    let out = Command::new("python3")
        .current_dir(dir)
        .arg("client.py")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"]["path"], "/test_url");
    assert_eq!(v["body"]["headers"]["x-ssl-client-s-dn"], "CN=client");
    assert_eq!(v["body"]["headers"]["content-type"], "application/json");
}

#[test]
fn envoy_forwarded_client_cert_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    issue(
        dir,
        "ca",
        "web",
        "web \"frontend\"",
        "spiffe",
        &date(-1),
        &date(10),
    );
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        "forward_client_cert = true",
        "",
    );
    let body = seen(&curl_as(
        dir,
        Some("web"),
        &[
            "-H",
            "X-Forwarded-Client-Cert: Hash=00;Subject=\"CN=admin\"",
        ],
        &proxy.url("/"),
    ));
    let h = &body["headers"];
    let xfcc = h["x-forwarded-client-cert"].as_str().unwrap();
    let fp = h["x-ssl-client-fingerprint"].as_str().unwrap();
    let pem = h["x-ssl-client-cert"].as_str().unwrap();
    assert_eq!(
        xfcc,
        format!(
            "Hash={fp};Cert=\"{pem}\";Subject=\"CN=web \\\\\\\"frontend\\\\\\\"\";\
             URI=spiffe://example.org/ns/web;DNS=web.example.org"
        )
    );
    assert_eq!(h["x-ssl-client-s-dn"], "CN=web \\\"frontend\\\"");
}
