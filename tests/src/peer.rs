//! Real TLS peers for the tests: `openssl s_server` (requiring a client certificate or not),
//! `openssl s_client`, curl and Python's ssl as clients, and nginx as an mTLS upstream.
//!
//! Every server is a [`Daemon`]: stopped with its own signal, then waited for with a bound.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::process::{free_port, wait_port, Daemon};
use crate::{openssl, Run};

/// `openssl s_server -accept ACCEPT ARGS` in `dir` (`accept` is a port, all addresses, or
/// `HOST:PORT`), listening on 127.0.0.1:`port`. Its standard input stays open (s_server stops
/// at end of input otherwise); it is stopped with SIGTERM when dropped.
pub fn openssl_server(dir: &Path, accept: &str, port: u16, args: &[&str]) -> Daemon {
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(["s_server", "-accept", accept])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    wait_port(port, &mut child, "openssl s_server");
    Daemon::new(child, port)
}

/// `openssl s_server -www` on a free port of 127.0.0.1, requiring a client certificate from
/// `ca.pem` (and refusing a bad one), with `server.pem`/`server.key`; `version` is `-tls1_2`
/// or `-tls1_3`.
pub fn s_server(dir: &Path, version: &str) -> Daemon {
    let port = free_port();
    openssl_server(
        dir,
        &format!("127.0.0.1:{port}"),
        port,
        &[
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-CAfile",
            "ca.pem",
            "-Verify",
            "1",
            "-verify_return_error",
            "-www",
            version,
        ],
    )
}

/// `openssl s_server -www` on 127.0.0.1:`port` with `server.pem`/`server.key` of
/// [`crate::pki::make_two_ca_pki`], asking for a client certificate from `ca.pem` when `extra`
/// says so (`-Verify 1`, `-verify 1`).
pub fn tls_server(dir: &Path, port: u16, extra: &[&str]) -> Daemon {
    let mut args = vec![
        "-www",
        "-cert",
        "server.pem",
        "-key",
        "server.key",
        "-CAfile",
        "ca.pem",
    ];
    args.extend_from_slice(extra);
    openssl_server(dir, &format!("127.0.0.1:{port}"), port, &args)
}

/// `openssl s_server -www -quiet` on `port` of every address (IPv4 and IPv6) with a fresh
/// self-signed P-256 certificate for localhost (`server.pem`/`server.key` in `dir`).
pub fn self_signed_server(dir: &Path, port: u16, extra: &[&str]) -> Daemon {
    crate::pki::ca(dir, "server", "/CN=localhost", "2", &[]);
    let mut args = vec![
        "-www",
        "-quiet",
        "-cert",
        "server.pem",
        "-key",
        "server.key",
    ];
    args.extend_from_slice(extra);
    openssl_server(dir, &port.to_string(), port, &args)
}

