//! Issue 11, "logs that cannot be flooded": a client refused over and over gets at most 20
//! handshake failure lines a second per code in the error log, then one line that says how
//! many were not logged. The client is Python's ssl module with a certificate from another CA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mtlskit_tests::pki::ca_and_client;
use mtlskit_tests::process::poll;
use mtlskit_tests::proxy::{echo_proxy, python_json, HANDSHAKES};

#[test]
fn failure_lines_are_rate_limited_per_code_then_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "");
    ca_and_client(dir, "other");
    let port = proxy.daemon.port.to_string();
    let started = std::time::Instant::now();
    assert_eq!(
        python_json(
            dir,
            "flood.py",
            HANDSHAKES,
            &[&port, "other-client.pem", "other-client.key", "60"]
        ),
        60
    );
    let took = started.elapsed();
    let failures = |lines: &[serde_json::Value]| {
        lines
            .iter()
            .filter(|l| l["code"] == "untrusted_issuer" && l["client"].is_string())
            .count()
    };
    let lines = proxy.lines("error.log");
    let logged = failures(&lines);
    // At most 20 a started second (the flood took `took`), and fewer than were refused.
    let windows = took.as_secs() as usize + 2;
    assert!(
        logged <= 20 * windows && logged < 60,
        "{logged} lines in {took:?}"
    );
    // The next failure after the window says how many were not logged.
    let said = poll(Duration::from_secs(10), || {
        python_json(
            dir,
            "flood.py",
            HANDSHAKES,
            &[&port, "other-client.pem", "other-client.key", "1"],
        );
        proxy
            .lines("error.log")
            .iter()
            .any(|l| l["suppressed"].as_u64().is_some_and(|n| n > 0))
    });
    assert!(said, "no 'not logged' line");
    let lines = proxy.lines("error.log");
    let suppressed: u64 = lines.iter().filter_map(|l| l["suppressed"].as_u64()).sum();
    assert_eq!(
        failures(&lines) as u64 + suppressed,
        lines
            .iter()
            .filter_map(|l| l["count"].as_u64())
            .max()
            .unwrap(),
        "every failure is either a line or counted in a suppressed line"
    );
}
