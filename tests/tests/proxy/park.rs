//! Issue 14: an idle HTTP/1.1 connection is parked (its HTTP state dropped, nginx's keep-alive
//! handler does the same) and served again when the client sends its next request, and the
//! client cannot tell: requests after a park, a request whose first byte wakes the connection
//! and whose rest comes later, two requests pipelined in one write, and a WebSocket upgrade
//! after a park all get their answers, in order, on the same connection. The proxy logs each
//! park at debug level; the clients wait for those lines (polled with a bound).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::make_pki;
use mtlskit_tests::process::free_port;
use mtlskit_tests::proxy::{
    config, echo_upstream, python_json, websocket_client, websocket_upstream, Proxy,
};

/// The raw TLS client's helpers (`s`, `read_until`, `read_n`, `upgrade`) come from
/// `websocket_client`; this adds `parked(n)`, which waits (at most 15 s) until the proxy has
/// logged its n-th park, and `response()`, one HTTP/1.1 response's status line and body.
const PARKING: &str = r#"
import time
def parked(n):
    deadline = time.monotonic() + 15
    while True:
        with open("error.log") as f:
            seen = sum(1 for l in f if '"parked"' in l)
        if seen >= n:
            return
        if time.monotonic() > deadline:
            raise SystemExit("the proxy logged %d parks, not %d: %s" % (seen, n, open("error.log").read()[-3000:]))
        time.sleep(0.02)
def response():
    head = read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
    h = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in head[1:] if l)}
    return head[0], read_n(int(h.get("content-length", "0")))
def req(path):
    return b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
"#;

const ECHO_CLIENT: &str = r#"
out = {}
s.sendall(req(b"/one"))
status, body = response()
out["one"] = [status, json.loads(body)["path"]]
parked(1)
# The first byte wakes the parked connection; the rest comes in a second write.
r = req(b"/two")
s.sendall(r[:1])
time.sleep(0.2)
s.sendall(r[1:])
status, body = response()
out["two"] = [status, json.loads(body)["path"]]
parked(2)
# Two requests in one write: both answered, in order.
s.sendall(req(b"/three") + req(b"/four"))
out["pipelined"] = [json.loads(response()[1])["path"], json.loads(response()[1])["path"]]
parked(3)
s.sendall(req(b"/five"))
out["five"] = json.loads(response()[1])["path"]
print(json.dumps(out))
"#;

const WS_CLIENT: &str = r#"
out = {}
s.sendall(b"GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n")
status, body = response()
out["plain"] = [status, body.decode()]
parked(1)
status, headers = upgrade()
out["status"] = status
out["hello"] = read_until(b"\n").decode()
s.sendall(b"ping\n")
out["echo"] = read_until(b"\n").decode()
s.close()
print(json.dumps(out))
"#;

/// Starts the proxy in front of `upstream` with debug logs (its parks are logged) and one
/// worker.
fn debug_proxy(dir: &Path, upstream: u16) -> Proxy {
    let port = free_port();
    let toml = config(port, &format!("http://127.0.0.1:{upstream}"), "", "")
        .replace("level = \"info\"", "level = \"debug\"")
        // One worker: tokio's current-thread scheduler, as on a proxy pinned to one core.
        + "\n[process]\nworkers = 1\n";
    std::fs::write(dir.join("proxy.toml"), toml).unwrap();
    Proxy::start(dir, port)
}

/// Runs the raw TLS client with `PARKING` and `body` against `proxy`; its JSON.
fn run_client(dir: &Path, proxy: &Proxy, body: &str) -> serde_json::Value {
    websocket_client(dir, "client.py", &format!("{PARKING}{body}"));
    let script = std::fs::read_to_string(dir.join("client.py")).unwrap();
    python_json(dir, "client.py", &script, &[&proxy.daemon.port.to_string()])
}

#[test]
fn requests_after_a_park_are_served_on_the_same_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let proxy = debug_proxy(dir, up.port);
    let v = run_client(dir, &proxy, ECHO_CLIENT);
    assert_eq!(
        v["one"],
        serde_json::json!(["HTTP/1.1 200 OK", "/one"]),
        "{v}"
    );
    assert_eq!(
        v["two"],
        serde_json::json!(["HTTP/1.1 200 OK", "/two"]),
        "{v}"
    );
    assert_eq!(
        v["pipelined"],
        serde_json::json!(["/three", "/four"]),
        "{v}"
    );
    assert_eq!(v["five"], "/five", "{v}");
    // One connection served them all: five requests, one handshake.
    let lines = proxy.lines("access.log");
    let conns: std::collections::HashSet<_> = lines
        .iter()
        .filter(|l| l["path"].is_string())
        .map(|l| l["client"].to_string())
        .collect();
    assert_eq!(lines.iter().filter(|l| l["path"].is_string()).count(), 5);
    assert_eq!(conns.len(), 1, "{lines:?}");
}

#[test]
fn an_upgrade_after_a_park_reaches_the_tunnel() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = websocket_upstream(dir);
    let proxy = debug_proxy(dir, up.port);
    let v = run_client(dir, &proxy, WS_CLIENT);
    assert_eq!(
        v["plain"],
        serde_json::json!(["HTTP/1.1 400 Bad Request", "no upgrade asked"]),
        "{v}"
    );
    assert_eq!(v["status"], "HTTP/1.1 101 Switching Protocols", "{v}");
    assert_eq!(v["hello"], "hello CN=client\n", "{v}");
    assert_eq!(v["echo"], "ping\n", "{v}");
}