/// `openssl s_client -connect CONNECT -servername localhost ARGS` in `dir`, bounded by
/// `timeout 20`, with `input` on its standard input (then end of input); what it printed and
/// how it ended.
pub fn s_client_run(dir: &Path, connect: &str, args: &[&str], input: &str) -> Run {
    let mut child = Command::new("timeout")
        .current_dir(dir)
        .args(["20", "openssl", "s_client", "-connect", connect])
        .args(["-servername", "localhost"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().expect("wait for s_client").into()
}

/// `openssl s_client` to 127.0.0.1:`port` verifying the server against `ca.pem`, with `input`;
/// its output.
pub fn s_client(dir: &Path, port: u16, args: &[&str], input: &str) -> Run {
    let mut all = vec!["-CAfile", "ca.pem", "-verify_return_error"];
    all.extend_from_slice(args);
    s_client_run(dir, &format!("127.0.0.1:{port}"), &all, input)
}

/// One `GET path HTTP/1.0` over [`s_client`] with the client certificate `NAME.pem`/`NAME.key`,
/// saving (`("-sess_out", file)`) or offering (`("-sess_in", file)`) the TLS session; `extra`
/// adds flags (`-tls1_2`, `-no_ticket`). Whatever happened (a refusal is an outcome).
pub fn s_client_session(
    dir: &Path,
    port: u16,
    client: &str,
    extra: &[&str],
    path: &str,
    sess: (&str, &str),
) -> Run {
    let (cert, key) = (format!("{client}.pem"), format!("{client}.key"));
    let mut args = vec!["-cert", &cert, "-key", &key, "-ign_eof", sess.0, sess.1];
    args.extend_from_slice(extra);
    s_client(
        dir,
        port,
        &args,
        &format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"),
    )
}

/// The three ways to resume, each as (session file stem, `s_client` flags): a TLS 1.2
/// session ID, a TLS 1.2 ticket, a TLS 1.3 ticket.
pub const SESSIONS: [(&str, &[&str]); 3] = [
    ("id12", &["-tls1_2", "-no_ticket"]),
    ("ticket12", &["-tls1_2"]),
    ("ticket13", &["-tls1_3"]),
];

/// For each of [`SESSIONS`], a request by `client` saving the session in `STEM.sess`, then one
/// that offers it and must resume: the sessions a later step tries again.
pub fn save_sessions(dir: &Path, port: u16, client: &str) {
    for (name, flags) in SESSIONS {
        let file = format!("{name}.sess");
        let first = s_client_session(dir, port, client, flags, "/", ("-sess_out", &file));
        assert!(first.stdout.contains(" 200 OK"), "{name}: {}", first.stdout);
        let again = s_client_session(dir, port, client, flags, "/", ("-sess_in", &file));
        assert!(
            resumed(&again) && again.stdout.contains(" 200 OK"),
            "{name} does not resume: {}",
            again.stdout
        );
    }
}

/// Whether an `s_client` run resumed its session ("Reused, ...").
pub fn resumed(run: &Run) -> bool {
    run.stdout.lines().any(|l| l.starts_with("Reused, "))
}

/// `openssl s_client -ign_eof ARGS` to `connect` sending one `GET / HTTP/1.0`; what it printed
/// on standard output, whatever happened (mTLS rejections are part of the tests).
pub fn s_client_get(dir: &Path, connect: &str, args: &[&str]) -> String {
    let mut all = vec!["-ign_eof"];
    all.extend_from_slice(args);
    s_client_run(dir, connect, &all, "GET / HTTP/1.0\r\n\r\n").stdout
}

/// [`s_client_get`] to 127.0.0.1:`port` in `dir`, verifying the server against `ca.pem`.
pub fn tls_get(dir: &Path, port: u16, extra: &[&str]) -> String {
    let mut args = vec!["-CAfile", "ca.pem"];
    args.extend_from_slice(extra);
    s_client_get(dir, &format!("127.0.0.1:{port}"), &args)
}

/// [`s_client_get`] to `host` ("127.0.0.1" or "[::1]") and `port`, verifying nothing.
pub fn get(host: &str, port: u16, extra: &[&str]) -> String {
    s_client_get(&std::env::temp_dir(), &format!("{host}:{port}"), extra)
}

/// [`get`], and panics unless the server answers.
pub fn get_ok(host: &str, port: u16, extra: &[&str]) {
    let out = get(host, port, extra);
    assert!(
        out.contains("HTTP/1.0 200 ok"),
        "no HTTP answer from {host}:{port} {extra:?}: {out}"
    );
}

/// Runs curl in `dir` (certificate options are the caller's) and returns what it printed.
pub fn curl(dir: &Path, args: &[&str]) -> Run {
    Command::new("curl")
        .current_dir(dir)
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start curl")
        .into()
}

/// A curl command in `dir` with the test CA and the client certificate `client.pem`, for the
/// caller to add its options to and spawn (a load or a long download running beside the test).
pub fn curl_command(dir: &Path) -> Command {
    let mut c = Command::new("curl");
    c.current_dir(dir).args([
        "-sS",
        "--cacert",
        "ca.pem",
        "--cert",
        "client.pem",
        "--key",
        "client.key",
    ]);
    c
}

/// The HTTP status [`curl_as`] gets for `url` ("000" when the TLS handshake was refused),
/// with `extra` curl options.
pub fn status(dir: &Path, client: Option<&str>, extra: &[&str], url: &str) -> String {
    let mut args = vec!["-o", "/dev/null", "-w", "%{http_code}"];
    args.extend_from_slice(extra);
    curl_as(dir, client, &args, url).stdout
}

/// curl with the test CA and, if given, a client certificate `NAME.pem`/`NAME.key`.
pub fn curl_as(dir: &Path, client: Option<&str>, extra: &[&str], url: &str) -> Run {
    let mut args: Vec<String> = vec!["--cacert".into(), "ca.pem".into()];
    if let Some(name) = client {
        args.extend([
            "--cert".into(),
            format!("{name}.pem"),
            "--key".into(),
            format!("{name}.key"),
        ]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(url.to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(dir, &refs)
}

/// curl to https://localhost:`port`/ with the test CA and `client.pem`/`client.key`; the HTTP
/// status it printed.
pub fn curl_status(dir: &Path, port: u16) -> String {
    let url = format!("https://localhost:{port}/");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let args = [
        "--cacert",
        "ca.pem",
        "--cert",
        "client.pem",
        "--key",
        "client.key",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
        "--resolve",
        &resolve,
    ];
    curl(dir, &args).stdout
}

/// curl to `url` without verifying the server; panics unless it answers 200.
pub fn curl_ok(url: &str) {
    let run = curl(
        &std::env::temp_dir(),
        &["-k", "-o", "/dev/null", "-w", "%{http_code}", url],
    );
    assert_eq!(run.stdout, "200", "curl {url}: {}", run.stderr);
}

/// Python's ssl module as an mTLS client (`client.pem`, CA `ca.pem`) to 127.0.0.1:`port`;
/// the status line it printed.
pub fn python_get(dir: &Path, port: u16) -> String {
    python_get_with(
        dir,
        port,
        "ctx = ssl.create_default_context(cafile='ca.pem')\n\
         ctx.load_cert_chain('client.pem', 'client.key')\n\
         ctx.set_alpn_protocols(['http/1.1'])\n",
    )
}

/// Python's ssl module sending `GET / HTTP/1.0` to 127.0.0.1:`port` with the context that
/// `context` (lines of Python) sets up as `ctx`; the status line it printed.
pub fn python_get_with(dir: &Path, port: u16, context: &str) -> String {
    let script = format!(
        "import socket, ssl\n\
         {context}\
         with socket.create_connection(('127.0.0.1', {port}), timeout=20) as s:\n\
         \x20   with ctx.wrap_socket(s, server_hostname='localhost') as t:\n\
         \x20       t.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n\
         \x20       data = b''\n\
         \x20       while True:\n\
         \x20           chunk = t.recv(65536)\n\
         \x20           if not chunk: break\n\
         \x20           data += chunk\n\
         print(data.split(b'\\r\\n')[0].decode())\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .expect("run python3");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Two CAs, `good` and `other`, with a client certificate each ([`crate::pki::ca_and_client`]),
/// and `openssl s_server -www` on a free port requiring a client certificate from `good`
/// (`-Verify 1 -verify_return_error`); the server and its port.
pub fn good_ca_server(dir: &Path) -> (Daemon, u16) {
    crate::pki::ca_and_client(dir, "good");
    crate::pki::ca_and_client(dir, "other");
    let port = free_port();
    let ca = dir.join("good.pem");
    let ca = ca.to_str().expect("utf-8 path");
    let server = self_signed_server(
        dir,
        port,
        &["-Verify", "1", "-verify_return_error", "-CAfile", ca],
    );
    (server, port)
}

/// The subject of a PEM certificate as `openssl -nameopt RFC2253` prints it.
pub fn subject(dir: &Path, pem: &str) -> String {
    let out = openssl(
        dir,
        &[
            "x509", "-in", pem, "-noout", "-subject", "-nameopt", "RFC2253",
        ],
    );
    out.trim().trim_start_matches("subject=").to_string()
}

/// Debian's nginx as an HTTPS upstream on a free port that requires a client certificate from
/// `ca.pem` and answers `<client subject DN> <protocol>`; `http2` turns h2 on. Stopped with
/// SIGQUIT when dropped.
pub fn nginx_upstream(dir: &Path, http2: bool) -> Daemon {
    nginx_upstream_with(dir, http2, "")
}

/// [`nginx_upstream`] with `extra` directives in its `server` block (`ssl_crl crl.pem;`).
pub fn nginx_upstream_with(dir: &Path, http2: bool, extra: &str) -> Daemon {
    let port = free_port();
    let d = dir.display();
    let h2 = if http2 { " http2" } else { "" };
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/nginx-error.log info;\nevents {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/nginx-tmp;\n\
             proxy_temp_path {d}/nginx-tmp;\n  fastcgi_temp_path {d}/nginx-tmp;\n\
             uwsgi_temp_path {d}/nginx-tmp;\n  scgi_temp_path {d}/nginx-tmp;\n\
             server {{\n    listen 127.0.0.1:{port} ssl{h2};\n\
             ssl_certificate {d}/server.pem;\n    ssl_certificate_key {d}/server.key;\n\
             ssl_client_certificate {d}/ca.pem;\n    ssl_verify_client on;\n    {extra}\n\
             location / {{ return 200 \"$ssl_client_s_dn $server_protocol\\n\"; }}\n  }}\n}}\n"
        ),
    )
    .expect("write nginx.conf");
    let mut child = Command::new("nginx")
        .current_dir(dir)
        .args([
            "-p",
            &d.to_string(),
            "-c",
            "nginx.conf",
            "-g",
            "daemon off;",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("nginx.stderr")).expect("nginx.stderr"))
        .spawn()
        .expect("start nginx (apt-get install nginx-light)");
    wait_port(port, &mut child, "nginx");
    // SIGQUIT: nginx's graceful shutdown; the master waits for its workers, so none is left
    // holding the port (SIGKILL of the master would orphan them).
    Daemon::stopped_by(child, port, "QUIT")
}
