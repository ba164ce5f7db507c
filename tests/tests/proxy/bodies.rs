//! Large bodies stream through the proxy with bounded memory: a 1 GiB upload (curl `-T -`
//! from a generator, chunked, over h2) and a 1 GiB download (HTTP/1.1), with the proxy's peak
//! resident memory (`VmHWM`) read from /proc after both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::{bulk_upstream, peak_rss_kib, start_proxy};

const GIB: u64 = 1 << 30;
/// The proxy's peak resident memory may not exceed this after moving 2 GiB.
const PEAK_LIMIT_KIB: u64 = 150 * 1024;

#[test]
fn one_gib_up_and_down_with_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = bulk_upstream(dir);
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", "");
    let pid = proxy.daemon.child.id();
    let before = peak_rss_kib(pid);

    // Upload: `head -c 1G /dev/zero | curl -T -`, never a file on disk.
    let mut gen = Command::new("head")
        .args(["-c", &GIB.to_string(), "/dev/zero"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new("curl")
        .current_dir(dir)
        .args(["-sS", "--max-time", "120", "--http2", "--cacert", "ca.pem"])
        .args(["--cert", "client.pem", "--key", "client.key", "-T", "-"])
        .arg(proxy.url("/upload"))
        .stdin(gen.stdout.take().unwrap())
        .output()
        .unwrap();
    gen.wait().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["body_len"], GIB);

    // Download.
    let run = curl_as(
        dir,
        Some("client"),
        &[
            "--http1.1",
            "--max-time",
            "120",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
        ],
        &proxy.url(&format!("/download/{GIB}")),
    );
    assert_eq!(run.stdout, format!("200 {GIB}"), "{}", run.stderr);
    let line = proxy.wait_log("access.log", "path", "/download/");
    assert_eq!(line["bytes"], GIB);

    let peak = peak_rss_kib(pid);
    assert!(
        peak < PEAK_LIMIT_KIB,
        "peak RSS {peak} KiB (at start {before} KiB) after 2 GiB through the proxy"
    );
    eprintln!("proxy peak RSS: {peak} KiB (at start {before} KiB)");
}
