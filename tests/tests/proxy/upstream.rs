//! The upstream side: the proxy's client certificate accepted by an nginx that requires one,
//! h2 and HTTP/1.1 upstream, its connections pooled, and a 502 with a log line saying which when the upstream is
//! down, untrusted or misnamed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::{curl_as, nginx_upstream, nginx_upstream_with};
use mtlskit_tests::pki::make_ca;
use mtlskit_tests::process::{free_port, poll};
use mtlskit_tests::proxy::{echo_upstream, python_json, start_proxy, PROXY_CLIENT};

#[test]
fn nginx_upstream_requiring_a_client_certificate_accepts_the_proxys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    for http2 in [false, true] {
        let nginx = nginx_upstream(dir, http2);
        let upstream = format!("https://localhost:{}", nginx.port);
        let proxy = start_proxy(dir, &upstream, "", PROXY_CLIENT);
        let run = curl_as(dir, Some("client"), &["--http1.1"], &proxy.url("/"));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let want = if http2 {
            "CN=client HTTP/2.0"
        } else {
            "CN=client HTTP/1.1"
        };
        assert_eq!(run.stdout.trim(), want);
        // Pooled: a second request works on the kept connection too.
        let run = curl_as(dir, Some("client"), &["--http2"], &proxy.url("/again"));
        assert_eq!(run.stdout.trim(), want);
    }

    // Without its client certificate the proxy is refused by nginx, and says so.
    let nginx = nginx_upstream(dir, false);
    let proxy = start_proxy(
        dir,
        &format!("https://localhost:{}", nginx.port),
        "",
        "trusted_ca = \"ca.pem\"",
    );
    let run = curl_as(
        dir,
        Some("client"),
        &["-w", "\n%{http_code}"],
        &proxy.url("/"),
    );
    assert!(run.stdout.ends_with("400"), "{}", run.stdout);
    assert!(
        run.stdout.contains("No required SSL certificate"),
        "{}",
        run.stdout
    );
}

fn status_and_time(dir: &std::path::Path, url: &str) -> (String, Duration) {
    let start = Instant::now();
    let run = curl_as(
        dir,
        Some("client"),
        &["-o", "/dev/null", "-w", "%{http_code}"],
        url,
    );
    (run.stdout, start.elapsed())
}

#[test]
fn down_untrusted_and_misnamed_upstreams_give_502_and_say_which() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_ca(dir, "otherca", "Other CA");

    // Down: nothing listens there.
    let proxy = start_proxy(
        dir,
        &format!("https://127.0.0.1:{}", free_port()),
        "",
        &format!("{PROXY_CLIENT}\nconnect_timeout = \"3s\""),
    );
    let (code, took) = status_and_time(dir, &proxy.url("/down"));
    assert_eq!(code, "502");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let l = proxy.wait_log("error.log", "reason", "is down (connection refused)");
    assert_eq!(l["path"], "/down");
    let access = proxy.wait_log("access.log", "path", "/down");
    assert_eq!(access["status"], 502);
    drop(proxy);

    let up = echo_upstream(dir, Some(("server.pem", "server.key")));
    // Untrusted: the upstream's CA is not trusted_ca.
    let proxy = start_proxy(
        dir,
        &format!("https://127.0.0.1:{}", up.port),
        "",
        "trusted_ca = \"otherca.pem\"",
    );
    assert_eq!(status_and_time(dir, &proxy.url("/u")).0, "502");
    proxy.wait_log("error.log", "reason", "certificate is not trusted");
    drop(proxy);

    // Misnamed: the certificate does not cover server_name.
    let proxy = start_proxy(
        dir,
        &format!("https://127.0.0.1:{}", up.port),
        "",
        "trusted_ca = \"ca.pem\"\nserver_name = \"wrong.example\"",
    );
    assert_eq!(status_and_time(dir, &proxy.url("/m")).0, "502");
    proxy.wait_log(
        "error.log",
        "reason",
        "certificate does not cover the name \"wrong.example\"",
    );
    drop(proxy);

    // And named right, it works over HTTPS to the echo upstream.
    let proxy = start_proxy(
        dir,
        &format!("https://127.0.0.1:{}", up.port),
        "",
        "trusted_ca = \"ca.pem\"\nserver_name = \"localhost\"",
    );
    assert_eq!(status_and_time(dir, &proxy.url("/ok")).0, "200");
}

