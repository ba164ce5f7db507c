//! `mtlskit diagnose` over a matrix of generated scenarios; every verdict agrees with
//! `openssl verify -purpose sslclient|sslserver` where openssl has an opinion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::scenario::{Scenario, CA_EXT, CLIENT_EXT, SERVER_EXT};
use mtlskit_tests::{mtlskit, openssl};

/// Runs diagnose (JSON) and openssl verify on the same inputs; returns (verdict, codes).
fn check(
    dir: &Path,
    ca: &str,
    cert: &str,
    chain: Option<&str>,
    purpose: &str,
    extra: &[&str],
    openssl_extra: &[&str],
) -> (String, Vec<String>) {
    let role = if purpose == "sslserver" {
        "server"
    } else {
        "client"
    };
    let mut args = vec![
        "diagnose", "--json", "--ca", ca, "--cert", cert, "--role", role,
    ];
    if let Some(c) = chain {
        args.extend(["--chain", c]);
    }
    args.extend_from_slice(extra);
    let run = mtlskit(dir, &args, None);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", run.stdout, run.stderr));
    let verdict = report["verdict"].as_str().unwrap().to_string();
    assert_eq!(
        run.code,
        if verdict == "accepted" { 0 } else { 1 },
        "exit status follows the verdict"
    );
    let codes: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    // openssl's opinion on the same files.
    let mut v = vec!["verify", "-CAfile", ca, "-purpose", purpose];
    if let Some(c) = chain {
        v.extend(["-untrusted", c]);
    }
    v.extend_from_slice(openssl_extra);
    v.push(cert);
    let ok = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(&v)
        .output()
        .unwrap()
        .status
        .success();
    assert_eq!(
        ok,
        verdict == "accepted",
        "openssl verify {} disagrees with {verdict} {codes:?}",
        v.join(" ")
    );
    (verdict, codes)
}

fn pki(dir: &Path) -> Scenario {
    let s = Scenario::new(dir);
    s.root("root", "/O=Acme/CN=Acme Root", "");
    s.issue(
        "client",
        "/O=Acme/CN=client",
        "root",
        CLIENT_EXT,
        "ec",
        "sha256",
    );
    s.issue(
        "server",
        "/O=Acme/CN=server",
        "root",
        SERVER_EXT,
        "ec",
        "sha256",
    );
    s
}

#[test]
fn accepted_client_and_server() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki(dir);
    let (verdict, codes) = check(
        dir,
        "root.pem",
        "client.pem",
        None,
        "sslclient",
        &["--key", "client.key"],
        &[],
    );
    assert_eq!(
        (verdict.as_str(), codes.len()),
        ("accepted", 0),
        "{codes:?}"
    );
    let (verdict, _) = check(
        dir,
        "root.pem",
        "server.pem",
        None,
        "sslserver",
        &["--host", "localhost"],
        &["-verify_hostname", "localhost"],
    );
    assert_eq!(verdict, "accepted");
    let (verdict, _) = check(
        dir,
        "root.pem",
        "server.pem",
        None,
        "sslserver",
        &["--host", "127.0.0.1"],
        &["-verify_ip", "127.0.0.1"],
    );
    assert_eq!(verdict, "accepted");
}

#[test]
fn untrusted_issuer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = pki(dir);
    s.root("other", "/O=Elsewhere/CN=Other CA", "");
    s.issue(
        "stranger",
        "/O=Elsewhere/CN=stranger",
        "other",
        CLIENT_EXT,
        "ec",
        "sha256",
    );
    let (verdict, codes) = check(dir, "root.pem", "stranger.pem", None, "sslclient", &[], &[]);
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["untrusted_issuer".to_string()])
    );
    let run = mtlskit(
        dir,
        &["diagnose", "--ca", "root.pem", "--cert", "stranger.pem"],
        None,
    );
    assert!(
        run.stdout.contains("issued by O=Elsewhere,CN=Other CA")
            || run.stdout.contains("issued by CN=Other CA,O=Elsewhere"),
        "{}",
        run.stdout
    );
}

