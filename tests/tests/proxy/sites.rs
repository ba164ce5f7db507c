//! Several sites on one listener (docs/config.md, "Several sites"): `[[server]]` blocks chosen
//! by SNI, each with its own certificate, client CA bundle and locations; a client of one
//! site's CA is refused by the other; a Host that names another site gets 421; a client
//! without SNI gets the first block; names two blocks share, or a second block without names,
//! are refused; `import-nginx` converts two server blocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::peer::{curl_as, status};
use mtlskit_tests::pki::{leaf, make_ca};
use mtlskit_tests::proxy::{echo_upstream, Proxy};
use mtlskit_tests::{make_pki, mtlskit, openssl};

/// Site B's files: its CA (`cab`), its server certificate for `b.test` from that CA, and a
/// client of that CA (`clientb`).
fn site_b(dir: &Path) {
    make_ca(dir, "cab", "Site B CA");
    std::fs::write(
        dir.join("b.cnf"),
        "[server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:b.test\n\
         [client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    leaf(
        dir,
        "serverb",
        "/CN=b.test",
        "cab",
        "2",
        Some(("b.cnf", Some("server"))),
        None,
    );
    leaf(
        dir,
        "clientb",
        "/CN=client b",
        "cab",
        "2",
        Some(("b.cnf", Some("client"))),
        None,
    );
}

fn two_sites(port: u16, up_a: u16, up_b: u16, names_b: &str) -> String {
    format!(
        "[[server]]\nlisten = [\"127.0.0.1:{port}\"]\nserver_names = [\"localhost\"]\n\
         certificate = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\
         [[server.location]]\npath = \"/\"\nupstream = \"http://127.0.0.1:{up_a}\"\n\n\
         [[server]]\nlisten = [\"127.0.0.1:{port}\"]\nserver_names = {names_b}\n\
         certificate = \"serverb.pem\"\nkey = \"serverb.key\"\nclient_ca = \"cab.pem\"\n\
         [[server.location]]\npath = \"/\"\nupstream = \"http://127.0.0.1:{up_b}\"\n\
         identity_headers = [\"rfc9440\"]\n\n[log]\nlevel = \"info\"\n"
    )
}

#[test]
fn two_sites_on_one_port_each_with_its_certificate_ca_and_locations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    site_b(dir);
    let (up_a, up_b) = (echo_upstream(dir, None), echo_upstream(dir, None));
    let port = mtlskit_tests::process::free_port();
    std::fs::write(
        dir.join("proxy.toml"),
        two_sites(port, up_a.port, up_b.port, "[\"b.test\"]"),
    )
    .unwrap();
    let check = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let proxy = Proxy::start(dir, port);
    let resolve = format!("b.test:{port}:127.0.0.1");
    let b_url = format!("https://b.test:{port}/b");

    // Site A, by SNI localhost: its certificate, its CA's client, nginx's headers.
    let run = curl_as(dir, Some("client"), &[], &proxy.url("/a"));
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stdout);
    assert_eq!(v["headers"]["x-ssl-client-s-dn"], "CN=client", "{v}");
    // Site B, by SNI b.test: its own certificate (verified with its CA) and its own headers.
    let run = curl_as(
        dir,
        Some("clientb"),
        &["--cacert", "cab.pem", "--resolve", &resolve],
        &b_url,
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stdout);
    assert!(v["headers"]["client-cert"].is_string(), "{v}");
    assert!(v["headers"].get("x-ssl-client-s-dn").is_none(), "{v}");

    // Each site's CA only: A's client is refused by B, B's by A.
    let code = |who: &str, extra: &[&str], url: &str| status(dir, Some(who), extra, url);
    assert_eq!(
        code(
            "client",
            &["--cacert", "cab.pem", "--resolve", &resolve],
            &b_url
        ),
        "000"
    );
    assert_eq!(code("clientb", &[], &proxy.url("/a")), "000");
    let refused = proxy.wait_log("error.log", "code", "untrusted_issuer");
    assert!(
        refused["reason"].as_str().unwrap().contains("CN=client"),
        "{refused}"
    );

    // A Host that names the other site: 421, as nginx.
    assert_eq!(
        code("client", &["-H", "Host: b.test"], &proxy.url("/a")),
        "421"
    );
    // No SNI (an IP address): the first site.
    let ip = format!("https://127.0.0.1:{port}/ip");
    assert_eq!(code("client", &["-H", "Host: localhost"], &ip), "200");
    let out = openssl(
        dir,
        &[
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-noservername",
            "-cert",
            "client.pem",
            "-key",
            "client.key",
        ],
    );
    assert!(
        out.contains("CN = server") || out.contains("CN=server"),
        "{out}"
    );
}

#[test]
fn sites_on_one_address_need_names_of_their_own() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    site_b(dir);
    for (names, problem) in [
        (
            "[\"LOCALHOST\"]",
            "server name \"LOCALHOST\" is in two server blocks",
        ),
        ("[]", "has no server_names"),
    ] {
        std::fs::write(dir.join("proxy.toml"), two_sites(8443, 9, 9, names)).unwrap();
        let run = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
        assert_eq!(run.code, 1, "{names}");
        assert!(run.stderr.contains(problem), "{names}: {}", run.stderr);
    }
    let mixed = two_sites(8443, 9, 9, "[\"b.test\"]")
        + "\n[[location]]\nupstream = \"http://127.0.0.1:9\"\n";
    std::fs::write(dir.join("proxy.toml"), mixed).unwrap();
    let run = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert!(
        run.stderr
            .contains("both [[location]] and [[server.location]]"),
        "{}",
        run.stderr
    );
}

#[test]
fn import_nginx_converts_two_server_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    site_b(dir);
    std::fs::write(
        dir.join("sites.conf"),
        "http {\n server {\n  listen 127.0.0.1:8443 ssl; server_name localhost;\n\
         ssl_certificate server.pem; ssl_certificate_key server.key;\n\
         ssl_client_certificate ca.pem; ssl_verify_client on;\n\
         location / { proxy_pass http://127.0.0.1:9; }\n }\n\
         server {\n  listen 127.0.0.1:8443 ssl; server_name b.test;\n\
         ssl_certificate serverb.pem; ssl_certificate_key serverb.key;\n\
         ssl_client_certificate cab.pem; ssl_verify_client on;\n\
         location /api { proxy_pass http://127.0.0.1:10; }\n }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "sites.conf"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("[[server]]").count(),
        2,
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("[[server.location]]").count(),
        2,
        "{}",
        run.stdout
    );
    std::fs::write(dir.join("proxy.toml"), &run.stdout).unwrap();
    let check = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}
