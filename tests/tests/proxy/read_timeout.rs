//! Issue 11, hole 5: `read_timeout` waits for the upstream, not for the client. A client
//! (Python's http.client over ssl) uploads a chunked body steadily for about 5 s through a
//! location with `read_timeout = "3s"`: the upload is the client's time, so it gets its 200
//! with every byte counted by the upstream. An upstream that sends nothing after the body
//! does get 504 after read_timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::{bulk_upstream, python_json, start_proxy};

const UPLOAD: &str = r#"
import http.client, json, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("client.pem", "client.key")
def body():
    for _ in range(10):
        yield b"x" * 1000
        time.sleep(0.5)  # the client's upload pace: ten chunks over five seconds
c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
start = time.monotonic()
c.request("PUT", "/upload", body=body(), encode_chunked=True)
r = c.getresponse()
print(json.dumps({"status": r.status, "body": r.read().decode(), "seconds": time.monotonic() - start}))
"#;

#[test]
fn a_slow_steady_upload_is_not_cut_by_read_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = bulk_upstream(dir);
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        "",
        "read_timeout = \"3s\"",
    );
    let port = proxy.daemon.port.to_string();
    let v = python_json(dir, "upload.py", UPLOAD, &[&port]);
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["body"], "{\"body_len\": 10000}", "{v}");
    assert!(v["seconds"].as_f64().unwrap() > 4.0, "{v}");
}

#[test]
fn an_upstream_silent_after_the_request_gets_504_at_read_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    // An upstream that accepts and reads, and never answers; it holds the connection until
    // the test ends (the receiver is dropped).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let held = silent.accept();
        let _ = stopped.recv();
        drop(held);
    });
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{port}"),
        "",
        "read_timeout = \"1s\"",
    );
    let start = std::time::Instant::now();
    let run = curl_as(
        dir,
        Some("client"),
        &["-o", "/dev/null", "-w", "%{http_code}"],
        &proxy.url("/silent"),
    );
    assert_eq!(run.stdout, "504", "{}", run.stderr);
    assert!(start.elapsed().as_secs_f64() < 5.0);
    drop(stop);
    holder.join().unwrap();
}

/// Issue 11: a location's `max_conns` caps requests in flight to its upstream; one more waits
/// `queue_timeout`, then gets 503. The upstream takes requests and never answers; the first
/// request holds the one place until its read_timeout (504).
#[test]
fn requests_over_max_conns_wait_then_get_503() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (accepted, accepts) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().flatten() {
            held.push(s);
            if accepted.send(()).is_err() {
                return;
            }
        }
    });
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{port}"),
        "",
        "read_timeout = \"3s\"\nmax_conns = 1\nqueue_timeout = \"1s\"",
    );
    let url = proxy.url("/first");
    let dir_path = dir.to_path_buf();
    let first = std::thread::spawn(move || {
        curl_as(
            &dir_path,
            Some("client"),
            &["-o", "/dev/null", "-w", "%{http_code}"],
            &url,
        )
        .stdout
    });
    accepts
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the first request reached the upstream");
    let start = std::time::Instant::now();
    let run = curl_as(
        dir,
        Some("client"),
        &["-o", "/dev/null", "-w", "%{http_code}"],
        &proxy.url("/second"),
    );
    assert_eq!(run.stdout, "503", "{}", run.stderr);
    let waited = start.elapsed().as_secs_f64();
    assert!((0.9..2.9).contains(&waited), "waited {waited}s");
    assert_eq!(first.join().unwrap(), "504");
    proxy.wait_log("error.log", "message", "is at max_conns");
}
