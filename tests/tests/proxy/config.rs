//! `mtlskit import-nginx` on the classic nginx block verbatim, then `mtlskit check` on its output
//! with real files, and `check` finding the problems it promises; unknown config keys named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::pki::{date, issue, make_ca};
use mtlskit_tests::{make_pki, mtlskit};

/// The nginx block of docs/architecture.md, verbatim (`nginx_block_matches_the_docs` holds
/// the two together).
const DESIGN_BLOCK: &str = r#"server {
  listen 8000 ssl; listen [::]:8000 ssl;
  ssl_certificate cert/server.cert; ssl_certificate_key cert/server.key;
  ssl_client_certificate cert/ca.cert; ssl_verify_client on;
  ssl_session_cache shared:SSL:1m; ssl_session_timeout 5m;
  ssl_protocols TLSv1.2;
  ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256;
  ssl_prefer_server_ciphers on;
  error_log /var/log/nginx/error.log error;
  location / {
    proxy_ssl_certificate cert/client.cert; proxy_ssl_certificate_key cert/client.key;
    proxy_ssl_trusted_certificate cert/ca.cert; proxy_ssl_verify on;
    proxy_ssl_session_reuse on;
    proxy_pass https://127.0.0.1:8080;
  }
}
"#;

/// The block tested here is the one docs/architecture.md shows users.
#[test]
fn nginx_block_matches_the_docs() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"),
    )
    .unwrap();
    assert!(
        doc.contains(DESIGN_BLOCK),
        "docs/architecture.md no longer shows the nginx block this test converts"
    );
}

/// The nginx block's file names in cert/, made from the test PKI.
fn design_files(dir: &Path) {
    make_pki(dir);
    std::fs::create_dir_all(dir.join("cert")).unwrap();
    for (from, to) in [
        ("ca.pem", "ca.cert"),
        ("server.pem", "server.cert"),
        ("server.key", "server.key"),
        ("client.pem", "client.cert"),
        ("client.key", "client.key"),
    ] {
        std::fs::copy(dir.join(from), dir.join("cert").join(to)).unwrap();
    }
}

#[test]
fn design_block_imports_and_the_result_checks_ok() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    design_files(dir);
    std::fs::write(dir.join("site.conf"), DESIGN_BLOCK).unwrap();
    let run = mtlskit(dir, &["import-nginx", "site.conf"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "only ssl_ciphers warns: {}", run.stderr);
    for cbc in [
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",
    ] {
        assert!(warnings[0].contains(cbc), "{}", warnings[0]);
    }
    assert!(warnings[0].contains("ssl_ciphers") && warnings[0].contains("not offered by rustls"));
    let toml = &run.stdout;
    for line in [
        "listen = [\"0.0.0.0:8000\", \"[::]:8000\"]",
        "certificate = \"cert/server.cert\"",
        "client_ca = \"cert/ca.cert\"",
        "verify_client = \"required\"",
        "session_timeout = \"5m\"",
        "protocols = [\"TLSv1.2\"]",
        "prefer_server_ciphers = true",
        "client_certificate = \"cert/client.cert\"",
        "trusted_ca = \"cert/ca.cert\"",
        "upstream = \"https://127.0.0.1:8080\"",
        "session_reuse = true",
    ] {
        assert!(toml.contains(line), "missing {line:?} in:\n{toml}");
    }
    assert!(toml.contains("\"ECDHE-RSA-AES128-GCM-SHA256\"]"), "{toml}");
    assert!(!toml.contains("AES128-SHA256"), "{toml}");

    // The log goes to a place this test can write.
    let toml = toml.replace("/var/log/nginx/error.log", "error.log");
    std::fs::write(dir.join("proxy.toml"), toml).unwrap();
    let check = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("configuration is OK"),
        "{}",
        check.stdout
    );
}

