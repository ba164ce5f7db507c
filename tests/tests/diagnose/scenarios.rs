//! `mtlskit diagnose` over a table of generated scenarios: each row says how the chain is made,
//! what diagnose is asked, the verdict and finding codes expected, and what `openssl verify
//! -purpose sslclient|sslserver` says about the same files. A macro makes one `#[test]` per row,
//! so a failure names its scenario. Checks openssl has no opinion on follow the table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::scenario::{Scenario, CA_EXT, CLIENT_EXT, SERVER_EXT};
use mtlskit_tests::{mtlskit, openssl};

/// Runs diagnose (JSON) and openssl verify on the same inputs; asserts that they agree and that
/// openssl answers `openssl_accepts`; returns (verdict, codes).
#[allow(clippy::too_many_arguments)]
fn check(
    dir: &Path,
    ca: &str,
    cert: &str,
    chain: Option<&str>,
    purpose: &str,
    extra: &[&str],
    openssl_extra: &[&str],
    openssl_accepts: bool,
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
    assert_eq!(ok, openssl_accepts, "openssl verify {}", v.join(" "));
    (verdict, codes)
}

/// The finding codes a row expects.
#[derive(Debug, Clone, Copy)]
enum Codes {
    /// No finding at all.
    None,
    /// Exactly these, in this order.
    Exactly(&'static [&'static str]),
    /// At least one finding, every one with this code.
    Only(&'static str),
    /// This code among others.
    Includes(&'static str),
    /// Not checked (the verdict is).
    Any,
}

/// One scenario: how its files are made, what diagnose and openssl verify are asked, and what
/// they must answer.
#[derive(Debug)]
struct Case {
    /// Makes the certificates in the scenario's folder.
    made: fn(&Scenario),
    ca: &'static str,
    cert: &'static str,
    chain: Option<&'static str>,
    /// `sslclient` or `sslserver` (openssl's purpose; diagnose's role follows it).
    purpose: &'static str,
    /// More arguments of `mtlskit diagnose`, and of `openssl verify` for the same question.
    args: &'static [&'static str],
    openssl_args: &'static [&'static str],
    accepted: bool,
    codes: Codes,
    /// Whether `openssl verify` accepts the same files.
    openssl_accepts: bool,
}

impl Case {
    fn run(&self) {
        let tmp = tempfile::tempdir().unwrap();
        let s = Scenario::new(tmp.path());
        (self.made)(&s);
        let (verdict, codes) = check(
            &s.dir,
            self.ca,
            self.cert,
            self.chain,
            self.purpose,
            self.args,
            self.openssl_args,
            self.openssl_accepts,
        );
        let want = if self.accepted {
            "accepted"
        } else {
            "rejected"
        };
        assert_eq!(verdict, want, "{codes:?}");
        match self.codes {
            Codes::None => assert!(codes.is_empty(), "{codes:?}"),
            Codes::Exactly(want) => assert_eq!(codes, want, "{codes:?}"),
            Codes::Only(code) => assert!(
                !codes.is_empty() && codes.iter().all(|c| c == code),
                "{codes:?}"
            ),
            Codes::Includes(code) => assert!(codes.iter().any(|c| c == code), "{codes:?}"),
            Codes::Any => {}
        }
    }
}

/// The table: `name: Case { ... },` rows, one `#[test]` each.
macro_rules! scenarios {
    ($($name:ident: $case:expr,)*) => {
        $(
            #[test]
            fn $name() {
                $case.run();
            }
        )*
    };
}

/// The PKI most rows share: root, a client and a server certificate.
fn pki(s: &Scenario) {
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
}

/// [`pki`] plus a client of another CA.
fn stranger(s: &Scenario) {
    pki(s);
    s.root("other", "/O=Elsewhere/CN=Other CA", "");
    s.issue(
        "stranger",
        "/O=Elsewhere/CN=stranger",
        "other",
        CLIENT_EXT,
        "ec",
        "sha256",
    );
}

