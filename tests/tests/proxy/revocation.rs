//! Revocation of client certificates (docs/config.md, "Reload and revocation"): a client
//! revoked with `mtlskit pki revoke` + `pki crl` + `mtlskit reload` is refused with the reason,
//! also when it offers a TLS 1.2 session ID or a TLS 1.2 or 1.3 ticket from before, while
//! another client of the same CA goes on; a CRL from `openssl ca -gencrl` picked up by
//! `reload_poll`; an expired CRL denies unless `crl_expired = "allow"`; nginx (`ssl_crl`) and
//! `openssl verify -crl_check` accept the CRL `mtlskit pki crl` writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::peer::{
    curl_as, nginx_upstream_with, resumed, s_client_session, save_sessions, SESSIONS,
};
use mtlskit_tests::pki::{date, date_in_secs, issue, openssl_gencrl, openssl_revoke};
use mtlskit_tests::proxy::{config, echo_upstream, reload, start_proxy, Proxy};
use mtlskit_tests::{make_pki, mtlskit, openssl, openssl_try};

fn ok(run: &mtlskit_tests::Run) {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// `mtlskit pki init .`, a second client (`client2`, CN=client two) from the same CA, and an
/// empty CRL `crl.pem`.
fn pki_with_two_clients(dir: &Path) {
    ok(&mtlskit(dir, &["pki", "init", "."], None));
    ok(&mtlskit(
        dir,
        &["pki", "csr", "--cn", "client two", "--out", "client2"],
        None,
    ));
    ok(&mtlskit(
        dir,
        &[
            "pki",
            "sign",
            "--ca-dir",
            ".",
            "--csr",
            "client2.csr",
            "--client",
            "--out",
            "client2.pem",
        ],
        None,
    ));
    ok(&mtlskit(
        dir,
        &["pki", "crl", "--ca-dir", ".", "--out", "crl.pem"],
        None,
    ));
}

fn status(dir: &Path, proxy: &Proxy, client: &str, path: &str) -> String {
    mtlskit_tests::peer::status(dir, Some(client), &[], &proxy.url(path))
}

/// The serial of a certificate as the proxy's log writes it: `0a:1b:...`.
fn serial(dir: &Path, pem: &str) -> String {
    let hex = openssl(dir, &["x509", "-in", pem, "-noout", "-serial"]);
    let hex = hex
        .trim()
        .trim_start_matches("serial=")
        .to_ascii_lowercase();
    hex.as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":")
}

/// Waits for the `n`th handshake failure with `code` and returns it.
fn failure(proxy: &Proxy, code: &str, n: usize) -> serde_json::Value {
    let mut found = None;
    assert!(
        mtlskit_tests::process::poll(std::time::Duration::from_secs(10), || {
            found = proxy
                .lines("error.log")
                .into_iter()
                .filter(|l| l["code"] == code)
                .nth(n - 1);
            found.is_some()
        }),
        "no failure {n} with code {code}: {}",
        std::fs::read_to_string(proxy.dir.join("error.log")).unwrap_or_default()
    );
    found.unwrap()
}

#[test]
fn a_revoked_client_is_refused_with_the_reason_also_when_it_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki_with_two_clients(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        "crl = [\"crl.pem\"]",
        "",
    );
    let port = proxy.daemon.port;
    assert_eq!(status(dir, &proxy, "client", "/"), "200");

    // Sessions made before the revocation, each shown to resume.
    save_sessions(dir, port, "client");

    let run = mtlskit(
        dir,
        &[
            "pki",
            "revoke",
            "--ca-dir",
            ".",
            "client.pem",
            "--reason",
            "keyCompromise",
        ],
        None,
    );
    ok(&run);
    assert!(
        run.stdout.contains("revoked CN=mtlskit client"),
        "{}",
        run.stdout
    );
    ok(&mtlskit(
        dir,
        &["pki", "crl", "--ca-dir", ".", "--out", "crl.pem"],
        None,
    ));
    ok(&reload(dir));
    proxy.wait_generation(2);

    assert_eq!(
        status(dir, &proxy, "client", "/after"),
        "000",
        "refused at the handshake"
    );
    let line = failure(&proxy, "revoked", 1);
    let reason = line["reason"].as_str().unwrap();
    for part in [
        "client certificate CN=mtlskit client",
        &format!("serial {}", serial(dir, "client.pem")),
        "was revoked on",
        "(keyCompromise)",
        "by the CRL of CN=mtlskit CA",
        "next update",
    ] {
        assert!(reason.contains(part), "{part:?} not in {reason}");
    }
    // No session from before lets it back in: each gets a full handshake, which is refused.
    for (i, (name, flags)) in SESSIONS.iter().enumerate() {
        let file = format!("{name}.sess");
        let run = s_client_session(dir, port, "client", flags, "/", ("-sess_in", &file));
        assert!(
            !resumed(&run),
            "{name} resumed after the revocation: {}",
            run.stdout
        );
        assert!(!run.stdout.contains(" 200 OK"), "{name}: {}", run.stdout);
        failure(&proxy, "revoked", i + 2);
    }
    // Another client of the same CA goes on.
    assert_eq!(status(dir, &proxy, "client2", "/"), "200");
}

