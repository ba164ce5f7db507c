//! Authorization per location and identity headers (docs/config.md, "Authorization" and "What
//! the upstream receives"): each rule kind allows and refuses the clients it should, a refusal
//! is a 403 naming the rule with the client's own subject only and an `authz` access-log field;
//! with `verify_client = "optional"` a location with rules needs a certificate while the others
//! do not; each identity header style reaches an echo upstream, with the client's spoofed
//! copies stripped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::peer::curl_as;
use mtlskit_tests::pki::leaf;
use mtlskit_tests::proxy::{config, echo_upstream, Proxy};
use mtlskit_tests::{make_pki, mtlskit, openssl};

/// Three clients of the test CA: `alice` (O=Acme, OU=ops, CN=ops-alice, with DNS, IP, e-mail
/// and a SPIFFE URI SAN), `bob` (O=Acme, OU=dev, CN=dev-bob, SPIFFE URI only) and `mallory`
/// (O=Evil, OU=ops, CN=ops-mallory, no SAN).
fn clients(dir: &Path) {
    std::fs::write(
        dir.join("people.cnf"),
        "[alice]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\n\
         subjectAltName=DNS:alice.acme.example,IP:10.0.0.1,email:alice@acme.example,URI:spiffe://example.org/ops/alice\n\
         [bob]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://example.org/dev/bob\n\
         [mallory]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    for (name, subj) in [
        ("alice", "/O=Acme/OU=ops/CN=ops-alice"),
        ("bob", "/O=Acme/OU=dev/CN=dev-bob"),
        ("mallory", "/O=Evil/OU=ops/CN=ops-mallory"),
    ] {
        leaf(
            dir,
            name,
            subj,
            "ca",
            "2",
            Some(("people.cnf", Some(name))),
            None,
        );
    }
}

