//! Slow and greedy clients: a slowloris client (one header byte a second) is cut off at
//! `header_timeout`, a TLS connection that never sends a request, or no next one, too, a client that never
//! finishes the handshake is dropped at `handshake_timeout` and logged, a request head over
//! `max_header_size` gets 431 (HTTP/1.1 and h2), and a connection over `max_connections` waits
//! until one closes. Clients are Python's ssl module and curl.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::{echo_proxy, PY_H2_CLIENT};

/// The client side of each case; prints one JSON object.
const CLIENT: &str = r#"
import json, socket, ssl, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])

def tls():
    ctx = ssl.create_default_context(cafile="ca.pem")
    ctx.load_cert_chain("client.pem", "client.key")
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    return ctx.wrap_socket(raw, server_hostname="localhost")

def until_closed(s, start, drip=None):
    """Seconds from start until the peer closes; drips a byte a second meanwhile."""
    got = b""
    s.settimeout(1.0)
    while time.monotonic() - start < 20:
        try:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        except socket.timeout:
            if drip is not None:
                try:
                    s.sendall(drip)
                except OSError:
                    break
        except (OSError, ssl.SSLError):
            break
    return time.monotonic() - start, got.decode("latin-1")

out = {}
if mode == "slowloris":
    s = tls()
    start = time.monotonic()
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    out["closed_after"], out["got"] = until_closed(s, start, drip=b"a")
elif mode == "idle":
    s = tls()
    out["closed_after"], out["got"] = until_closed(s, time.monotonic())
elif mode == "keepalive-idle":
    s = tls()
    s.sendall(b"GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n")
    s.settimeout(10)
    first = s.recv(4096).decode("latin-1")
    assert first.startswith("HTTP/1.1 200 OK"), first
    out["closed_after"], out["got"] = until_closed(s, time.monotonic())
elif mode == "no-handshake":
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    out["local"] = "%s:%d" % s.getsockname()
    start = time.monotonic()
    # The start of a ClientHello record, then nothing.
    s.sendall(bytes([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3]))
    out["closed_after"], out["got"] = until_closed(s, start)
elif mode == "limit":
    a = tls()
    a.sendall(b"GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n")
    a.settimeout(10)
    out["a"] = a.recv(4096).decode("latin-1").split("\r\n")[0]
    result = {}
    def b():
        t = time.monotonic()
        s = tls()
        s.sendall(b"GET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        result["status"] = s.recv(4096).decode("latin-1").split("\r\n")[0]
        result["done"] = time.monotonic()
    th = threading.Thread(target=b)
    th.start()
    th.join(2.0)
    out["b_done_while_a_open"] = not th.is_alive()
    closed = time.monotonic()
    a.close()
    th.join(15)
    out["b"] = result.get("status")
    out["b_after_close"] = result["done"] - closed if "done" in result else None
print(json.dumps(out))
"#;

fn client(dir: &Path, mode: &str, port: u16) -> serde_json::Value {
    std::fs::write(dir.join("limits.py"), CLIENT).unwrap();
    let out = Command::new("python3")
        .current_dir(dir)
        .args(["limits.py", mode, &port.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn slowloris_and_idle_connections_are_cut_at_header_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "header_timeout = \"2s\"");
    let port = proxy.daemon.port;
    for mode in ["slowloris", "idle", "keepalive-idle"] {
        let v = client(dir, mode, port);
        let after = v["closed_after"].as_f64().unwrap();
        assert!(
            (1.5..4.5).contains(&after),
            "{mode}: closed after {after}s: {v}"
        );
        assert!(!v["got"].as_str().unwrap().contains("200 OK"), "{v}");
    }
    // Only the keep-alive client's one request got through.
    let lines = proxy.lines("access.log");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["path"], "/first");
}

#[test]
fn unfinished_handshake_is_dropped_at_handshake_timeout_and_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "handshake_timeout = \"1s\"");
    let v = client(dir, "no-handshake", proxy.daemon.port);
    let after = v["closed_after"].as_f64().unwrap();
    assert!((0.8..3.0).contains(&after), "closed after {after}s: {v}");
    let line = proxy.wait_log("error.log", "code", "handshake_timeout");
    assert_eq!(line["client"], v["local"], "{line}");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("did not complete the handshake within 1s"),
        "{line}"
    );
    assert_eq!(line["level"], "WARN");
}