#[test]
fn an_openssl_ca_crl_revokes_and_an_expired_one_denies_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    issue(
        dir,
        "ca",
        "client2",
        "client two",
        "client",
        &date(-1),
        &date(2),
    );
    openssl_revoke(dir, "ca", "client2", "keyCompromise");
    openssl_gencrl(dir, "ca", "crl.pem", &date(-1), &date(1));
    let up = echo_upstream(dir, None);
    // The CRL is picked up by polling, no signal needed.
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        "crl = [\"crl.pem\"]",
        "\n[process]\nreload_poll = \"200ms\"",
    );
    assert_eq!(status(dir, &proxy, "client", "/"), "200");
    assert_eq!(status(dir, &proxy, "client2", "/"), "000");
    let line = failure(&proxy, "revoked", 1);
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("CN=client two serial"),
        "{line}"
    );
    assert!(
        line["reason"].as_str().unwrap().contains("(keyCompromise)"),
        "{line}"
    );

    // A CRL whose nextUpdate has passed: every client it covers is refused.
    openssl_gencrl(dir, "ca", "crl.pem", &date(-3), &date_in_secs(-3600));
    proxy.wait_generation(2);
    let warned = proxy.wait_log("error.log", "message", "expired");
    assert_eq!(warned["level"], "WARN", "{warned}");
    assert_eq!(status(dir, &proxy, "client", "/"), "000");
    let line = failure(&proxy, "crl_expired", 1);
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("crl_expired = \"deny\""),
        "{line}"
    );

    // crl_expired = "allow": the expired CRL still revokes, but does not lock everyone out.
    let port = proxy.daemon.port;
    let text = config(
        port,
        &format!("http://127.0.0.1:{}", up.port),
        "crl = [\"crl.pem\"]\ncrl_expired = \"allow\"",
        "",
    ) + "\n[process]\nreload_poll = \"200ms\"\n";
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    proxy.wait_generation(3);
    assert_eq!(status(dir, &proxy, "client", "/"), "200");
    assert_eq!(status(dir, &proxy, "client2", "/"), "000");
    failure(&proxy, "revoked", 2);
}

#[test]
fn nginx_and_openssl_accept_the_crl_mtlskit_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki_with_two_clients(dir);
    ok(&mtlskit(
        dir,
        &["pki", "revoke", "--ca-dir", ".", "client.pem"],
        None,
    ));
    ok(&mtlskit(
        dir,
        &[
            "pki", "crl", "--ca-dir", ".", "--days", "2", "--out", "crl.pem",
        ],
        None,
    ));
    let text = openssl(dir, &["crl", "-in", "crl.pem", "-noout", "-text"]);
    assert!(
        text.contains("X509v3 CRL Number") && text.contains("X509v3 Authority Key Identifier"),
        "{text}"
    );

    let verify = |pem: &str| {
        openssl_try(
            dir,
            &[
                "verify",
                "-crl_check",
                "-CRLfile",
                "crl.pem",
                "-CAfile",
                "ca.pem",
                pem,
            ],
        )
    };
    let (good, out) = verify("client2.pem");
    assert!(good, "{out}");
    let (revoked, out) = verify("client.pem");
    assert!(!revoked && out.contains("certificate revoked"), "{out}");

    let nginx = nginx_upstream_with(dir, false, &format!("ssl_crl {}/crl.pem;", dir.display()));
    let url = format!("https://localhost:{}/", nginx.port);
    let get = |client: &str| curl_as(dir, Some(client), &[], &url);
    let allowed = get("client2");
    assert!(
        allowed.stdout.starts_with("CN=client two"),
        "{}{}",
        allowed.stdout,
        allowed.stderr
    );
    let refused = get("client");
    assert!(
        refused.stdout.contains("400 The SSL certificate error"),
        "{}",
        refused.stdout
    );
}

#[test]
fn crl_check_leaf_and_crl_unknown_allow_decide_what_an_absent_crl_means() {
    // A client of an intermediate CA; only the intermediate's CRL is given, none of the root.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    issue(
        dir,
        "ca",
        "inter",
        "Inter CA",
        "intermediate",
        &date(-1),
        &date(5),
    );
    issue(
        dir,
        "inter",
        "leafc",
        "leaf client",
        "client",
        &date(-1),
        &date(2),
    );
    let chain = std::fs::read_to_string(dir.join("leafc.pem")).unwrap()
        + &std::fs::read_to_string(dir.join("inter.pem")).unwrap();
    std::fs::write(dir.join("chained.pem"), chain).unwrap();
    std::fs::copy(dir.join("leafc.key"), dir.join("chained.key")).unwrap();
    openssl_gencrl(dir, "inter", "inter-crl.pem", &date(-1), &date(1));
    let up = echo_upstream(dir, None);
    let base = "verify_depth = 2\ncrl = [\"inter-crl.pem\"]";
    // (extra settings, accepted, the refusal's code)
    for (extra, accepted) in [
        ("", false),
        ("crl_check = \"leaf\"", true),
        ("crl_unknown = \"allow\"", true),
    ] {
        let proxy = start_proxy(
            dir,
            &format!("http://127.0.0.1:{}", up.port),
            &format!("{base}\n{extra}"),
            "",
        );
        let got = status(dir, &proxy, "chained", "/");
        assert_eq!(got == "200", accepted, "{extra:?}: {got}");
        if !accepted {
            let line = failure(&proxy, "crl_missing_for_issuer", 1);
            let reason = line["reason"].as_str().unwrap();
            // The missing CRL is the root's, for the intermediate.
            assert!(
                reason
                    .contains("its issuer CN=Inter CA: no CRL among server.crl is from CN=Test CA")
                    && reason.contains("crl_unknown"),
                "{line}"
            );
        }
    }
}
