//! Upgrade (WebSocket) passed through: a WebSocket handshake from a Python ssl client gets the
//! upstream's 101 with its `Sec-WebSocket-Accept`, the upstream sees the verified identity
//! (not the spoofed one), and bytes then flow both ways unchanged (a line, then 4 MiB echoed)
//! until the client closes. The upstream is a raw-socket Python server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::process::{free_port, wait_port, Daemon};
use mtlskit_tests::proxy::start_proxy;

/// Answers a WebSocket handshake with 101, says hello with the client DN it was given, then
/// echoes every byte; anything else gets 400.
const UPSTREAM: &str = r#"
import base64, hashlib, socket, sys, threading
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
def serve(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    h = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    if h.get("upgrade", "").lower() != "websocket" or "upgrade" not in h.get("connection", "").lower():
        body = b"no upgrade asked"
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        c.close()
        return
    accept = base64.b64encode(hashlib.sha1((h["sec-websocket-key"] + GUID).encode()).digest()).decode()
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    c.sendall(("hello %s\n" % h.get("x-ssl-client-s-dn", "?")).encode())
    if rest:
        c.sendall(rest)
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        c.sendall(chunk)
    c.close()
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"#;

const CLIENT: &str = r#"
import json, os, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("client.pem", "client.key")
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost")
s.sendall(b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          b"X-SSL-Client-S-DN: CN=admin\r\n\r\n")
buf = b""
def read_until(marker):
    global buf
    while marker not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("closed early: %r" % buf)
        buf += chunk
    i = buf.index(marker) + len(marker)
    out, buf = buf[:i], buf[i:]
    return out
def read_n(n):
    global buf
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("closed early after %d bytes" % len(buf))
        buf += chunk
    out, buf = buf[:n], buf[n:]
    return out
head = read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in head[1:] if l)}
out = {"status": head[0], "accept": headers.get("sec-websocket-accept"),
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
    std::fs::write(dir.join("ws.py"), UPSTREAM).unwrap();
    std::fs::write(dir.join("wsclient.py"), CLIENT).unwrap();
    let port = free_port();
    let mut child = Command::new("python3")
        .current_dir(dir)
        .args(["ws.py", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(port, &mut child, "websocket upstream");
    let _up = Daemon::new(child, port);
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
