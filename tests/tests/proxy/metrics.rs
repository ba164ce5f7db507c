//! The admin listener (docs/config.md, "Admin and metrics"): `/metrics` scraped after a known
//! run and parsed with Python's `prometheus_client` (its OpenMetrics parser, as Prometheus
//! reads it), each counter equal to what the test did, the expiry gauges equal to the
//! certificates' notAfter; `/healthz`, `/readyz` (503 while draining), `/config`; an admin
//! address that is not loopback is refused unless `admin.public`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use mtlskit_tests::peer;
use mtlskit_tests::pki::make_ca;
use mtlskit_tests::process::{free_port, poll, signal};
use mtlskit_tests::proxy::{bulk_upstream, config, echo_upstream, python_json, reload, Proxy};
use mtlskit_tests::{make_pki, mtlskit, openssl};

/// Reads OpenMetrics text on stdin, prints every sample as {"name", "labels", "value"}.
const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
out = []
for family in text_string_to_metric_families(text):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

fn admin_get(port: u16, path: &str) -> (String, String) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.to_string(), body.to_string())
}

/// The samples of `/metrics`, parsed by prometheus_client.
fn scrape(dir: &Path, port: u16) -> Vec<serde_json::Value> {
    let (code, body) = admin_get(port, "/metrics");
    assert_eq!(code, "200", "{body}");
    std::fs::write(dir.join("metrics.txt"), &body).unwrap();
    python_json(dir, "parse.py", PARSE, &["metrics.txt"])
        .as_array()
        .unwrap()
        .clone()
}

/// The value of the sample `name` whose labels include all of `labels`.
fn value(samples: &[serde_json::Value], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = samples
        .iter()
        .filter(|s| s["name"] == name)
        .filter(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .map(|s| s["value"].as_f64().unwrap())
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]
}

fn not_after(dir: &Path, pem: &str) -> i64 {
    let out = openssl(
        dir,
        &[
            "x509", "-in", pem, "-noout", "-enddate", "-dateopt", "iso_8601",
        ],
    );
    mtlskit_inspect::Timestamp::parse_rfc3339(
        &out.trim().trim_start_matches("notAfter=").replace(' ', "T"),
    )
    .unwrap()
    .0
}