#[test]
fn missing_then_supplied_intermediate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = pki(dir);
    s.issue(
        "inter",
        "/O=Acme/CN=Acme Issuing CA",
        "root",
        CA_EXT,
        "ec",
        "sha256",
    );
    s.issue(
        "leaf",
        "/O=Acme/CN=leaf",
        "inter",
        CLIENT_EXT,
        "ec",
        "sha256",
    );
    let (verdict, codes) = check(dir, "root.pem", "leaf.pem", None, "sslclient", &[], &[]);
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["missing_intermediate".to_string()])
    );
    let (verdict, codes) = check(
        dir,
        "root.pem",
        "leaf.pem",
        Some("inter.pem"),
        "sslclient",
        &[],
        &[],
    );
    assert_eq!(
        (verdict.as_str(), codes.len()),
        ("accepted", 0),
        "{codes:?}"
    );
    // The chain in the certificate file itself, in reverse order, with a duplicate.
    s.cat(
        "bundle.pem",
        &["leaf.pem", "root.pem", "inter.pem", "inter.pem"],
    );
    let run = mtlskit(
        dir,
        &[
            "diagnose",
            "--json",
            "--ca",
            "root.pem",
            "--cert",
            "bundle.pem",
        ],
        None,
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["verdict"], "accepted");
    assert_eq!(report["chain"].as_array().unwrap().len(), 3);
}

#[test]
fn expired_and_not_yet_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki(dir);
    let (verdict, codes) = check(
        dir,
        "root.pem",
        "client.pem",
        None,
        "sslclient",
        &["--at", "2100-01-01T00:00:00Z"],
        &["-attime", "4102444800"],
    );
    assert_eq!(verdict, "rejected");
    assert!(
        codes.iter().all(|c| c == "expired") && !codes.is_empty(),
        "{codes:?}"
    );
    let (verdict, codes) = check(
        dir,
        "root.pem",
        "client.pem",
        None,
        "sslclient",
        &["--at", "2000-01-01T00:00:00Z"],
        &["-attime", "946684800"],
    );
    assert_eq!(verdict, "rejected");
    assert!(
        codes.iter().all(|c| c == "not_yet_valid") && !codes.is_empty(),
        "{codes:?}"
    );
}

#[test]
fn server_certificate_used_as_client_and_ca_used_as_leaf() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = pki(dir);
    let (verdict, codes) = check(dir, "root.pem", "server.pem", None, "sslclient", &[], &[]);
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["missing_client_auth_eku".to_string()])
    );
    s.issue("subca", "/O=Acme/CN=Sub CA", "root", CA_EXT, "ec", "sha256");
    let (verdict, codes) = check(dir, "root.pem", "subca.pem", None, "sslclient", &[], &[]);
    assert_eq!(verdict, "rejected");
    assert!(codes.contains(&"ca_used_as_leaf".to_string()), "{codes:?}");
}

#[test]
fn path_length_exceeded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = Scenario::new(dir);
    s.root("root", "/O=Acme/CN=Acme Root", "");
    s.issue(
        "i1",
        "/O=Acme/CN=I1",
        "root",
        &CA_EXT.replace("CA:TRUE", "CA:TRUE,pathlen:0"),
        "ec",
        "sha256",
    );
    s.issue("i2", "/O=Acme/CN=I2", "i1", CA_EXT, "ec", "sha256");
    s.issue("leaf", "/O=Acme/CN=leaf", "i2", CLIENT_EXT, "ec", "sha256");
    s.cat("chain.pem", &["i2.pem", "i1.pem"]);
    let (verdict, codes) = check(
        dir,
        "root.pem",
        "leaf.pem",
        Some("chain.pem"),
        "sslclient",
        &[],
        &[],
    );
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["path_len_exceeded".to_string()])
    );
}

#[test]
fn name_constraints_violated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = Scenario::new(dir);
    s.root(
        "root",
        "/O=Acme/CN=Acme Root",
        "nameConstraints=critical,permitted;DNS:.internal.example",
    );
    s.issue(
        "inside",
        "/O=Acme/CN=inside",
        "root",
        &SERVER_EXT.replace("DNS:localhost,IP:127.0.0.1", "DNS:api.internal.example"),
        "ec",
        "sha256",
    );
    s.issue(
        "outside",
        "/O=Acme/CN=outside",
        "root",
        &SERVER_EXT.replace("DNS:localhost,IP:127.0.0.1", "DNS:evil.example.com"),
        "ec",
        "sha256",
    );
    let (verdict, _) = check(dir, "root.pem", "inside.pem", None, "sslserver", &[], &[]);
    assert_eq!(verdict, "accepted");
    let (verdict, codes) = check(dir, "root.pem", "outside.pem", None, "sslserver", &[], &[]);
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["name_constraints".to_string()])
    );
}

#[test]
fn key_mismatch_bad_signature_and_wrong_host() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki(dir);
    let run = mtlskit(
        dir,
        &[
            "diagnose",
            "--json",
            "--ca",
            "root.pem",
            "--cert",
            "client.pem",
            "--key",
            "server.key",
        ],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("\"key_mismatch\""), "{}", run.stdout);
    // Flip one byte of the signature (the last byte of the DER).
    openssl(
        dir,
        &[
            "x509",
            "-in",
            "client.pem",
            "-outform",
            "DER",
            "-out",
            "client.der",
        ],
    );
    let mut der = std::fs::read(dir.join("client.der")).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    std::fs::write(dir.join("tampered.der"), der).unwrap();
    let (verdict, codes) = check(dir, "root.pem", "tampered.der", None, "sslclient", &[], &[]);
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["bad_signature".to_string()])
    );
    let (verdict, codes) = check(
        dir,
        "root.pem",
        "server.pem",
        None,
        "sslserver",
        &["--host", "www.example.com"],
        &["-verify_hostname", "www.example.com"],
    );
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["hostname_mismatch".to_string()])
    );
}

