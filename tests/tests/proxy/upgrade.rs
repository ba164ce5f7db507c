//! Upgrade (WebSocket) passed through: a WebSocket handshake from a Python ssl client gets the
//! upstream's 101 with its `Sec-WebSocket-Accept`, the upstream sees the verified identity
//! (not the spoofed one), and bytes then flow both ways unchanged (a line, then 4 MiB echoed)
//! until the client closes. The upstream is a raw-socket Python server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::{start_proxy, websocket_client, websocket_upstream};

const CLIENT: &str = r#"
status, headers = upgrade(b"X-SSL-Client-S-DN: CN=admin\r\n")
out = {"status": status, "accept": headers.get("sec-websocket-accept"),
       "upgrade": headers.get("upgrade"), "connection": headers.get("connection")}
out["hello"] = read_until(b"\n").decode()
s.sendall(b"ping\n")
out["echo"] = read_until(b"\n").decode()
blob = os.urandom(4 << 20)
s.sendall(blob)
out["blob_echoed"] = read_n(len(blob)) == blob
s.close()
print(json.dumps(out))
"#;

#[test]
fn websocket_upgrade_is_passed_through_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    websocket_client(dir, "wsclient.py", CLIENT);
    let up = websocket_upstream(dir);
    let port = up.port;
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{port}"), "", "");

    let out = Command::new("python3")
        .current_dir(dir)
        .args(["wsclient.py", &proxy.daemon.port.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "HTTP/1.1 101 Switching Protocols", "{v}");
    // RFC 6455's example key and answer.
    assert_eq!(v["accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "{v}");
    assert_eq!(v["upgrade"], "websocket");
    assert!(v["connection"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case("upgrade"));
    assert_eq!(
        v["hello"], "hello CN=client\n",
        "the verified DN, not the spoofed one"
    );
    assert_eq!(v["echo"], "ping\n");
    assert_eq!(v["blob_echoed"], true);
    let line = proxy.wait_log("access.log", "path", "/ws");
    assert_eq!(line["status"], 101);

    // A plain request to the same upstream is not upgraded.
    let run = curl_as(
        dir,
        Some("client"),
        &["-w", "\n%{http_code}"],
        &proxy.url("/plain"),
    );
    assert!(
        run.stdout.ends_with("no upgrade asked\n400"),
        "{}",
        run.stdout
    );
}

/// Issue 11: only the upgrades in `upgrades` (WebSocket by default) are passed; h2c's
/// (`Upgrade: h2c` with `HTTP2-Settings`) and any other go upstream as ordinary requests
/// without their Upgrade, Connection and HTTP2-Settings, and get an ordinary answer.
#[test]
fn h2c_and_unlisted_upgrades_never_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = mtlskit_tests::proxy::echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    for (upgrade, connection) in [
        ("h2c", "Upgrade, HTTP2-Settings"),
        ("foo/1", "upgrade"),
        ("websocket, h2c", "upgrade"),
    ] {
        let run = curl_as(
            dir,
            Some("client"),
            &[
                "--http1.1",
                "-H",
                &format!("Upgrade: {upgrade}"),
                "-H",
                &format!("Connection: {connection}"),
                "-H",
                "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                "-w",
                "\n%{http_code}",
            ],
            &proxy.url("/up"),
        );
        let (body, code) = run.stdout.rsplit_once('\n').unwrap();
        assert_eq!(code, "200", "{upgrade}: {}", run.stderr);
        let seen: serde_json::Value = serde_json::from_str(body).unwrap();
        let h = seen["headers"].as_object().unwrap();
        for name in ["upgrade", "http2-settings"] {
            assert!(
                h.get(name).is_none(),
                "{upgrade}: {name} reached the upstream: {h:?}"
            );
        }
    }
}