#[test]
fn metrics_count_what_happened_and_gauges_show_the_expiries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    mtlskit_tests::pki::ca_and_client(dir, "other");
    let up = echo_upstream(dir, None);
    let admin = free_port();
    let port = free_port();
    let upstream = format!("http://127.0.0.1:{}", up.port);
    let text = config(port, &upstream, "", "")
        + &format!(
            "\n[[location]]\npath = \"/ops\"\nupstream = \"{upstream}\"\ndeny = [\"cn:client\"]\n\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n"
        );
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    let proxy = Proxy::start(dir, port);

    let status = |who: Option<&str>, path: &str| peer::status(dir, who, &[], &proxy.url(path));
    for _ in 0..3 {
        assert_eq!(status(Some("client"), "/a"), "200");
    }
    assert_eq!(status(Some("client"), "/ops/x"), "403");
    assert_eq!(status(Some("other-client"), "/a"), "000");
    assert_eq!(status(None, "/a"), "000");
    proxy.wait_log("error.log", "code", "client_certificate_missing");

    let m = scrape(dir, admin);
    assert_eq!(
        value(
            &m,
            "mtlskit_handshakes_total",
            &[("result", "ok"), ("version", "TLSv1.3")]
        ),
        4.0
    );
    assert_eq!(
        value(
            &m,
            "mtlskit_handshakes_total",
            &[("result", "failed"), ("code", "untrusted_issuer")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "mtlskit_handshakes_total",
            &[("result", "failed"), ("code", "client_certificate_missing")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "mtlskit_requests_total",
            &[("location", "/"), ("status", "200"), ("server", "default")]
        ),
        3.0
    );
    assert_eq!(
        value(
            &m,
            "mtlskit_requests_total",
            &[("location", "/ops"), ("status", "403")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "mtlskit_authz_denied_total",
            &[("rule", "deny cn:client")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "mtlskit_upstream_response_seconds_count",
            &[("location", "/")]
        ),
        3.0
    );
    assert!(
        value(
            &m,
            "mtlskit_upstream_connect_seconds_count",
            &[("location", "/")]
        ) >= 1.0
    );
    assert!(value(&m, "mtlskit_bytes_total", &[("direction", "out")]) > 0.0);
    assert_eq!(value(&m, "mtlskit_connections_open", &[]), 0.0);
    assert_eq!(value(&m, "mtlskit_tunnels_open", &[]), 0.0);

    let now = mtlskit_inspect::Timestamp::now().0;
    for (role, subject, pem) in [
        ("server", "CN=server", "server.pem"),
        ("client_ca", "CN=Test CA", "ca.pem"),
        ("client", "CN=client", "client.pem"),
    ] {
        let left = value(
            &m,
            "mtlskit_certificate_expiry_seconds",
            &[("role", role), ("subject", subject)],
        );
        let want = (not_after(dir, pem) - now) as f64;
        assert!((left - want).abs() < 60.0, "{role}: {left} vs {want}");
    }

    // A reload is counted, and a refused one too.
    assert_eq!(reload(dir).code, 0);
    proxy.wait_generation(2);
    std::fs::write(dir.join("server.key"), "not a key\n").unwrap();
    assert!(signal(proxy.daemon.child.id(), "HUP"));
    proxy.wait_log("error.log", "message", "reload (SIGHUP) refused");
    let m = scrape(dir, admin);
    assert_eq!(value(&m, "mtlskit_reloads_total", &[("result", "ok")]), 1.0);
    assert_eq!(
        value(&m, "mtlskit_reloads_total", &[("result", "refused")]),
        1.0
    );

    assert_eq!(admin_get(admin, "/healthz"), ("200".into(), "ok\n".into()));
    assert_eq!(admin_get(admin, "/readyz").0, "200");
    let (code, cfg) = admin_get(admin, "/config");
    assert_eq!(code, "200");
    assert!(
        cfg.contains("# generation 2") && cfg.contains("key = \"server.key\""),
        "{cfg}"
    );
    assert!(!cfg.contains("PRIVATE KEY"), "{cfg}");
    assert_eq!(admin_get(admin, "/nothing").0, "404");
}

#[test]
fn readyz_fails_while_draining() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let bulk = bulk_upstream(dir);
    let admin = free_port();
    let port = free_port();
    let text = config(port, &format!("http://127.0.0.1:{}", bulk.port), "", "")
        + &format!("\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n");
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    let mut proxy = Proxy::start(dir, port);
    let dl = peer::curl_command(dir)
        .args(["--limit-rate", "10M", "-o", "big.bin"])
        .arg(proxy.url(&format!("/bytes/{}", 50 << 20)))
        .spawn()
        .unwrap();
    assert!(poll(Duration::from_secs(20), || std::fs::metadata(
        dir.join("big.bin")
    )
    .is_ok_and(|m| m.len() > 1 << 20)));
    assert_eq!(admin_get(admin, "/readyz").0, "200");
    let m = scrape(dir, admin);
    assert_eq!(value(&m, "mtlskit_connections_open", &[]), 1.0);
    assert!(signal(proxy.daemon.child.id(), "TERM"));
    assert!(poll(Duration::from_secs(10), || admin_get(
        admin, "/readyz"
    )
    .0 == "503"));
    let _ = dl.wait_with_output();
    let _ = proxy.daemon.stop();
}

#[test]
fn a_public_admin_address_needs_admin_public() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_ca(dir, "unused", "Unused CA");
    let text = config(1, "http://127.0.0.1:9", "", "") + "\n[admin]\nlisten = \"0.0.0.0:9901\"\n";
    std::fs::write(dir.join("proxy.toml"), &text).unwrap();
    let run = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("admin.public = true"), "{}", run.stderr);
    std::fs::write(dir.join("proxy.toml"), text + "public = true\n").unwrap();
    let run = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert!(!run.stderr.contains("admin"), "{}", run.stderr);
}
