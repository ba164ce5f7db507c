//! Issue 11, hole 2: every connection, h2 included, runs under timers. An h2 client (Python's
//! ssl with the `h2` package from PyPI driving the frames) that sends nothing, or only the
//! preface and SETTINGS, is closed at `header_timeout`; one idle after a request is closed at
//! `idle_timeout` with a GOAWAY (and an HTTP/1.1 keep-alive connection too); a busy connection
//! is closed at `max_connection_age`, and at its client certificate's notAfter when that
//! comes first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::pki::{date, date_in_secs, issue};
use mtlskit_tests::proxy::{echo_proxy, python_json};

const CLIENT: &str = r#"
import json, socket, ssl, sys, time
import h2.connection, h2.config, h2.events, h2.exceptions
mode, port = sys.argv[1], int(sys.argv[2])
cert = sys.argv[3] if len(sys.argv) > 3 else "client"

def tls(alpn):
    ctx = ssl.create_default_context(cafile="ca.pem")
    ctx.load_cert_chain(cert + ".pem", cert + ".key")
    ctx.set_alpn_protocols([alpn])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                        server_hostname="localhost")
    assert s.selected_alpn_protocol() == alpn, s.selected_alpn_protocol()
    return s

def h2c(s):
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    s.sendall(c.data_to_send())
    return c

def get(s, c, path):
    """The status of one GET, or "goaway"/"closed" when the connection ends first."""
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "https"),
                         (":authority", "localhost")], end_stream=True)
    s.sendall(c.data_to_send())
    status = None
    while True:
        data = s.recv(65536)
        if not data:
            return "closed"
        try:
            events = c.receive_data(data)
        except h2.exceptions.ProtocolError:
            return "goaway"
        for ev in events:
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers)[b":status"].decode()
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                s.sendall(c.data_to_send())
                return status
            elif isinstance(ev, h2.events.ConnectionTerminated):
                return "goaway"
        s.sendall(c.data_to_send())

def until_closed(s, c, start):
    """Seconds from start until the server closes, and whether it sent GOAWAY first."""
    goaway = False
    s.settimeout(0.5)
    while time.monotonic() - start < 20:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            break
        if not data:
            break
        if c is not None:
            try:
                events = c.receive_data(data)
            except h2.exceptions.ProtocolError:
                # Frames after the GOAWAY (hyper's closing PING) are refused by h2's state
                # machine; the connection is over for this client.
                events = []
            for ev in events:
                if isinstance(ev, h2.events.ConnectionTerminated):
                    goaway = True
            try:
                s.sendall(c.data_to_send())
            except OSError:
                break
    return time.monotonic() - start, goaway

out = {}
if mode == "h2-silent":
    s = tls("h2")
    out["closed_after"], _ = until_closed(s, None, time.monotonic())
elif mode == "h2-preface":
    s = tls("h2")
    c = h2c(s)
    out["closed_after"], out["goaway"] = until_closed(s, c, time.monotonic())
elif mode == "h2-idle":
    s = tls("h2")
    c = h2c(s)
    out["status"] = get(s, c, "/first")
    out["closed_after"], out["goaway"] = until_closed(s, c, time.monotonic())
elif mode == "h1-idle":
    s = tls("http/1.1")
    s.sendall(b"GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n")
    out["status"] = s.recv(4096).decode("latin-1").split("\r\n")[0]
    out["closed_after"], _ = until_closed(s, None, time.monotonic())
elif mode == "h2-busy":
    s = tls("h2")
    c = h2c(s)
    start = time.monotonic()
    statuses = []
    while time.monotonic() - start < 20:
        st = get(s, c, "/busy")
        statuses.append(st)
        if st != "200":
            break
        time.sleep(0.2)  # the client's pace between requests, not a synchronisation
    out["ended_after"] = time.monotonic() - start
    out["ok"] = statuses.count("200")
    out["last"] = statuses[-1]
elif mode == "h2-steady":
    # Requests every 0.2 s for 5 s, longer than idle_timeout, then nothing.
    s = tls("h2")
    c = h2c(s)
    start = time.monotonic()
    statuses = []
    while time.monotonic() - start < 5:
        statuses.append(get(s, c, "/steady"))
        time.sleep(0.2)  # the client's pace between requests, not a synchronisation
    out["ok"] = statuses.count("200")
    out["other"] = [st for st in statuses if st != "200"]
    out["closed_after"], out["goaway"] = until_closed(s, c, time.monotonic())
print(json.dumps(out))
"#;

fn client(dir: &Path, args: &[&str]) -> serde_json::Value {
    python_json(dir, "timers.py", CLIENT, args)
}

fn within(v: &serde_json::Value, field: &str, range: std::ops::Range<f64>) {
    let t = v[field].as_f64().unwrap();
    assert!(range.contains(&t), "{field} = {t}s, not in {range:?}: {v}");
}

#[test]
fn h2_needs_its_first_request_within_header_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "header_timeout = \"2s\"\nidle_timeout = \"30s\"");
    let port = proxy.daemon.port.to_string();
    let v = client(dir, &["h2-silent", &port]);
    within(&v, "closed_after", 1.5..4.5);
    let v = client(dir, &["h2-preface", &port]);
    within(&v, "closed_after", 1.5..4.5);
    assert_eq!(v["goaway"], true, "{v}");
    assert!(proxy.lines("access.log").is_empty());
}

#[test]
fn idle_connections_close_at_idle_timeout_for_h1_and_h2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "header_timeout = \"30s\"\nidle_timeout = \"2s\"");
    let port = proxy.daemon.port.to_string();
    let v = client(dir, &["h2-idle", &port]);
    assert_eq!(v["status"], "200", "{v}");
    within(&v, "closed_after", 1.5..4.5);
    assert_eq!(v["goaway"], true, "{v}");
    let v = client(dir, &["h1-idle", &port]);
    assert_eq!(v["status"], "HTTP/1.1 200 OK", "{v}");
    within(&v, "closed_after", 1.5..4.5);
}

/// The idle timer counts from the end of the last request: a connection that keeps asking
/// for longer than `idle_timeout` is never closed as idle, and is closed one idle period after
/// it stops.
#[test]
fn a_steady_connection_outlives_idle_timeout_then_closes_when_idle() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "header_timeout = \"30s\"\nidle_timeout = \"2s\"");
    let port = proxy.daemon.port.to_string();
    let v = client(dir, &["h2-steady", &port]);
    assert_eq!(v["other"], serde_json::json!([]), "{v}");
    assert!(v["ok"].as_u64().unwrap() >= 15, "{v}");
    within(&v, "closed_after", 1.5..4.5);
    assert_eq!(v["goaway"], true, "{v}");
}

#[test]
fn busy_connection_ends_at_max_connection_age_and_at_the_certificate_not_after() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "max_connection_age = \"3s\"");
    let port = proxy.daemon.port.to_string();
    let v = client(dir, &["h2-busy", &port]);
    within(&v, "ended_after", 2.5..6.0);
    assert!(v["ok"].as_u64().unwrap() >= 5, "{v}");
    assert_eq!(v["last"], "goaway", "{v}");
    drop(proxy);

    // A certificate that expires in 5 s, on a proxy whose connections may live an hour.
    let (_up, proxy) = echo_proxy(dir, "");
    issue(
        dir,
        "ca",
        "shortlived",
        "short",
        "client",
        &date(-1),
        &date_in_secs(5),
    );
    let port = proxy.daemon.port.to_string();
    let v = client(dir, &["h2-busy", &port, "shortlived"]);
    within(&v, "ended_after", 3.0..8.0);
    assert_eq!(v["last"], "goaway", "{v}");
}
