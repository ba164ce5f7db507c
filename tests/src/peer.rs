//! Real TLS peers for the tests: `openssl s_server` requiring a client certificate, and the
//! bytes of a connection as tshark reassembles them.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::proxy::{free_port, wait_port, Daemon};

/// `openssl s_server -www` on a free port of 127.0.0.1, requiring a client certificate from
/// `ca.pem` (and refusing a bad one), with `server.pem`/`server.key`; `version` is `-tls1_2`
/// or `-tls1_3`.
pub fn s_server(dir: &Path, version: &str) -> Daemon {
    let port = free_port();
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
        .args([
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-CAfile",
            "ca.pem",
        ])
        .args(["-Verify", "1", "-verify_return_error", "-www", version])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    wait_port(port, &mut child, "openssl s_server");
    Daemon { child, port }
}

/// The bytes one side sent on TCP connection `stream` of a capture, as tshark reassembles
/// them (`-z follow,tcp,raw`): `client` picks the side that opened the connection.
pub fn follow(dir: &Path, capture: &str, stream: usize, client: bool) -> Vec<u8> {
    let out = Command::new("tshark")
        .current_dir(dir)
        .args([
            "-r",
            capture,
            "-q",
            "-z",
            &format!("follow,tcp,raw,{stream}"),
        ])
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut bytes = Vec::new();
    let mut in_body = false;
    for line in text.lines() {
        if line.starts_with("Node 1:") {
            in_body = true;
            continue;
        }
        if !in_body || line.starts_with("====") || line.trim().is_empty() {
            continue;
        }
        // The server's lines are indented with a tab.
        let server_line = line.starts_with('\t');
        if server_line == client {
            continue;
        }
        let hex = line.trim();
        for i in (0..hex.len().saturating_sub(1)).step_by(2) {
            if let Ok(b) = u8::from_str_radix(&hex[i..i + 2], 16) {
                bytes.push(b);
            }
        }
    }
    bytes
}
