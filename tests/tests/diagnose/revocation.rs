//! `mtlskit diagnose --crl` against `openssl verify -crl_check[_all] -CRLfile` on CRLs made by
//! `openssl ca -gencrl`: the same verdict, and the finding that says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::crl::CrlCa;
use mtlskit_tests::{mtlskit, openssl_try};

/// diagnose's verdict, codes and messages for a client certificate.
fn diagnose(dir: &Path, ca: &str, cert: &str, chain: Option<&str>, crls: &[&str]) -> Diag {
    let mut args = vec!["diagnose", "--json", "--ca", ca, "--cert", cert];
    if let Some(c) = chain {
        args.extend(["--chain", c]);
    }
    for crl in crls {
        args.extend(["--crl", crl]);
    }
    let run = mtlskit(dir, &args, None);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", run.stdout, run.stderr));
    let accepted = report["verdict"] == "accepted";
    assert_eq!(run.code, if accepted { 0 } else { 1 });
    let findings = report["findings"].as_array().unwrap();
    Diag {
        accepted,
        codes: findings
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect(),
        messages: findings
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect(),
    }
}

#[derive(Debug)]
struct Diag {
    accepted: bool,
    codes: Vec<String>,
    messages: Vec<String>,
}

/// Whether `openssl verify` with these CRL flags accepts the client certificate; its output.
fn openssl_verify(
    dir: &Path,
    ca: &str,
    cert: &str,
    chain: Option<&str>,
    crls: &[&str],
    flag: &str,
) -> (bool, String) {
    let mut args = vec!["verify", "-purpose", "sslclient", "-CAfile", ca, flag];
    if let Some(c) = chain {
        args.extend(["-untrusted", c]);
    }
    for crl in crls {
        args.extend(["-CRLfile", crl]);
    }
    args.push(cert);
    openssl_try(dir, &args)
}

/// A root that issued `good` and `gone`, `gone` revoked for keyCompromise, and its CRL.
fn revoking_root(dir: &Path) -> CrlCa {
    let ca = CrlCa::root(dir, "ca", "/CN=Revoking CA");
    ca.issue("good", "/CN=good", "client");
    ca.issue("gone", "/CN=gone", "client");
    ca.revoke("gone", "keyCompromise");
    ca.crl("crl.pem", &[]);
    ca
}

#[test]
fn a_revoked_client_is_rejected_with_date_and_reason_as_openssl_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    revoking_root(dir);
    let d = diagnose(dir, "ca.pem", "gone.pem", None, &["crl.pem"]);
    let (ok, out) = openssl_verify(dir, "ca.pem", "gone.pem", None, &["crl.pem"], "-crl_check");
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    assert!(!d.accepted);
    assert_eq!(d.codes, ["revoked"]);
    let m = &d.messages[0];
    assert!(
        m.starts_with("the certificate CN=gone serial ")
            && m.contains(" was revoked on ")
            && m.contains("(keyCompromise) by the CRL of CN=Revoking CA (number 1, issued "),
        "{m}"
    );
    // Its sibling is fine, with the same CRL; without CRLs nothing about revocation is said.
    let d = diagnose(dir, "ca.pem", "good.pem", None, &["crl.pem"]);
    let (ok, out) = openssl_verify(dir, "ca.pem", "good.pem", None, &["crl.pem"], "-crl_check");
    assert!(ok, "{out}");
    assert!(d.accepted, "{d:?}");
    assert!(!d
        .codes
        .iter()
        .any(|c| c.starts_with("crl") || c == "revoked"));
    let d = diagnose(dir, "ca.pem", "gone.pem", None, &[]);
    assert!(d.accepted, "{d:?}");
}

#[test]
fn an_expired_crl_is_refused_as_openssl_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = revoking_root(dir);
    let (last, next) = (mtlskit_tests::pki::date(-3), mtlskit_tests::pki::date(-1));
    ca.crl(
        "old.pem",
        &["-crl_lastupdate", &last, "-crl_nextupdate", &next],
    );
    let (ok, out) = openssl_verify(dir, "ca.pem", "good.pem", None, &["old.pem"], "-crl_check");
    assert!(!ok && out.contains("CRL has expired"), "{out}");
    let d = diagnose(dir, "ca.pem", "good.pem", None, &["old.pem"]);
    assert!(!d.accepted);
    assert_eq!(d.codes, ["crl_expired"]);
    assert!(
        d.messages[0].contains("expired 1 day ago"),
        "{:?}",
        d.messages
    );
    // An expired CRL still says what it says.
    let d = diagnose(dir, "ca.pem", "gone.pem", None, &["old.pem"]);
    assert_eq!(d.codes, ["crl_expired", "revoked"]);
}

