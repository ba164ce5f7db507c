//! `mtlskit demo`: it comes up, the curl and Python commands it prints work as printed, the
//! web inspector is served, and Ctrl-C (SIGINT) stops it cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use mtlskit_tests::mtlskit_path;
use mtlskit_tests::process::{free_port, stdout_until, Daemon};

#[test]
fn demo_runs_the_printed_commands_and_stops_on_sigint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let web = tmp.path().join("dist");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>mtlskit inspector</title>",
    )
    .unwrap();
    let (proxy_port, web_port) = (free_port(), free_port());
    // A guard: a failed assertion stops the demo with SIGINT (as Ctrl-C) instead of orphaning it.
    let mut demo = Daemon::stopped_by(
        Command::new(mtlskit_path())
            .args([
                "demo",
                "--dir",
                dir.to_str().unwrap(),
                "--web",
                web.to_str().unwrap(),
            ])
            .args([
                "--proxy-port",
                &proxy_port.to_string(),
                "--web-port",
                &web_port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        proxy_port,
        "INT",
    );
    let (lines, rx) = stdout_until(&mut demo.child, "ready", Duration::from_secs(60));
    let child = &mut demo.child;
    let text = lines.join("\n");
    assert!(
        text.contains("Verdict: OK"),
        "the demo's own probe went through: {text}"
    );
    assert!(
        text.contains("\"x-ssl-client-verify\": \"SUCCESS\""),
        "{text}"
    );

    let command = |prefix: &str| -> String {
        lines
            .iter()
            .map(|l| l.trim())
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"))
            .to_string()
    };
    let sh = |cmd: &str| Command::new("sh").args(["-c", cmd]).output().unwrap();

    // curl with the client certificate: the upstream's JSON with the verified identity.
    let out = sh(&command("curl --cacert"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["headers"]["x-ssl-client-verify"], "SUCCESS");
    assert_eq!(body["headers"]["x-ssl-client-s-dn"], "CN=mtlskit client");
    assert_eq!(
        body["caller_certificate"], "CN=mtlskit client",
        "the upstream saw the proxy's certificate"
    );
    assert_eq!(body["path"], "/test_url");

    // Without a client certificate the proxy refuses the handshake.
    let no_cert = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.contains("# no client certificate"))
        .unwrap();
    let cmd = no_cert.split('#').next().unwrap();
    assert!(
        !sh(cmd).status.success(),
        "curl without a certificate must fail"
    );

    // The classic client script (docs/architecture.md), ported to Python 3 with httplib2.
    let out = sh(&command("python3 -c"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("200\n") && stdout.contains("\"x-ssl-client-verify\": \"SUCCESS\""),
        "{stdout}"
    );

    // The inspector is served, and the saved handshake is a capture mtlskit reads.
    let out = sh(&format!("curl -s http://127.0.0.1:{web_port}/"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("mtlskit inspector"));
    let out = Command::new(mtlskit_path())
        .args([
            "inspect",
            "--json",
            dir.join("handshake.pcap").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["items"][0]["connections"][0]["summary"]["version_name"],
        "TLS 1.2"
    );

    // The proxy's access log is in the demo folder (paths are relative to the config).
    let access = std::fs::read_to_string(dir.join("access.log")).unwrap();
    assert!(
        access
            .lines()
            .any(|l| l.contains("\"/test_url\"") && l.contains("CN=mtlskit client")),
        "{access}"
    );

    // Ctrl-C.
    assert!(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let mut rest = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) {
        rest.push(line);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status}: {}", rest.join("\n"));
    assert!(
        rest.iter().any(|l| l.contains("mtlskit demo stopped")),
        "{rest:?}"
    );
    assert!(dir.join("ca.pem").exists(), "--dir is kept");
}
