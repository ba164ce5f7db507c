//! SPIFFE trust domains (docs/config.md, "SPIFFE"): X509-SVIDs of two trust domains, each
//! verified against its own bundle only: an SVID of domain A signed by domain B's CA is
//! refused; an SVID with two URI SANs is refused; a domain that is not configured is refused;
//! a certificate without a SPIFFE ID goes to `client_ca`; `spiffe:` rules pick by ID; a rule
//! for a domain that is not configured is a `check` warning.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::peer;
use mtlskit_tests::pki::{leaf, make_ca};
use mtlskit_tests::proxy::{config, echo_upstream, Proxy};
use mtlskit_tests::{make_pki, mtlskit};

/// `NAME.pem`/`.key` signed by CA `ca`, a client certificate with URI SANs `uris`.
fn svid(dir: &Path, name: &str, ca: &str, uris: &[&str]) {
    let san = uris
        .iter()
        .map(|u| format!("URI:{u}"))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        dir.join(format!("{name}.cnf")),
        format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectAltName={san}\n"
        ),
    )
    .unwrap();
    let cnf = format!("{name}.cnf");
    leaf(
        dir,
        name,
        &format!("/CN={name}"),
        ca,
        "2",
        Some((&cnf, None)),
        None,
    );
}

#[test]
fn each_svid_is_verified_against_its_own_trust_domain_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_ca(dir, "ca-a", "Domain A CA");
    make_ca(dir, "ca-b", "Domain B CA");
    make_ca(dir, "ca-c", "Domain C CA");
    svid(dir, "web-a", "ca-a", &["spiffe://a.example/ops/web"]);
    svid(dir, "db-b", "ca-b", &["spiffe://b.example/db"]);
    // Domain B's CA vouching for an identity of domain A.
    svid(dir, "forged", "ca-b", &["spiffe://a.example/ops/web"]);
    svid(
        dir,
        "two-ids",
        "ca-a",
        &["spiffe://a.example/x", "spiffe://a.example/y"],
    );
    svid(dir, "stranger", "ca-c", &["spiffe://c.example/x"]);
    let up = echo_upstream(dir, None);
    let upstream = format!("http://127.0.0.1:{}", up.port);
    let port = mtlskit_tests::process::free_port();
    let text = config(port, &upstream, "", "")
        + &format!(
            "\n[[location]]\npath = \"/ops\"\nupstream = \"{upstream}\"\nallow = [\"spiffe:spiffe://a.example/ops/*\"]\n\
             \n[[location]]\npath = \"/c\"\nupstream = \"{upstream}\"\nallow = [\"spiffe:spiffe://c.example/*\"]\n\
             \n[[trust_domain]]\nname = \"a.example\"\nbundle = \"ca-a.pem\"\n\
             \n[[trust_domain]]\nname = \"b.example\"\nbundle = \"ca-b.pem\"\n"
        );
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    let check = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains("can never match") && check.stderr.contains("c.example"),
        "{}",
        check.stderr
    );
    let proxy = Proxy::start(dir, port);
    let status = |who: &str, path: &str| peer::status(dir, Some(who), &[], &proxy.url(path));
    assert_eq!(status("web-a", "/"), "200");
    assert_eq!(status("db-b", "/"), "200");
    assert_eq!(status("client", "/"), "200", "no SPIFFE ID: client_ca");
    assert_eq!(status("web-a", "/ops/x"), "200");
    assert_eq!(status("db-b", "/ops/x"), "403");

    assert_eq!(status("forged", "/"), "000");
    let line = proxy.wait_log("error.log", "code", "untrusted_issuer");
    assert!(
        line["reason"].as_str().unwrap().contains("CN=forged"),
        "{line}"
    );
    assert_eq!(status("two-ids", "/"), "000");
    let line = proxy.wait_log("error.log", "code", "spiffe_id_invalid");
    assert!(
        line["reason"].as_str().unwrap().contains("2 URI SANs"),
        "{line}"
    );
    assert_eq!(status("stranger", "/"), "000");
    let line = proxy.wait_log("error.log", "code", "spiffe_unknown_trust_domain");
    assert!(
        line["reason"].as_str().unwrap().contains("c.example"),
        "{line}"
    );
}
