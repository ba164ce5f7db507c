//! Shared helpers of the end-to-end tests: the `mtlskit` binary, openssl, and a small PKI
//! made fresh for each test in a temporary folder (no key is ever committed).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failed setup should stop the test loudly

pub mod peer;
pub mod proxy;
pub mod scenario;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `mtlskit` binary of this build (`cargo xtask test` builds it before the tests run).
pub fn mtlskit_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> -> target/<profile>/mtlskit
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = dir.join("mtlskit");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p mtlskit` first",
        bin.display()
    );
    bin
}

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `mtlskit ARGS` in `dir`, with `stdin` as standard input.
pub fn mtlskit(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    let mut child = Command::new(mtlskit_path())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mtlskit");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait for mtlskit").into()
}

/// Runs `mtlskit inspect --json ARGS` and parses the report.
pub fn inspect_json(dir: &Path, args: &[&str]) -> (serde_json::Value, Run) {
    let mut all = vec!["inspect", "--json"];
    all.extend_from_slice(args);
    let run = mtlskit(dir, &all, None);
    let value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", run.stdout, run.stderr));
    (value, run)
}

/// Runs openssl in `dir` and returns its standard output; panics with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start openssl");
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A CA, a server and a client certificate with P-256 keys, and the client's CSR.
///
/// Files: ca.pem ca.key server.pem server.key client.pem client.key client.csr.
pub fn make_pki(dir: &Path) {
    std::fs::write(
        dir.join("ext.cnf"),
        "[server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n\
         [client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\nsubjectAltName=email:client@example.com\n",
    )
    .expect("write ext.cnf");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509", "-new"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &args);
    for (name, serial) in [("server", "0x51"), ("client", "0x52")] {
        let (key, csr, pem, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("/CN={name}"),
        );
        let mut args = vec!["req", "-new"];
        args.extend(ec);
        args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(dir, &args);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                serial,
                "-days",
                "10",
                "-extfile",
                "ext.cnf",
                "-extensions",
                name,
                "-out",
                &pem,
            ],
        );
    }
}

/// The items of a JSON report.
pub fn items(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["items"].as_array().expect("items array")
}

/// The codes of an item's findings.
pub fn codes(item: &serde_json::Value) -> Vec<String> {
    item["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}