/// Established TCP connections to 127.0.0.1:`port` from this machine (`/proc/net/tcp`).
fn connections_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let remote = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(2) == Some(&remote.as_str()) && f.get(3) == Some(&"01")
        })
        .count()
}

/// The standard PKI, and an nginx upstream (HTTP/1.1, `extra` in its server block) whose
/// `/conn` answers with its connection's serial number and how many requests that connection
/// has carried (`$connection $connection_requests`).
fn counting_upstream(dir: &std::path::Path, extra: &str) -> mtlskit_tests::process::Daemon {
    make_pki(dir);
    nginx_upstream_with(
        dir,
        false,
        &format!(
            "{extra}\n    location /conn {{ return 200 \"$connection $connection_requests\\n\"; }}"
        ),
    )
}

/// The proxy keeps its upstream connections as nginx's `keepalive` does: requests from
/// several client connections go over one upstream connection, one after another; one the
/// upstream closes while idle is replaced without the client seeing anything; and with
/// `keepalive = 0` each request has a connection of its own.
#[test]
fn upstream_connections_are_kept_reused_and_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let nginx = counting_upstream(dir, "keepalive_timeout 1s;");
    let upstream = format!("https://localhost:{}", nginx.port);
    let ask = |proxy: &mtlskit_tests::proxy::Proxy| {
        let run = curl_as(dir, Some("client"), &[], &proxy.url("/conn"));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut f = run
            .stdout
            .split_whitespace()
            .map(|v| v.parse::<u64>().unwrap());
        (f.next().unwrap(), f.next().unwrap())
    };

    let proxy = start_proxy(dir, &upstream, "", PROXY_CLIENT);
    // Each curl is a client connection of its own.
    let (first, n) = ask(&proxy);
    assert_eq!(n, 1);
    for want in 2..=4 {
        assert_eq!(
            ask(&proxy),
            (first, want),
            "the kept connection, its request {want}"
        );
    }
    assert_eq!(connections_to(nginx.port), 1);

    // nginx closes it after 1 s idle; the next request goes on a new one, and succeeds.
    assert!(
        poll(Duration::from_secs(10), || connections_to(nginx.port) == 0),
        "nginx closed the idle connection"
    );
    let (second, n) = ask(&proxy);
    assert!(second != first && n == 1, "a new connection: {second} {n}");
    drop(proxy);

    let proxy = start_proxy(
        dir,
        &upstream,
        "",
        &format!("{PROXY_CLIENT}\nkeepalive = 0"),
    );
    let (a, n) = ask(&proxy);
    assert_eq!(n, 1);
    let (b, n) = ask(&proxy);
    assert!(
        b != a && n == 1,
        "keepalive = 0: a connection per request ({a}, then {b} {n})"
    );
}

/// A client that starts an upload and stalls: nginx answers at once, the proxy relays the
/// answer, and the upstream connection still carries the upload. It is not given to the next
/// request, which another client makes meanwhile and which is answered at once.
const STALLED_UPLOAD: &str = r#"
import http.client, json, socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations("ca.pem")
ctx.load_cert_chain("client.pem", "client.key")
def connect():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost")
def response(s):
    r = http.client.HTTPResponse(s)
    r.begin()
    return str(r.status), r.read(r.length).decode().strip()
stalled = connect()
stalled.sendall(b"POST /conn HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
first = response(stalled)
other = connect()
start = time.monotonic()
other.sendall(b"GET /conn HTTP/1.1\r\nHost: localhost\r\n\r\n")
second = response(other)
print(json.dumps({"first": first, "second": second, "second_s": time.monotonic() - start}))
"#;

#[test]
fn an_upstream_connection_still_sending_an_upload_is_not_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let nginx = counting_upstream(dir, "");
    let proxy = start_proxy(
        dir,
        &format!("https://localhost:{}", nginx.port),
        "",
        PROXY_CLIENT,
    );
    let v = python_json(
        dir,
        "stalled.py",
        STALLED_UPLOAD,
        &[&proxy.daemon.port.to_string()],
    );
    assert_eq!(v["first"][0], "200", "{v}");
    assert_eq!(v["second"][0], "200", "{v}");
    let first = v["first"][1].as_str().unwrap().to_string();
    let second = v["second"][1].as_str().unwrap().to_string();
    assert_ne!(
        first.split(' ').next(),
        second.split(' ').next(),
        "another upstream connection: {v}"
    );
    assert!(
        v["second_s"].as_f64().unwrap() < 5.0,
        "answered at once: {v}"
    );
}