#[test]
fn a_crl_of_another_ca_with_the_same_name_is_not_used_as_openssl_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    revoking_root(dir);
    let other = CrlCa::root(dir, "other", "/CN=Revoking CA");
    other.crl("other-crl.pem", &[]);
    let (ok, out) = openssl_verify(
        dir,
        "ca.pem",
        "gone.pem",
        None,
        &["other-crl.pem"],
        "-crl_check",
    );
    // openssl skips the CRL whose key identifier is not the CA's, and so has none.
    assert!(
        !ok && out.contains("unable to get certificate CRL"),
        "{out}"
    );
    let d = diagnose(dir, "ca.pem", "gone.pem", None, &["other-crl.pem"]);
    assert!(!d.accepted);
    assert_eq!(d.codes, ["crl_not_signed_by_issuer"]);
    assert!(
        d.messages[0].contains("other-crl.pem #0"),
        "{:?}",
        d.messages
    );
}

#[test]
fn every_issuer_of_the_chain_needs_a_crl_as_with_crl_check_all() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = CrlCa::root(dir, "root", "/CN=Root CA");
    let sub = root.intermediate("sub", "/CN=Sub CA");
    sub.issue("leaf", "/CN=leaf", "client");
    sub.crl("sub-crl.pem", &[]);
    root.crl("root-crl.pem", &[]);
    let chain = Some("sub.pem");
    // Only the intermediate's CRL: openssl -crl_check_all misses the root's.
    let (ok, out) = openssl_verify(
        dir,
        &root.pem(),
        "leaf.pem",
        chain,
        &["sub-crl.pem"],
        "-crl_check_all",
    );
    assert!(
        !ok && out.contains("unable to get certificate CRL"),
        "{out}"
    );
    let d = diagnose(dir, &root.pem(), "leaf.pem", chain, &["sub-crl.pem"]);
    assert!(!d.accepted);
    assert_eq!(d.codes, ["crl_missing_for_issuer"]);
    assert!(
        d.messages[0].contains("no CRL of CN=Root CA") && d.messages[0].contains("CN=Sub CA"),
        "{:?}",
        d.messages
    );
    // Both CRLs, in one file or two: accepted by both.
    let crls = ["sub-crl.pem", "root-crl.pem"];
    let (ok, out) = openssl_verify(dir, &root.pem(), "leaf.pem", chain, &crls, "-crl_check_all");
    assert!(ok, "{out}");
    let d = diagnose(dir, &root.pem(), "leaf.pem", chain, &crls);
    assert!(d.accepted, "{d:?}");
    let both = format!(
        "{}{}",
        std::fs::read_to_string(dir.join("sub-crl.pem")).unwrap(),
        std::fs::read_to_string(dir.join("root-crl.pem")).unwrap()
    );
    std::fs::write(dir.join("both.pem"), both).unwrap();
    let d = diagnose(dir, &root.pem(), "leaf.pem", chain, &["both.pem"]);
    assert!(d.accepted, "{d:?}");
    // The intermediate revoked by the root: the leaf is refused because of it.
    root.revoke("sub", "cACompromise");
    root.crl("root-crl.pem", &[]);
    let (ok, out) = openssl_verify(dir, &root.pem(), "leaf.pem", chain, &crls, "-crl_check_all");
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    let d = diagnose(dir, &root.pem(), "leaf.pem", chain, &crls);
    assert_eq!(d.codes, ["revoked"]);
    assert!(d.messages[0].contains("CN=Sub CA") && d.messages[0].contains("(cACompromise)"));
}

#[test]
fn a_file_without_a_crl_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    revoking_root(dir);
    let run = mtlskit(
        dir,
        &[
            "diagnose", "--ca", "ca.pem", "--cert", "good.pem", "--crl", "good.pem",
        ],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "mtlskit: good.pem: the file is malformed: it holds no certificate revocation list\n"
    );
}