/// [`pki`] plus an intermediate and a leaf it signed.
fn intermediate(s: &Scenario) {
    pki(s);
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
}

/// [`pki`] plus a CA certificate signed by the root.
fn sub_ca(s: &Scenario) {
    pki(s);
    s.issue("subca", "/O=Acme/CN=Sub CA", "root", CA_EXT, "ec", "sha256");
}

/// root -> i1 (pathlen 0) -> i2 -> leaf, with the chain i2, i1.
fn path_length(s: &Scenario) {
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
}

/// A root permitting only DNS names in internal.example, a server inside and one outside.
fn name_constraints(s: &Scenario) {
    s.root(
        "root",
        "/O=Acme/CN=Acme Root",
        "nameConstraints=critical,permitted;DNS:internal.example",
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
}

/// [`pki`] plus `tampered.der`: the client certificate with one byte of its signature (the
/// last byte of the DER) flipped.
fn tampered(s: &Scenario) {
    pki(s);
    openssl(
        &s.dir,
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
    let mut der = std::fs::read(s.dir.join("client.der")).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    std::fs::write(s.dir.join("tampered.der"), der).unwrap();
}

/// Two `mtlskit pki init` runs (a/, b/): two CAs both called "CN=mtlskit CA".
fn two_inits(s: &Scenario) {
    assert_eq!(mtlskit(&s.dir, &["pki", "init", "a"], None).code, 0);
    assert_eq!(mtlskit(&s.dir, &["pki", "init", "b"], None).code, 0);
}

/// One intermediate key, two certificates: signed by the old root (`inter`) and cross-signed
/// by the new one (`inter-x`); a leaf; the two intermediates in both orders.
fn cross_signed(s: &Scenario) {
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
}

/// A client certificate diagnosed against `root.pem` with no more options.
const CLIENT: Case = Case {
    made: pki,
    ca: "root.pem",
    cert: "client.pem",
    chain: None,
    purpose: "sslclient",
    args: &[],
    openssl_args: &[],
    accepted: true,
    codes: Codes::None,
    openssl_accepts: true,
};

/// [`CLIENT`] rejected with exactly `code`.
const fn rejected(made: fn(&Scenario), cert: &'static str, code: &'static [&'static str]) -> Case {
    Case {
        made,
        cert,
        accepted: false,
        codes: Codes::Exactly(code),
        openssl_accepts: false,
        ..CLIENT
    }
}

scenarios! {
    accepted_client_with_its_key: Case { args: &["--key", "client.key"], ..CLIENT },
    accepted_server_for_its_hostname: Case {
        cert: "server.pem",
        purpose: "sslserver",
        args: &["--host", "localhost"],
        openssl_args: &["-verify_hostname", "localhost"],
        codes: Codes::Any,
        ..CLIENT
    },
    accepted_server_for_its_ip_address: Case {
        cert: "server.pem",
        purpose: "sslserver",
        args: &["--host", "127.0.0.1"],
        openssl_args: &["-verify_ip", "127.0.0.1"],
        codes: Codes::Any,
        ..CLIENT
    },
    untrusted_issuer: rejected(stranger, "stranger.pem", &["untrusted_issuer"]),
    missing_intermediate: rejected(intermediate, "leaf.pem", &["missing_intermediate"]),
    supplied_intermediate: Case {
        made: intermediate,
        cert: "leaf.pem",
        chain: Some("inter.pem"),
        ..CLIENT
    },
    expired: Case {
        args: &["--at", "2100-01-01T00:00:00Z"],
        openssl_args: &["-attime", "4102444800"],
        accepted: false,
        codes: Codes::Only("expired"),
        openssl_accepts: false,
        ..CLIENT
    },
    not_yet_valid: Case {
        args: &["--at", "2000-01-01T00:00:00Z"],
        openssl_args: &["-attime", "946684800"],
        accepted: false,
        codes: Codes::Only("not_yet_valid"),
        openssl_accepts: false,
        ..CLIENT
    },
    server_certificate_used_as_client: rejected(pki, "server.pem", &["missing_client_auth_eku"]),
    ca_used_as_leaf: Case {
        made: sub_ca,
        cert: "subca.pem",
        accepted: false,
        codes: Codes::Includes("ca_used_as_leaf"),
        openssl_accepts: false,
        ..CLIENT
    },
    path_length_exceeded: Case {
        chain: Some("chain.pem"),
        ..rejected(path_length, "leaf.pem", &["path_len_exceeded"])
    },
    name_constraints_inside: Case {
        made: name_constraints,
        cert: "inside.pem",
        purpose: "sslserver",
        codes: Codes::Any,
        ..CLIENT
    },
    name_constraints_violated: Case {
        purpose: "sslserver",
        ..rejected(name_constraints, "outside.pem", &["name_constraints"])
    },
    bad_signature: rejected(tampered, "tampered.der", &["bad_signature"]),
    wrong_hostname: Case {
        purpose: "sslserver",
        args: &["--host", "www.example.com"],
        openssl_args: &["-verify_hostname", "www.example.com"],
        ..rejected(pki, "server.pem", &["hostname_mismatch"])
    },
    another_ca_with_the_same_name: Case {
        ca: "a/ca.pem",
        ..rejected(two_inits, "b/client.pem", &["untrusted_issuer"])
    },
    // openssl agrees when the matching intermediate comes first: it takes the first untrusted
    // certificate with the right name and does not backtrack.
    cross_signed_old_root_old_first: Case {
        made: cross_signed,
        ca: "old.pem",
        cert: "leaf.pem",
        chain: Some("old-first.pem"),
        ..CLIENT
    },
    cross_signed_new_root_new_first: Case {
        made: cross_signed,
        ca: "new.pem",
        cert: "leaf.pem",
        chain: Some("new-first.pem"),
        ..CLIENT
    },
}

// Checks openssl has no opinion on: what diagnose prints, the chain it builds, keys, warnings
// and usage errors.

/// What `mtlskit diagnose --ca CA --cert CERT` prints (text) in a scenario made by `made`.
fn diagnose_text(made: fn(&Scenario), ca: &str, cert: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let s = Scenario::new(tmp.path());
    made(&s);
    mtlskit(&s.dir, &["diagnose", "--ca", ca, "--cert", cert], None).stdout
}

#[test]
fn untrusted_issuer_names_the_issuer() {
    let out = diagnose_text(stranger, "root.pem", "stranger.pem");
    assert!(
        out.contains("issued by O=Elsewhere,CN=Other CA")
            || out.contains("issued by CN=Other CA,O=Elsewhere"),
        "{out}"
    );
}

#[test]
fn chain_in_the_certificate_file_in_any_order_with_a_duplicate() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Scenario::new(tmp.path());
    intermediate(&s);
    s.cat(
        "bundle.pem",
        &["leaf.pem", "root.pem", "inter.pem", "inter.pem"],
    );
    let run = mtlskit(
        &s.dir,
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
fn key_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Scenario::new(tmp.path());
    pki(&s);
    let run = mtlskit(
        &s.dir,
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
}

#[test]
fn another_ca_with_the_same_name_is_said() {
    let out = diagnose_text(two_inits, "a/ca.pem", "b/client.pem");
    assert!(out.contains("another CA with the same name"), "{out}");
}

#[test]
fn sha1_and_rsa_1024_are_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = Scenario::new(dir);
    pki(&s);
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
    pki(&Scenario::new(dir));
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
fn cross_signed_intermediate_in_any_order_chains_to_whichever_root_is_trusted() {
    // The client sends both intermediates; each verifier trusts one root.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    cross_signed(&Scenario::new(dir));
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