fn sha256_hex(dir: &Path, pem: &str) -> String {
    let out = openssl(
        dir,
        &["x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
    );
    out.trim().rsplit('=').next().unwrap().to_string()
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo, base64, as curl's --pinnedpubkey wants it.
fn spki_base64(dir: &Path, pem: &str) -> String {
    let script = format!(
        "import base64, hashlib, subprocess\n\
         der = subprocess.run(['openssl', 'x509', '-in', '{pem}', '-noout', '-pubkey'], capture_output=True, check=True).stdout\n\
         der = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'DER'], input=der, capture_output=True, check=True).stdout\n\
         print(base64.b64encode(hashlib.sha256(der).digest()).decode())\n"
    );
    let out = std::process::Command::new("python3")
        .current_dir(dir)
        .args(["-c", &script])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn each_rule_kind_allows_and_refuses_whom_it_should() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    clients(dir);
    let up = echo_upstream(dir, None);
    let upstream = format!("http://127.0.0.1:{}", up.port);
    let locations = [
        ("/cn", r#"allow = ["cn:ops-*"]"#.to_string()),
        ("/o", r#"allow = ["o:Acme"]"#.to_string()),
        ("/ou", r#"allow = ["ou:dev"]"#.to_string()),
        ("/dns", r#"allow = ["dns:*.ACME.example"]"#.to_string()),
        (
            "/uri",
            r#"allow = ["uri:spiffe://example.org/dev/*"]"#.to_string(),
        ),
        ("/ip", r#"allow = ["ip:10.0.0.1"]"#.to_string()),
        (
            "/email",
            r#"allow = ["email:ALICE@acme.example"]"#.to_string(),
        ),
        (
            "/spiffe",
            r#"allow = ["spiffe:spiffe://example.org/ops/*"]"#.to_string(),
        ),
        (
            "/issuer",
            r#"allow = ["issuer:CN=Test CA"]
deny = ["cn:ops-mallory"]"#
                .to_string(),
        ),
        (
            "/sha256",
            format!("allow = [\"sha256:{}\"]", sha256_hex(dir, "alice.pem")),
        ),
        (
            "/spki",
            format!("allow = [\"spki:{}\"]", spki_base64(dir, "bob.pem")),
        ),
    ];
    let port = mtlskit_tests::process::free_port();
    let mut text = config(port, &upstream, "verify_client = \"optional\"", "");
    for (path, rules) in &locations {
        text.push_str(&format!(
            "\n[[location]]\npath = \"{path}\"\nupstream = \"{upstream}\"\n{rules}\n"
        ));
    }
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    let check = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let proxy = Proxy::start(dir, port);
    let get = |who: Option<&str>, path: &str| {
        let run = curl_as(dir, who, &["-w", "\n%{http_code}"], &proxy.url(path));
        let (body, code) = run.stdout.rsplit_once('\n').unwrap();
        (code.to_string(), body.to_string())
    };

    // (path, alice, bob, mallory)
    let expected = [
        ("/cn", true, false, true),
        ("/o", true, true, false),
        ("/ou", false, true, false),
        ("/dns", true, false, false),
        ("/uri", false, true, false),
        ("/ip", true, false, false),
        ("/email", true, false, false),
        ("/spiffe", true, false, false),
        ("/issuer", true, true, false),
        ("/sha256", true, false, false),
        ("/spki", false, true, false),
        ("/", true, true, true),
    ];
    for (path, a, b, m) in expected {
        for (who, allowed) in [("alice", a), ("bob", b), ("mallory", m)] {
            let (code, body) = get(Some(who), path);
            let want = if allowed { "200" } else { "403" };
            assert_eq!(code, want, "{who} on {path}: {body}");
            if !allowed {
                assert!(body.starts_with("403 Forbidden"), "{body}");
                // The client's own subject, nothing of anybody else's certificate.
                for other in ["ops-alice", "dev-bob", "ops-mallory"] {
                    let own = other.ends_with(who);
                    assert_eq!(body.contains(other), own, "{who} on {path}: {body}");
                }
            }
        }
    }
    let (_, body) = get(Some("mallory"), "/issuer");
    assert!(body.contains("the deny rule cn:ops-mallory"), "{body}");
    let line = proxy.wait_log("access.log", "authz", "deny cn:ops-mallory");
    assert_eq!(line["status"], 403);
    assert_eq!(line["path"], "/issuer");
    let (_, body) = get(Some("bob"), "/cn");
    assert!(
        body.contains("matches none of this location's allow rules"),
        "{body}"
    );

    // verify_client = "optional": no certificate is fine where there are no rules, and a 403
    // where there are ("certificate only for /admin").
    assert_eq!(get(None, "/").0, "200");
    let (code, body) = get(None, "/cn");
    assert_eq!(code, "403");
    assert!(body.contains("needs a client certificate"), "{body}");
    proxy.wait_log("access.log", "authz", "no_certificate");
}

#[test]
fn rules_that_cannot_work_are_refused_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    for (rules, problem) in [
        (r#"allow = ["name:ops"]"#, "unknown kind \"name\""),
        (r#"deny = ["cn"]"#, "not KIND:PATTERN"),
        (r#"allow = ["sha256:1234"]"#, "SHA-256"),
    ] {
        let text = config(1, "http://127.0.0.1:9", "", rules);
        std::fs::write(dir.join("proxy.toml"), text).unwrap();
        let run = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
        assert_eq!(run.code, 1, "{rules}");
        assert!(run.stderr.contains(problem), "{rules}: {}", run.stderr);
    }
}

#[test]
fn each_identity_header_style_reaches_the_upstream_and_spoofs_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // An intermediate: the client sends its certificate and the intermediate.
    let run = mtlskit(dir, &["pki", "init", "--intermediate", "."], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let up = echo_upstream(dir, None);
    let upstream = format!("http://127.0.0.1:{}", up.port);
    let port = mtlskit_tests::process::free_port();
    let mut text = config(port, &upstream, "verify_depth = 2", "");
    for (path, styles) in [
        ("/nginx", r#"["nginx"]"#),
        ("/xfcc", r#"["xfcc_chain"]"#),
        ("/rfc9440", r#"["rfc9440"]"#),
    ] {
        text.push_str(&format!(
            "\n[[location]]\npath = \"{path}\"\nupstream = \"{upstream}\"\nidentity_headers = {styles}\n"
        ));
    }
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    let proxy = Proxy::start(dir, port);
    let spoofs = [
        "X-SSL-Client-S-DN: CN=admin",
        "X-Forwarded-Client-Cert: Hash=00;Subject=\"CN=admin\"",
        "Client-Cert: :AAAA:",
        "Client-Cert-Chain: :AAAA:",
        "X-SSL-Client-Not-After: never",
    ];
    let seen = |path: &str| -> serde_json::Value {
        let mut args = Vec::new();
        for s in spoofs {
            args.extend(["-H", s]);
        }
        let run = curl_as(dir, Some("client"), &args, &proxy.url(path));
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stdout);
        v["headers"].clone()
    };
    let der_b64 = |pem: &str| {
        let der = mtlskit_tests::openssl_bytes(dir, &["x509", "-in", pem, "-outform", "DER"]);
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(der)
    };

    let h = seen("/nginx");
    assert_eq!(h["x-ssl-client-s-dn"], "CN=mtlskit client");
    let not_after = openssl(dir, &["x509", "-in", "client.pem", "-noout", "-enddate"]);
    assert_eq!(
        h["x-ssl-client-not-after"],
        not_after.trim().trim_start_matches("notAfter=")
    );
    let not_before = openssl(dir, &["x509", "-in", "client.pem", "-noout", "-startdate"]);
    assert_eq!(
        h["x-ssl-client-not-before"],
        not_before.trim().trim_start_matches("notBefore=")
    );
    let remain: i64 = h["x-ssl-client-v-remain"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((363..=365).contains(&remain), "{remain}");
    for absent in [
        "x-forwarded-client-cert",
        "client-cert",
        "client-cert-chain",
    ] {
        assert!(h.get(absent).is_none(), "{absent}: {h}");
    }

    let h = seen("/xfcc");
    let xfcc = h["x-forwarded-client-cert"].as_str().unwrap();
    let hash = openssl(
        dir,
        &[
            "x509",
            "-in",
            "client.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    let hash = hash
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert!(xfcc.starts_with(&format!("Hash={hash};Cert=\"")), "{xfcc}");
    assert!(xfcc.contains(";Subject=\"CN=mtlskit client\""), "{xfcc}");
    let chain = xfcc.split(";Chain=\"").nth(1).unwrap();
    assert_eq!(
        chain.matches("BEGIN%20CERTIFICATE").count(),
        2,
        "leaf and intermediate: {xfcc}"
    );
    assert!(h.get("x-ssl-client-s-dn").is_none(), "{h}");

    let h = seen("/rfc9440");
    // client.pem holds the leaf, then the intermediate.
    let text = std::fs::read_to_string(dir.join("client.pem")).unwrap();
    let pems: Vec<&str> = text
        .split_inclusive("-----END CERTIFICATE-----\n")
        .collect();
    std::fs::write(dir.join("leaf.pem"), pems[0]).unwrap();
    std::fs::write(dir.join("inter.pem"), pems[1]).unwrap();
    assert_eq!(h["client-cert"], format!(":{}:", der_b64("leaf.pem")));
    assert_eq!(
        h["client-cert-chain"],
        format!(":{}:", der_b64("inter.pem"))
    );
    for absent in [
        "x-ssl-client-s-dn",
        "x-forwarded-client-cert",
        "x-ssl-client-not-after",
    ] {
        assert!(h.get(absent).is_none(), "{absent}: {h}");
    }
}
