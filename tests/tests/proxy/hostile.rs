//! Issue 11, hole 1: a rejected chain must not cost more than a few plain rejections. The
//! hostile chain is built by the test ([`hostile_chain`]): a leaf "issued by CN=X" with a
//! 2048-byte signature and self-issued `CN=X` CAs with 16384-bit RSA keys and the exponent
//! 2^33-1. The proxy's CPU (utime + stime from /proc) is measured around N handshakes of
//! Python's ssl module with that chain and around N with a certificate from another CA, in
//! the same run, and compared.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::hostile::hostile_chain;
use mtlskit_tests::pki::ca_and_client;
use mtlskit_tests::proxy::{echo_proxy, python_json, HANDSHAKES};

/// CPU seconds the process has used so far (utime + stime, /proc/PID/stat fields 14 and 15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // Fields from the 3rd (state) on: utime is the 14th overall, so index 11 here.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Proxy CPU ticks spent on `n` handshakes with `cert`; all must be refused.
fn refusals(dir: &Path, port: u16, pid: u32, cert: &str, key: &str, n: usize) -> u64 {
    let before = cpu_ticks(pid);
    let refused = python_json(
        dir,
        "handshakes.py",
        HANDSHAKES,
        &[&port.to_string(), cert, key, &n.to_string()],
    );
    assert_eq!(refused, n as u64);
    cpu_ticks(pid) - before
}

#[test]
fn hostile_chain_costs_at_most_five_plain_rejections() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "max_client_chain = 10");
    ca_and_client(dir, "other");
    // The chain: 20 CAs (over max_client_chain, refused unread); 9 (within it, but
    // refused before rustls's path search, which would try every order of nine same-named
    // CAs); 2, which rustls refuses and the diagnosis engine explains within its caps.
    hostile_chain(dir, "hostile20.pem", 20, 16384);
    hostile_chain(dir, "hostile9.pem", 9, 16384);
    hostile_chain(dir, "hostile2.pem", 2, 16384);
    let (port, pid) = (proxy.daemon.port, proxy.daemon.child.id());
    let n = 150;
    // Warm up (first connections pay for lazy initialisation), then measure.
    refusals(dir, port, pid, "other-client.pem", "other-client.key", 10);
    let plain = refusals(dir, port, pid, "other-client.pem", "other-client.key", n).max(1);
    let long = refusals(dir, port, pid, "hostile20.pem", "client.key", n);
    let crowded = refusals(dir, port, pid, "hostile9.pem", "client.key", n);
    let explained = refusals(dir, port, pid, "hostile2.pem", "client.key", n);
    eprintln!(
        "proxy CPU ticks for {n} refusals: plain {plain}, 21 certificates {long}, \
         10 certificates {crowded}, 3 certificates {explained}"
    );
    for (what, ticks) in [
        ("21-certificate", long),
        ("10-certificate", crowded),
        ("3-certificate", explained),
    ] {
        let ratio = ticks as f64 / plain as f64;
        assert!(
            ratio <= 5.0,
            "a {what} hostile chain cost {ratio:.1}x a plain rejection ({ticks} vs {plain} ticks)"
        );
    }
    // What an operator sees: the long chain refused by its size, the other explained within
    // the budget (its 16384-bit keys are not computed with, so the search runs out of checks
    // without a single modular exponentiation); a plain rejection is still explained in full.
    let lines = proxy.lines("error.log");
    for needle in [
        "client sent 21 certificates",
        "client sent more than 2 CA certificates named CN=X",
    ] {
        assert!(
            lines.iter().any(|l| l["code"] == "client_chain_too_large"
                && l["reason"].as_str().is_some_and(|r| r.contains(needle))),
            "no line with {needle:?} in {} lines",
            lines.len()
        );
    }
    // The 3-certificate chain is explained (when the explainer was free): the search went
    // through the oversized keys without computing with them.
    assert!(
        lines.iter().any(|l| l["code"] == "untrusted_issuer"
            && l["diagnosis"]
                .as_str()
                .is_some_and(|d| d.contains("the chain ends at CN=X"))),
        "no explained 3-certificate rejection in {} lines",
        lines.len()
    );
    assert!(
        lines.iter().any(|l| l["code"] == "untrusted_issuer"
            && l["reason"]
                .as_str()
                .is_some_and(|r| r.contains("CN=other CA"))),
        "no explained plain rejection in {} lines",
        lines.len()
    );
}