#[test]
fn sha1_and_rsa_1024_are_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = pki(dir);
    s.issue(
        "old",
        "/O=Acme/CN=old",
        "root",
        CLIENT_EXT,
        "rsa:1024",
        "sha1",
    );
    let run = mtlskit(
        dir,
        &[
            "diagnose", "--json", "--ca", "root.pem", "--cert", "old.pem",
        ],
        None,
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"weak_key") && codes.contains(&"sha1_signature"),
        "{codes:?}"
    );
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "warning"));
    assert_eq!(report["verdict"], "accepted");
}

#[test]
fn unreadable_inputs_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki(dir);
    std::fs::write(dir.join("junk.pem"), "not a certificate").unwrap();
    let run = mtlskit(
        dir,
        &["diagnose", "--ca", "root.pem", "--cert", "missing.pem"],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.trim(), "mtlskit: missing.pem: no such file");
    let run = mtlskit(
        dir,
        &["diagnose", "--ca", "junk.pem", "--cert", "client.pem"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("mtlskit: junk.pem: "),
        "{}",
        run.stderr
    );
}

#[test]
fn another_ca_with_the_same_name_is_an_untrusted_issuer() {
    // Two `mtlskit pki init` runs make two CAs both called "CN=mtlskit CA".
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(mtlskit(dir, &["pki", "init", "a"], None).code, 0);
    assert_eq!(mtlskit(dir, &["pki", "init", "b"], None).code, 0);
    let (verdict, codes) = check(dir, "a/ca.pem", "b/client.pem", None, "sslclient", &[], &[]);
    assert_eq!(
        (verdict.as_str(), codes),
        ("rejected", vec!["untrusted_issuer".to_string()])
    );
    let run = mtlskit(
        dir,
        &["diagnose", "--ca", "a/ca.pem", "--cert", "b/client.pem"],
        None,
    );
    assert!(
        run.stdout.contains("another CA with the same name"),
        "{}",
        run.stdout
    );
}

#[test]
fn cross_signed_intermediate_chains_to_whichever_root_is_trusted() {
    // One intermediate key, two certificates: signed by the old root and cross-signed by the
    // new one. The client sends both; each verifier trusts one root.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = Scenario::new(dir);
    s.root("old", "/O=Acme/CN=Acme Old Root", "");
    s.root("new", "/O=Acme/CN=Acme New Root", "");
    s.issue(
        "inter",
        "/O=Acme/CN=Acme Issuing CA",
        "old",
        CA_EXT,
        "ec",
        "sha256",
    );
    s.issue_for_key(
        "inter-x",
        "inter",
        "/O=Acme/CN=Acme Issuing CA",
        "new",
        CA_EXT,
    );
    s.issue(
        "leaf",
        "/O=Acme/CN=leaf",
        "inter",
        CLIENT_EXT,
        "ec",
        "sha256",
    );
    s.cat("old-first.pem", &["inter.pem", "inter-x.pem"]);
    s.cat("new-first.pem", &["inter-x.pem", "inter.pem"]);
    // openssl agrees when the matching intermediate comes first: it takes the first untrusted
    // certificate with the right name and does not backtrack.
    for (root, chain) in [("old.pem", "old-first.pem"), ("new.pem", "new-first.pem")] {
        let (verdict, codes) = check(dir, root, "leaf.pem", Some(chain), "sslclient", &[], &[]);
        assert_eq!(
            (verdict.as_str(), codes.len()),
            ("accepted", 0),
            "{root}: {codes:?}"
        );
    }
    // mtlskit searches (as rustls/webpki, Go and browsers do): any order works, and the chain
    // built ends at the trusted root.
    for (root, name) in [
        ("new.pem", "CN=Acme New Root,O=Acme"),
        ("old.pem", "CN=Acme Old Root,O=Acme"),
    ] {
        let run = mtlskit(
            dir,
            &[
                "diagnose",
                "--json",
                "--ca",
                root,
                "--cert",
                "leaf.pem",
                "--chain",
                "old-first.pem",
            ],
            None,
        );
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["verdict"], "accepted", "{root}: {report:#}");
        assert_eq!(report["chain_subjects"][2], name);
    }
}
