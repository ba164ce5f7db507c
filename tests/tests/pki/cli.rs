//! `mtlskit pki`: the commands a user types, checked with openssl and with `mtlskit inspect`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;

use mtlskit_tests::{codes, inspect_json, items, mtlskit, openssl};

#[test]
fn init_csr_sign_then_verify_and_inspect() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = mtlskit(dir, &["pki", "init", "pki"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in ["ca", "server", "client"] {
        assert!(
            run.stdout.contains(&format!("pki/{name}.pem")),
            "{}",
            run.stdout
        );
        let mode = std::fs::metadata(dir.join(format!("pki/{name}.key")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "pki/ca.pem",
            "-purpose",
            "sslserver",
            "pki/server.pem",
        ],
    );
    openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "pki/ca.pem",
            "-purpose",
            "sslclient",
            "pki/client.pem",
        ],
    );

    let run = mtlskit(
        dir,
        &[
            "pki",
            "csr",
            "--cn",
            "svc",
            "--san",
            "DNS:svc.internal,IP:10.1.2.3",
            "--out",
            "svc",
            "--algorithm",
            "p384",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = mtlskit(
        dir,
        &[
            "pki", "sign", "--ca-dir", "pki", "--csr", "svc.csr", "--client", "--out", "svc.pem",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "pki/ca.pem",
            "-purpose",
            "sslclient",
            "svc.pem",
        ],
    );

    // The toolkit's own inspector agrees: names kept, clientAuth, the key belongs to it.
    let (report, run) = inspect_json(dir, &["svc.pem", "svc.key", "svc.csr"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cert = &items(&report)[0];
    assert_eq!(
        cert["san"],
        serde_json::json!(["DNS:svc.internal", "IP:10.1.2.3"])
    );
    assert_eq!(
        cert["extended_key_usage"],
        serde_json::json!(["clientAuth"])
    );
    assert_eq!(cert["public_key"]["curve"], "P-384");
    assert!(codes(&items(&report)[1]).contains(&"key_matches".to_string()));
    assert_eq!(items(&report)[2]["signature_valid"], true);
}

#[test]
fn overwriting_needs_force_and_bad_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(mtlskit(dir, &["pki", "init", "."], None).code, 0);
    let before = std::fs::read(dir.join("ca.key")).unwrap();
    let run = mtlskit(dir, &["pki", "init", "."], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("exists already; pass --force"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(dir.join("ca.key")).unwrap(), before);
    assert_eq!(mtlskit(dir, &["pki", "init", ".", "--force"], None).code, 0);
    assert_ne!(std::fs::read(dir.join("ca.key")).unwrap(), before);

    let run = mtlskit(dir, &["pki", "init", "x", "--algorithm", "dsa"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a key algorithm"), "{}", run.stderr);
    let run = mtlskit(
        dir,
        &["pki", "csr", "--cn", "a", "--san", "IP:nope", "--out", "a"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        !dir.join("a.key").exists(),
        "nothing is written when the arguments are bad"
    );
    let run = mtlskit(
        dir,
        &[
            "pki",
            "sign",
            "--ca-dir",
            ".",
            "--csr",
            "missing.csr",
            "--server",
            "--out",
            "o.pem",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        mtlskit(
            dir,
            &["pki", "sign", "--ca-dir", ".", "--csr", "x", "--out", "o.pem"],
            None
        )
        .code,
        2
    );
}

#[test]
fn intermediate_layout_chains_through_the_intermediate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = mtlskit(
        dir,
        &[
            "pki",
            "init",
            ".",
            "--intermediate",
            "--algorithm",
            "rsa2048",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "ca.pem",
            "-untrusted",
            "client.pem",
            "-purpose",
            "sslclient",
            "client.pem",
        ],
    );
    let (report, _) = inspect_json(dir, &["client.pem"]);
    let subjects: Vec<&str> = items(&report)
        .iter()
        .map(|i| i["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["CN=mtlskit client", "CN=mtlskit CA intermediate"]
    );
}
