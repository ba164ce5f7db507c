//! What `pki` makes must satisfy openssl: chains, purposes, names and key pairs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mtlskit_pki::{init, new_csr, parse_sans, sign_csr, Ca, InitOptions, KeyAlgorithm, Role};
use mtlskit_tests::openssl_try;

fn verify(dir: &Path, purpose: &str, cert: &str, untrusted: Option<&str>) -> (bool, String) {
    let mut args = vec!["verify", "-CAfile", "ca.pem", "-purpose", purpose];
    if let Some(u) = untrusted {
        args.extend(["-untrusted", u]);
    }
    args.push(cert);
    openssl_try(dir, &args)
}

fn pubkey_of(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = openssl_try(dir, args);
    assert!(ok, "openssl {}: {text}", args.join(" "));
    text
}

#[test]
fn init_makes_a_pki_openssl_verifies_for_every_algorithm() {
    for algorithm in KeyAlgorithm::ALL {
        if matches!(algorithm, KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096) {
            continue; // slow to generate; rsa2048 covers RSA, the sign test covers the rest
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut opts = InitOptions::default();
        opts.options.algorithm = algorithm;
        opts.options.days = 30;
        init(dir, &opts).unwrap();
        assert!(
            verify(dir, "sslserver", "server.pem", None).0,
            "{algorithm}: server"
        );
        assert!(
            verify(dir, "sslclient", "client.pem", None).0,
            "{algorithm}: client"
        );
        // Roles are not interchangeable.
        let (ok, text) = verify(dir, "sslclient", "server.pem", None);
        assert!(
            !ok && text.contains("certificate purpose"),
            "{algorithm}: {text}"
        );
        assert!(
            !verify(dir, "sslserver", "client.pem", None).0,
            "{algorithm}"
        );
        let (_, names) = openssl_try(
            dir,
            &[
                "x509",
                "-in",
                "server.pem",
                "-noout",
                "-ext",
                "subjectAltName",
            ],
        );
        assert!(
            names.contains("DNS:localhost") && names.contains("IP Address:127.0.0.1"),
            "{names}"
        );
        assert!(names.contains("IP Address:0:0:0:0:0:0:0:1"), "{names}");
        for name in ["ca", "server", "client"] {
            let cert = pubkey_of(
                dir,
                &["x509", "-in", &format!("{name}.pem"), "-noout", "-pubkey"],
            );
            let key = pubkey_of(dir, &["pkey", "-in", &format!("{name}.key"), "-pubout"]);
            assert_eq!(
                cert, key,
                "{algorithm}: {name}.key does not match {name}.pem"
            );
            let mode = std::fs::metadata(dir.join(format!("{name}.key")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}.key must be 0600");
        }
    }
}

#[test]
fn intermediate_layout_verifies_with_the_chain_in_the_leaf_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut opts = InitOptions::default();
    opts.intermediate = true;
    init(dir, &opts).unwrap();
    // The leaf files carry leaf + intermediate: what a peer sends.
    let server = std::fs::read_to_string(dir.join("server.pem")).unwrap();
    assert_eq!(server.matches("BEGIN CERTIFICATE").count(), 2);
    assert!(verify(dir, "sslserver", "server.pem", Some("server.pem")).0);
    assert!(verify(dir, "sslclient", "client.pem", Some("client.pem")).0);
    // Without the intermediate the leaf does not chain to the root.
    std::fs::write(
        dir.join("leaf.pem"),
        &server[..server.find("-----END CERTIFICATE-----").unwrap() + 26],
    )
    .unwrap();
    assert!(!verify(dir, "sslserver", "leaf.pem", None).0);
}

#[test]
fn existing_files_are_never_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir, &InitOptions::default()).unwrap();
    let before = std::fs::read(dir.join("ca.key")).unwrap();
    let err = init(dir, &InitOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("exists already; pass --force"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("ca.key")).unwrap(), before);
    let mut opts = InitOptions::default();
    opts.force = true;
    init(dir, &opts).unwrap();
    assert_ne!(std::fs::read(dir.join("ca.key")).unwrap(), before);
}

#[test]
fn signing_a_csr_keeps_the_requested_names_and_sets_the_role() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir, &InitOptions::default()).unwrap();
    let ca = Ca::from_pem(
        &std::fs::read_to_string(dir.join("ca.pem")).unwrap(),
        &std::fs::read_to_string(dir.join("ca.key")).unwrap(),
    )
    .unwrap();
    for (algorithm, role, purpose) in [
        (KeyAlgorithm::P384, Role::Server, "sslserver"),
        (KeyAlgorithm::Rsa3072, Role::Client, "sslclient"),
        (KeyAlgorithm::Ed25519, Role::Client, "sslclient"),
    ] {
        let sans = parse_sans(
            "DNS:api.example.com,IP:10.0.0.7,URI:spiffe://example.com/svc,email:ops@example.com",
        )
        .unwrap();
        let (csr, key) = new_csr("api.example.com", &sans, algorithm).unwrap();
        std::fs::write(dir.join("req.csr"), &csr).unwrap();
        std::fs::write(dir.join("req.key"), &key).unwrap();
        let (ok, text) = openssl_try(dir, &["req", "-in", "req.csr", "-noout", "-verify"]);
        assert!(ok, "{algorithm}: openssl rejects the CSR: {text}");
        let cert = sign_csr(&ca, &csr, role, 10).unwrap();
        std::fs::write(dir.join("req.pem"), &cert).unwrap();
        let (ok, text) = verify(dir, purpose, "req.pem", None);
        assert!(ok, "{algorithm}: {text}");
        let (_, ext) = openssl_try(
            dir,
            &[
                "x509",
                "-in",
                "req.pem",
                "-noout",
                "-ext",
                "subjectAltName,extendedKeyUsage,basicConstraints",
                "-subject",
            ],
        );
        for want in [
            "DNS:api.example.com",
            "IP Address:10.0.0.7",
            "URI:spiffe://example.com/svc",
            "email:ops@example.com",
            "CA:FALSE",
            "subject=CN = api.example.com",
        ] {
            assert!(ext.contains(want), "{algorithm}: missing {want} in {ext}");
        }
        let cert_key = pubkey_of(dir, &["x509", "-in", "req.pem", "-noout", "-pubkey"]);
        assert_eq!(
            cert_key,
            pubkey_of(dir, &["pkey", "-in", "req.key", "-pubout"])
        );
    }
}

#[test]
fn bad_names_and_algorithms_are_explained() {
    assert!(parse_sans("IP:999.1.1.1")
        .unwrap_err()
        .to_string()
        .contains("DNS:name"));
    assert!("dsa"
        .parse::<KeyAlgorithm>()
        .unwrap_err()
        .to_string()
        .contains("p256"));
    assert_eq!(
        "RSA-4096".parse::<KeyAlgorithm>().ok(),
        Some(KeyAlgorithm::Rsa4096)
    );
}
