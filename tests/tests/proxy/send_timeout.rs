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

/// Issue 11: `client_send_timeout` (nginx's `send_timeout`): a client that asks for a large
/// download and stops reading is disconnected when no write has made progress for the limit;
/// the access line shows the bytes that went out. The client (Python's ssl) reads the response
/// head, then blocks on its stdin until the test has seen the line.
#[test]
fn a_client_that_stops_reading_is_disconnected() {
    const READER: &str = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("client.pem", "client.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
s.sendall(b"GET /dl/200000000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode(), flush=True)
sys.stdin.read()
"#;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = mtlskit_tests::proxy::bulk_upstream(dir);
    let proxy = start_proxy(
        dir,
        &format!("http://127.0.0.1:{}", up.port),
        "client_send_timeout = \"2s\"",
        "",
    );
    std::fs::write(dir.join("reader.py"), READER).unwrap();
    let mut reader = std::process::Command::new("python3")
        .current_dir(dir)
        .args(["reader.py", &proxy.daemon.port.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(reader.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert_eq!(first.trim(), "HTTP/1.1 200 OK");
    let line = proxy.wait_log("access.log", "path", "/dl/200000000");
    drop(reader.stdin.take());
    reader.wait().unwrap();
    let bytes = line["bytes"].as_u64().unwrap();
    assert!(bytes < 200_000_000, "{line}");
    let ms = line["duration_ms"].as_f64().unwrap();
    assert!((2000.0..9000.0).contains(&ms), "{line}");
}
