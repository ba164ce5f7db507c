//! Bad input: one sentence naming the source, the right exit status, and nothing else lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::{inspect_json, items, make_pki, mtlskit};

#[test]
fn garbage_is_reported_and_the_other_inputs_still_are() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    std::fs::write(
        dir.join("garbage.bin"),
        b"\x00\x01 this is not a certificate \xff",
    )
    .unwrap();
    let mut truncated = std::fs::read_to_string(dir.join("server.pem")).unwrap();
    truncated.truncate(truncated.len() / 2);
    std::fs::write(dir.join("truncated.pem"), truncated).unwrap();
    let (report, run) = inspect_json(dir, &["garbage.bin", "client.pem", "truncated.pem"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert_eq!(items(&report).len(), 1);
    assert_eq!(items(&report)[0]["source"], "client.pem");
    let errors = report["errors"].as_array().unwrap();
    let sources: Vec<&str> = errors
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["garbage.bin", "truncated.pem"]);
    assert!(
        errors[1]["message"].as_str().unwrap().contains("END"),
        "{errors:?}"
    );
    let stderr: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(stderr.len(), 2, "one line per problem: {}", run.stderr);
    assert!(stderr[0].starts_with("mtlskit: garbage.bin: "));
    assert!(stderr[1].starts_with("mtlskit: truncated.pem: "));
}

#[test]
fn unreadable_file_is_a_usage_error_but_others_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let run = mtlskit(dir, &["inspect", "--json", "missing.pem", "ca.pem"], None);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.trim(), "mtlskit: missing.pem: no such file");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(items(&report)[0]["subject"], "CN=Test CA");
}

#[test]
fn bad_time_and_no_paths_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let run = mtlskit(tmp.path(), &["inspect", "--at", "tomorrow", "x.pem"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("\"tomorrow\" is not an RFC 3339 time"),
        "{}",
        run.stderr
    );
    assert_eq!(mtlskit(tmp.path(), &["inspect"], None).code, 2);
    assert_eq!(mtlskit(tmp.path(), &["frobnicate"], None).code, 2);
}

#[test]
fn encrypted_keys_and_pkcs12_are_named_not_decoded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    mtlskit_tests::openssl(
        dir,
        &[
            "pkey",
            "-in",
            "client.key",
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            "enc.key",
        ],
    );
    mtlskit_tests::openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            "client.pem",
            "-inkey",
            "client.key",
            "-passout",
            "pass:secret",
            "-out",
            "client.p12",
        ],
    );
    let (report, run) = inspect_json(dir, &["enc.key", "client.p12"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let kinds: Vec<&str> = items(&report)
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["encrypted_private_key", "pkcs12"]);
}