#[test]
fn request_head_over_max_header_size_gets_431() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "max_header_size = 16384");
    let big = format!("X-Big: {}", "a".repeat(20_000));
    let small = format!("X-Big: {}", "a".repeat(8_000));
    for flag in ["--http1.1", "--http2"] {
        let run = curl_as(
            dir,
            Some("client"),
            &[flag, "-H", &big, "-o", "/dev/null", "-w", "%{http_code}"],
            &proxy.url("/big"),
        );
        assert_eq!(run.stdout, "431", "{flag}: {}", run.stderr);
        let run = curl_as(
            dir,
            Some("client"),
            &[flag, "-H", &small, "-o", "/dev/null", "-w", "%{http_code}"],
            &proxy.url("/small"),
        );
        assert_eq!(run.stdout, "200", "{flag}: {}", run.stderr);
    }
}

#[test]
fn connection_over_max_connections_waits_for_a_free_slot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "max_connections = 1");
    let v = client(dir, "limit", proxy.daemon.port);
    assert_eq!(v["a"], "HTTP/1.1 200 OK", "{v}");
    assert_eq!(v["b_done_while_a_open"], false, "{v}");
    assert_eq!(v["b"], "HTTP/1.1 200 OK", "{v}");
    assert!(v["b_after_close"].as_f64().unwrap() < 3.0, "{v}");
}

/// Issue 11: one address may have `max_handshakes_per_address` handshakes in progress; the
/// next connection from it is closed at once (and logged), while the others wait for their
/// handshake_timeout. Raw sockets from Python send the start of a ClientHello and stop.
#[test]
fn handshakes_per_address_are_capped() {
    const STALLED: &str = r#"
import json, socket, sys, time
port = int(sys.argv[1])
def stalled():
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(bytes([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3]))
    return s
def closed_within(s, limit):
    s.settimeout(limit)
    start = time.monotonic()
    try:
        data = s.recv(100)
        return data == b"" and time.monotonic() - start < limit
    except socket.timeout:
        return False
    except OSError:
        return True
held = [stalled() for _ in range(3)]
extra = stalled()
out = {"extra_closed": closed_within(extra, 5.0), "held_closed": closed_within(held[0], 1.0)}
print(json.dumps(out))
"#;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(
        dir,
        "handshake_timeout = \"10s\"\nmax_handshakes_per_address = 3",
    );
    let v = mtlskit_tests::proxy::python_json(
        dir,
        "stalled.py",
        STALLED,
        &[&proxy.daemon.port.to_string()],
    );
    assert_eq!(v["extra_closed"], true, "{v}");
    assert_eq!(v["held_closed"], false, "{v}");
    let line = proxy.wait_log("error.log", "code", "too_many_handshakes");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("already has 3 handshakes in progress"),
        "{line}"
    );
}

/// An h2 client that opens more streams than the server allows, before the server's SETTINGS
/// can stop it (h2 libraries hold back once they know the limit; an attacker does not wait).
/// Prints the limit the server advertised and how many streams it refused.
/// After [`PY_H2_CLIENT`].
const STREAMS: &str = r#"
import json, sys, time
import h2.events, h2.settings
port, opened = int(sys.argv[1]), int(sys.argv[2])
s, c = h2_client(port)
for i in range(opened):
    # A request whose body never comes keeps its stream open at the upstream.
    c.send_headers(1 + 2 * i, [(":method", "POST"), (":path", "/"), (":scheme", "https"),
                               (":authority", "localhost")], end_stream=False)
s.sendall(c.data_to_send())
advertised, refused = None, 0
deadline = time.monotonic() + 10
while time.monotonic() < deadline and (advertised is None or refused < opened - advertised):
    data = s.recv(65536)
    if not data:
        break
    for ev in c.receive_data(data):
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            ch = ev.changed_settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
            if ch is not None:
                advertised = ch.new_value
        elif isinstance(ev, h2.events.StreamReset) and ev.error_code == 7:
            refused += 1
    s.sendall(c.data_to_send())
print(json.dumps({"advertised": advertised, "refused": refused}))
"#;

#[test]
fn h2_streams_over_the_limit_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "h2_max_concurrent_streams = 3");
    let port = proxy.daemon.port.to_string();
    let script = format!("{PY_H2_CLIENT}{STREAMS}");
    let v = mtlskit_tests::proxy::python_json(dir, "streams.py", &script, &[&port, "8"]);
    assert_eq!(v["advertised"], 3, "{v}");
    assert_eq!(
        v["refused"], 5,
        "REFUSED_STREAM for each stream over the limit: {v}"
    );
}