#[test]
fn obsolete_and_unknown_directives_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("site.conf"),
        "http {\n server {\n  listen 443 ssl;\n  ssl on;\n  gzip on;\n  ssl_protocols TLSv1 TLSv1.2;\n\
         ssl_verify_client optional_no_ca;\n  location / { proxy_pass http://127.0.0.1:9; proxy_buffering off; }\n }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "site.conf"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let e = &run.stderr;
    assert!(e.contains("line 4: ssl: obsolete"), "{e}");
    assert!(e.contains("line 5: gzip: no counterpart"), "{e}");
    assert!(e.contains("TLSv1 is not offered by rustls"), "{e}");
    assert!(e.contains("optional_no_ca"), "{e}");
    assert!(e.contains("proxy_buffering: no counterpart"), "{e}");
    assert!(
        run.stdout.contains("listen = [\"0.0.0.0:443\"]"),
        "{}",
        run.stdout
    );

    std::fs::write(dir.join("bad.conf"), "server { listen 1 \n").unwrap();
    let run = mtlskit(dir, &["import-nginx", "bad.conf"], None);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn check_reports_each_problem_on_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_ca(dir, "otherca", "Other CA");
    issue(dir, "ca", "old", "old", "server", &date(-30), &date(-2));
    std::fs::write(
        dir.join("proxy.toml"),
        "[server]\nlisten = [\"127.0.0.1:1\"]\ncertificate = \"old.pem\"\nkey = \"server.key\"\n\
         client_ca = \"client.pem\"\nserver_names = [\"api.example\"]\n\
         ciphers = [\"ECDHE-RSA-AES128-SHA256\", \"ECDHE-RSA-AES128-GCM-SHA256\"]\n\
         [[location]]\nupstream = \"https://127.0.0.1:2\"\nclient_certificate = \"server.pem\"\n\
         client_key = \"server.key\"\ntrusted_ca = \"missing.pem\"\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let e = &run.stderr;
    for want in [
        "old.pem: CN=old expired 2 days ago",
        "server.key: does not match the certificate in",
        "old.pem: does not cover the server name \"api.example\"",
        "client.pem: CN=client is not a CA",
        "server.pem: CN=server is not a client certificate",
        "missing.pem: no such file",
        "warning: proxy.toml: server.ciphers: not offered by rustls, left out: ECDHE-RSA-AES128-SHA256",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
    assert!(e.lines().all(|l| l.starts_with("mtlskit: ")), "{e}");

    std::fs::write(
        dir.join("typo.toml"),
        "[server]\nlisten = [\"127.0.0.1:1\"]\ncertificate = \"server.pem\"\nkey = \"server.key\"\n\
         client_ca = \"ca.pem\"\nverify_clinet = \"optional\"\n[[location]]\nupstream = \"http://127.0.0.1:2\"\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["check", "--config", "typo.toml"], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("verify_clinet"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

/// Issue 11, "config that cannot hurt": absurd values are refused with a line naming the key
/// (they used to panic at start or on every connection), serve refuses what check calls an
/// error, and check warns about a readable key and identity headers in clear.
#[test]
fn config_that_cannot_hurt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let base = "[server]\nlisten = [\"127.0.0.1:1\"]\ncertificate = \"server.pem\"\nkey = \"server.key\"\n\
                client_ca = \"ca.pem\"\n";
    let location = "[[location]]\nupstream = \"http://127.0.0.1:2\"\n";
    for (line, key) in [
        (
            "max_connections = 100000000000",
            "server.max_connections must be from 1 to",
        ),
        ("header_timeout = 99999999999", "server.header_timeout = "),
        (
            "handshake_timeout = \"0s\"",
            "server.handshake_timeout = 0s cannot work",
        ),
    ] {
        std::fs::write(dir.join("bad.toml"), format!("{base}{line}\n{location}")).unwrap();
        for command in ["serve", "check"] {
            let run = mtlskit(dir, &[command, "--config", "bad.toml"], None);
            assert_eq!(run.code, 1, "{command} {line}: {}", run.stderr);
            assert!(run.stderr.contains(key), "{command} {line}: {}", run.stderr);
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        }
    }
    // An error of check's (a server name the certificate does not cover): serve will not
    // start on it.
    std::fs::write(
        dir.join("names.toml"),
        format!("{base}server_names = [\"api.example\"]\n{location}"),
    )
    .unwrap();
    let run = mtlskit(dir, &["serve", "--config", "names.toml"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("does not cover the server name \"api.example\"")
            && run.stderr.contains("not serving"),
        "{}",
        run.stderr
    );
    // Warnings: a private key others can read, a plain-http upstream on another host.
    std::fs::set_permissions(
        dir.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    std::fs::write(
        dir.join("warn.toml"),
        format!("{base}[[location]]\nupstream = \"http://192.0.2.1:80\"\n"),
    )
    .unwrap();
    let run = mtlskit(dir, &["check", "--config", "warn.toml"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("server.key: is readable by group or others (mode 644)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("is plain http://: the client's identity headers"),
        "{}",
        run.stderr
    );
}

/// The nginx directives behind issue 11's limits are imported to their keys.
#[test]
fn hardening_directives_are_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("site.conf"),
        "server {\n listen 443 ssl;\n keepalive_timeout 30s 30s;\n keepalive_time 30m;\n send_timeout 20s;\n\
         http2_max_concurrent_streams 64;\n underscores_in_headers on;\n\
         location / { proxy_pass http://127.0.0.1:9; }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "site.conf"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "idle_timeout = \"30s\"",
        "max_connection_age = \"30m\"",
        "client_send_timeout = \"20s\"",
        "h2_max_concurrent_streams = 64",
        "underscores_in_headers = true",
    ] {
        assert!(run.stdout.contains(line), "{line} not in:\n{}", run.stdout);
    }
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// nginx's main context: workers, pid file and the drain's timeout go to `[process]`, and the
/// result checks (a config a user imports whole, not just its server block).
#[test]
fn main_context_directives_are_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    std::fs::write(
        dir.join("nginx.conf"),
        "worker_processes 3;\npid run/nginx.pid;\nworker_shutdown_timeout 20s;\n\
         events { worker_connections 1024; }\nhttp {\nserver {\n listen 127.0.0.1:8443 ssl;\n\
         ssl_certificate server.pem; ssl_certificate_key server.key;\n\
         ssl_client_certificate ca.pem; ssl_verify_client on;\n\
         location / { proxy_pass http://127.0.0.1:9; }\n}\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "nginx.conf"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "[process]",
        "workers = 3",
        "pid_file = \"run/nginx.pid\"",
        "drain_timeout = \"20s\"",
    ] {
        assert!(run.stdout.contains(line), "{line} not in:\n{}", run.stdout);
    }
    std::fs::write(dir.join("proxy.toml"), &run.stdout).unwrap();
    let check = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    // `auto` is the default and needs no key; a word that is not a number is named.
    std::fs::write(
        dir.join("nginx.conf"),
        "worker_processes auto;\nserver {\n listen 443 ssl;\n location / { proxy_pass http://127.0.0.1:9; }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "nginx.conf"], None);
    assert!(!run.stdout.contains("workers"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    std::fs::write(
        dir.join("nginx.conf"),
        "worker_processes many;\nserver {\n listen 443 ssl;\n location / { proxy_pass http://127.0.0.1:9; }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "nginx.conf"], None);
    assert!(
        run.stderr.contains("line 1: worker_processes"),
        "{}",
        run.stderr
    );
}

#[test]
fn import_maps_ssl_crl_and_check_reads_the_crls() {
    use mtlskit_tests::pki::{date_in_secs, openssl_gencrl};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    std::fs::write(
        dir.join("site.conf"),
        "server {\n listen 127.0.0.1:8443 ssl;\n ssl_certificate server.pem; ssl_certificate_key server.key;\n\
         ssl_client_certificate ca.pem; ssl_verify_client on; ssl_crl crl.pem;\n\
         location / { proxy_pass http://127.0.0.1:9; }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "site.conf"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "ssl_crl maps without a warning");
    assert!(run.stdout.contains("crl = [\"crl.pem\"]"), "{}", run.stdout);
    std::fs::write(dir.join("proxy.toml"), &run.stdout).unwrap();
    let check = || mtlskit(dir, &["check", "--config", "proxy.toml"], None);

    let run = check();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("crl.pem: no such file"),
        "{}",
        run.stderr
    );

    openssl_gencrl(dir, "ca", "crl.pem", &date(-1), &date(2));
    let run = check();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("crl.pem"),
        "a current CRL of the bundle's CA: {}",
        run.stderr
    );

    openssl_gencrl(dir, "ca", "crl.pem", &date(-3), &date_in_secs(-60));
    let run = check();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning")
            && run.stderr.contains("expired")
            && run.stderr.contains("crl_expired = \"deny\""),
        "{}",
        run.stderr
    );

    make_ca(dir, "otherca", "Other CA");
    openssl_gencrl(dir, "otherca", "crl.pem", &date(-1), &date(2));
    let run = check();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("from no CA of the client CA bundle"),
        "{}",
        run.stderr
    );

    // Same name as the bundle's CA, another key: every client it covers would be refused.
    make_ca(dir, "imposter", "Test CA");
    openssl_gencrl(dir, "imposter", "crl.pem", &date(-1), &date(2));
    let run = check();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("is not signed by the key of that CA"),
        "{}",
        run.stderr
    );
}
