//! Keys: matched to their certificate and CSR, and never printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::{codes, inspect_json, items, make_pki, mtlskit, openssl};

#[test]
fn key_is_matched_to_its_certificate_and_csr() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let (report, run) = inspect_json(
        dir,
        &["server.pem", "client.pem", "client.csr", "client.key"],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let key = &items(&report)[3];
    assert_eq!(key["kind"], "private_key");
    assert_eq!(key["algorithm"], "EC");
    assert_eq!(key["curve"], "P-256");
    let matches: Vec<&str> = key["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["source"].as_str().unwrap())
        .collect();
    assert_eq!(matches, ["client.pem", "client.csr"]);
    assert!(codes(key).contains(&"key_matches".to_string()));
    assert!(!codes(&items(&report)[0]).contains(&"key_matches".to_string()));
    assert_eq!(key["spki_sha256"], items(&report)[1]["spki_sha256"]);
}

#[test]
fn key_of_another_certificate_is_a_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let (report, _) = inspect_json(dir, &["server.pem", "client.key"]);
    let key = &items(&report)[1];
    assert!(codes(key).contains(&"key_mismatch".to_string()), "{key:#}");
    let text = mtlskit(dir, &["inspect", "server.pem", "client.key"], None);
    assert!(text.stdout.contains("key_mismatch"), "{}", text.stdout);
}

#[test]
fn private_key_material_is_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    // The private scalar as openssl prints it ("priv:" block), hex without colons.
    let text = openssl(dir, &["pkey", "-in", "client.key", "-noout", "-text"]);
    let priv_hex: String = text
        .split("priv:")
        .nth(1)
        .and_then(|rest| rest.split("pub:").next())
        .unwrap()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    assert!(priv_hex.len() >= 64);
    let pem = std::fs::read_to_string(dir.join("client.key")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for args in [
        &["inspect", "client.key"][..],
        &["inspect", "--json", "client.key"][..],
    ] {
        let run = mtlskit(dir, args, None);
        assert_eq!(run.code, 0, "stderr: {}", run.stderr);
        let all = format!("{}{}", run.stdout, run.stderr).to_lowercase();
        assert!(
            !all.contains(&priv_hex[..32]),
            "the private scalar leaked: {all}"
        );
        assert!(
            !all.contains(&body[20..60].to_lowercase()),
            "the key's PEM leaked"
        );
    }
}
