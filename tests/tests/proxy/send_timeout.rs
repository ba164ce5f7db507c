//! `send_timeout` (nginx's `proxy_send_timeout`): an upstream that stops reading the request
//! body makes the proxy give up after the timeout, answer 502 and say why in its log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl;
use mtlskit_tests::proxy::start_proxy;

#[test]
fn an_upstream_that_stops_reading_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    // An upstream that accepts connections, reads a few bytes of the request, then nothing.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut first = [0u8; 64];
            let _ = s.read(&mut first);
            held.push(s); // kept open, never read again
        }
    });
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{port}"),
        "",
        "send_timeout = \"1s\"\nread_timeout = \"60s\"",
    );
    // 64 MiB: far more than the socket buffers hold, so the proxy's writes stall.
    std::fs::write(dir.join("big.bin"), vec![b'x'; 64 << 20]).unwrap();
    let started = Instant::now();
    let run = curl(
        dir,
        &[
            "--cacert",
            "ca.pem",
            "--cert",
            "client.pem",
            "--key",
            "client.key",
            "--data-binary",
            "@big.bin",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &proxy.url("/upload"),
        ],
    );
    let took = started.elapsed();
    // The proxy answers 502 while curl is still sending; depending on timing curl reads it
    // or sees the stream reset (h2) — either way the upload is over, quickly.
    assert!(run.stdout.trim() == "502" || run.code != 0, "{run:?}");
    assert!(
        took < Duration::from_secs(20),
        "the request took {took:?}; send_timeout is 1 s"
    );
    let line = proxy.wait_log("error.log", "reason", "send_timeout");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("accepted no request bytes"),
        "{line}"
    );
}
