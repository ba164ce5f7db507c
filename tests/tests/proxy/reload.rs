//! Reload and drain (docs/config.md, "Reload and revocation"): the server certificate rotated
//! under a load of keep-alive and new connections (curl) with no failed request; a broken
//! config refused with its reasons while the old one keeps serving; SIGTERM during a 200 MiB
//! download and a WebSocket exchange lets both finish, refuses new connections and exits 0;
//! SIGQUIT closes at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mtlskit_tests::peer::{curl_as, curl_command, s_client};
use mtlskit_tests::process::{free_port, poll, signal};
use mtlskit_tests::proxy::{
    bulk_upstream, config, echo_upstream, reload, start_proxy, websocket_client,
    websocket_upstream, Proxy,
};
use mtlskit_tests::{make_pki, mtlskit, openssl};

/// `mtlskit pki init .` in `dir`: ca, server and client files, as an operator makes them.
fn pki_init(dir: &Path) {
    let run = mtlskit(dir, &["pki", "init", "."], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A second server certificate for localhost from the same CA: `NAME.pem`, `NAME.key`.
fn server_cert(dir: &Path, name: &str) {
    let run = mtlskit(
        dir,
        &[
            "pki",
            "csr",
            "--cn",
            "localhost",
            "--san",
            "DNS:localhost,IP:127.0.0.1",
            "--out",
            name,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let csr = format!("{name}.csr");
    let pem = format!("{name}.pem");
    let run = mtlskit(
        dir,
        &[
            "pki", "sign", "--ca-dir", ".", "--csr", &csr, "--server", "--out", &pem,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The serial of the certificate a file holds, as openssl prints it.
fn serial_of(dir: &Path, pem: &str) -> String {
    openssl(dir, &["x509", "-in", pem, "-noout", "-serial"])
        .trim()
        .to_string()
}

/// The serial of the certificate the server on `port` presents to a new handshake.
fn served_serial(dir: &Path, port: u16) -> String {
    let run = s_client(
        dir,
        port,
        &["-cert", "client.pem", "-key", "client.key"],
        "",
    );
    let start = run
        .stdout
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    let end = run
        .stdout
        .find("-----END CERTIFICATE-----")
        .expect("its end")
        + 25;
    std::fs::write(dir.join("served.pem"), &run.stdout[start..end]).unwrap();
    serial_of(dir, "served.pem")
}

/// curl fetching `n` URLs at 30 a second over one handle (so it keeps its h2 connection alive,
/// unless `close` asks for an HTTP/1.1 connection per request), each status on a line of
/// `NAME.codes`.
fn curl_load(dir: &Path, port: u16, name: &str, n: u32, close: bool) -> Child {
    let mut cmd = curl_command(dir);
    cmd.args([
        "--rate",
        "30/s",
        "--max-time",
        "60",
        "-w",
        "%{http_code}\\n",
    ])
    .args(["--create-dirs", "-o", &format!("{name}/#1")]);
    if close {
        // HTTP/1.1 (curl would pick h2 by ALPN, which has no Connection header).
        cmd.args(["--http1.1", "-H", "Connection: close"]);
    }
    cmd.arg(format!("https://localhost:{port}/{name}/[1-{n}]"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join(format!("{name}.codes"))).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
        .spawn()
        .expect("start curl")
}

fn codes(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(format!("{name}.codes")))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn rotating_the_server_certificate_under_load_fails_no_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki_init(dir);
    server_cert(dir, "server2");
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let port = proxy.daemon.port;
    let old = serial_of(dir, "server.pem");
    assert_eq!(served_serial(dir, port), old);

    let n = 150;
    let mut loads = [
        curl_load(dir, port, "keepalive", n, false),
        curl_load(dir, port, "fresh", n, true),
    ];
    assert!(
        poll(Duration::from_secs(20), || codes(dir, "keepalive").len()
            >= 30
            && codes(dir, "fresh").len() >= 30),
        "the load did not start"
    );
    // The operator's rotation: new files moved into place, then a reload.
    std::fs::rename(dir.join("server2.key"), dir.join("server.key")).unwrap();
    std::fs::rename(dir.join("server2.pem"), dir.join("server.pem")).unwrap();
    let run = reload(dir);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("sent SIGHUP"), "{}", run.stdout);
    let line = proxy.wait_generation(2);
    assert_eq!(line["result"], "ok", "{line}");
    let new = serial_of(dir, "server.pem");
    assert_ne!(new, old);
    assert_eq!(
        served_serial(dir, port),
        new,
        "new handshakes present the new certificate"
    );
    for (name, load) in ["keepalive", "fresh"].iter().zip(loads.iter_mut()) {
        let status = load.wait().unwrap();
        let got = codes(dir, name);
        let err = std::fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
        assert!(status.success(), "{name}: curl failed: {err}");
        assert_eq!(got.len(), n as usize, "{name}: {err}");
        assert!(got.iter().all(|c| c == "200"), "{name}: {got:?} {err}");
    }
    // Each "fresh" request came on a connection of its own, so about half of them had a
    // handshake after the rotation.
    let lines = proxy.lines("access.log");
    let ports: std::collections::HashSet<&str> = lines
        .iter()
        .filter(|l| l["path"].as_str().is_some_and(|p| p.starts_with("/fresh/")))
        .filter_map(|l| l["client"].as_str())
        .collect();
    // (The kernel may hand a closed connection's port to a later one: at least half distinct.)
    assert!(
        ports.len() >= n as usize / 2,
        "one connection per fresh request: {} ports",
        ports.len()
    );
}

#[test]
fn a_broken_config_is_refused_and_the_old_one_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pki_init(dir);
    let up = echo_upstream(dir, None);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let port = proxy.daemon.port;
    let good_key = std::fs::read(dir.join("server.key")).unwrap();
    let serial = serial_of(dir, "server.pem");
    let ok = |what: &str| {
        let run = curl_as(
            dir,
            Some("client"),
            &["-o", "/dev/null", "-w", "%{http_code}"],
            &proxy.url("/"),
        );
        assert_eq!(run.stdout, "200", "{what}: {}", run.stderr);
        assert_eq!(served_serial(dir, port), serial, "{what}");
    };
    ok("before");

    // A key that does not go with the certificate.
    let run = mtlskit(dir, &["pki", "csr", "--cn", "x", "--out", "other"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::copy(dir.join("other.key"), dir.join("server.key")).unwrap();
    // `mtlskit reload` checks first and does not signal.
    let run = reload(dir);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("server.key") && run.stderr.contains("not reloading"),
        "{}",
        run.stderr
    );
    // A SIGHUP all the same (kill -HUP, systemd's ExecReload): the server refuses it itself.
    assert!(signal(proxy.daemon.child.id(), "HUP"));
    let refused = proxy.wait_log("error.log", "message", "reload (SIGHUP) refused");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("still serving generation 1"),
        "{refused}"
    );
    let why = proxy.wait_log("error.log", "message", "server.key");
    assert_eq!(why["level"], "ERROR", "{why}");
    ok("after a key that does not match");

    // A key file that is not a key.
    std::fs::write(dir.join("server.key"), "not a key\n").unwrap();
    assert!(signal(proxy.daemon.child.id(), "HUP"));
    assert!(poll(Duration::from_secs(10), || {
        proxy
            .lines("error.log")
            .iter()
            .filter(|l| {
                l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("reload (SIGHUP) refused"))
            })
            .count()
            == 2
    }));
    ok("after an unreadable key");

    // Fixed: the next reload takes.
    std::fs::write(dir.join("server.key"), good_key).unwrap();
    let run = reload(dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    proxy.wait_generation(2);
    ok("after the fix");
}

/// A WebSocket client that says `ready` once the upgrade is done and the upstream greeted it,
/// then waits for a line on its standard input before it sends `ping` and reads the echo.
const PAUSED_WS: &str = r#"
status, _ = upgrade()
hello = read_until(b"\n").decode()
print("ready", flush=True)
sys.stdin.readline()
s.sendall(b"ping\n")
echo = read_until(b"\n").decode()
s.close()
print(json.dumps({"status": status, "hello": hello, "echo": echo}), flush=True)
"#;

/// The proxy in front of the bulk upstream (`/`) and a WebSocket upstream (`/ws`), with
/// `drain_timeout`.
fn drain_setup(dir: &Path, drain_timeout: &str) -> (Vec<mtlskit_tests::process::Daemon>, Proxy) {
    make_pki(dir);
    let bulk = bulk_upstream(dir);
    let ws = websocket_upstream(dir);
    let port = free_port();
    let text = config(port, &format!("http://127.0.0.1:{}", bulk.port), "", "")
        + &format!(
            "\n[[location]]\npath = \"/ws\"\nupstream = \"http://127.0.0.1:{}\"\n\n[process]\ndrain_timeout = \"{drain_timeout}\"\n",
            ws.port
        );
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    (vec![bulk, ws], Proxy::start(dir, port))
}

const BIG: u64 = 200 << 20;

/// curl downloading `BIG` bytes to `big.bin` at `rate`.
fn download(dir: &Path, port: u16, rate: &str) -> Child {
    curl_command(dir)
        .args(["--limit-rate", rate, "--max-time", "60", "-o", "big.bin"])
        .arg(format!("https://localhost:{port}/bytes/{BIG}"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start curl")
}

fn downloading(dir: &Path) -> bool {
    std::fs::metadata(dir.join("big.bin")).is_ok_and(|m| m.len() > 1 << 20)
}

fn refuses_connections(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn sigterm_lets_a_download_and_a_websocket_finish_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_ups, mut proxy) = drain_setup(dir, "30s");
    let port = proxy.daemon.port;
    websocket_client(dir, "pausedws.py", PAUSED_WS);
    let mut ws = Command::new("python3")
        .current_dir(dir)
        .args(["pausedws.py", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ws_out = BufReader::new(ws.stdout.take().unwrap());
    let mut line = String::new();
    ws_out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n", "the WebSocket did not open");
    // 200 MiB at 40 MB/s: about five seconds.
    let dl = download(dir, port, "40M");
    assert!(
        poll(Duration::from_secs(20), || downloading(dir)),
        "the download did not start"
    );

    assert!(signal(proxy.daemon.child.id(), "TERM"));
    let draining = proxy.wait_log("error.log", "message", "draining");
    assert_eq!(draining["connections"], 2, "{draining}");
    assert_eq!(draining["tunnels"], 1, "{draining}");
    assert!(
        poll(Duration::from_secs(10), || refuses_connections(port)),
        "still accepting"
    );

    // The tunnel goes on: the client's next message is echoed.
    ws.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let out = ws.wait_with_output().unwrap();
    line.clear();
    ws_out.read_line(&mut line).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["status"], "HTTP/1.1 101 Switching Protocols", "{v}");
    assert_eq!(v["echo"], "ping\n", "{v}");
    // The download completes, every byte.
    let done = dl.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(std::fs::metadata(dir.join("big.bin")).unwrap().len(), BIG);
    // Then the proxy exits 0 on its own, well within drain_timeout.
    let mut status = None;
    assert!(poll(Duration::from_secs(30), || {
        status = proxy.daemon.child.try_wait().ok().flatten();
        status.is_some()
    }));
    assert!(status.unwrap().success(), "{status:?}");
    let drained = proxy.wait_log("error.log", "message", "drained");
    assert!(
        drained["message"]
            .as_str()
            .unwrap()
            .contains("all 2 connections finished"),
        "{drained}"
    );
    let _ = proxy.daemon.stop();
}

#[test]
fn drain_timeout_cuts_what_is_left_and_sigquit_does_not_wait() {
    for (how, drain_timeout, within) in [("TERM", "1s", 8), ("QUIT", "30s", 5)] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (_ups, mut proxy) = drain_setup(dir, drain_timeout);
        let port = proxy.daemon.port;
        // 200 MiB at 5 MB/s would take 40 s.
        let dl = download(dir, port, "5M");
        assert!(
            poll(Duration::from_secs(20), || downloading(dir)),
            "the download did not start"
        );
        assert!(signal(proxy.daemon.child.id(), how));
        let mut status = None;
        assert!(
            poll(Duration::from_secs(within), || {
                status = proxy.daemon.child.try_wait().ok().flatten();
                status.is_some()
            }),
            "SIG{how} with drain_timeout {drain_timeout}: still running"
        );
        assert!(status.unwrap().success(), "SIG{how}: {status:?}");
        let cut = proxy.wait_log("error.log", "message", "upgraded) now");
        assert_eq!(cut["connections"], 1, "SIG{how}: {cut}");
        let done = dl.wait_with_output().unwrap();
        assert!(!done.status.success(), "SIG{how}: the download was cut");
        assert!(std::fs::metadata(dir.join("big.bin")).unwrap().len() < BIG);
        let _ = proxy.daemon.stop();
    }
}
