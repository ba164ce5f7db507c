//! The one support library of the tests (every area binary of tests/tests/ uses it): the
//! `mtlskit` binary, openssl, PKIs made fresh for each test in a temporary folder (no key is
//! ever committed), real peers (openssl s_server/s_client, curl, Python, nginx), tshark
//! captures and readings, and processes stopped cleanly.
//!
//! - [`process`]: free ports, bounded waits, daemons stopped by their own signal.
//! - [`pki`]: CAs and leaves made with the openssl CLI; [`crl`]: CAs that revoke and publish
//!   CRLs (`openssl ca -gencrl`); [`scenario`]: chains with exactly the
//!   extensions a diagnosis scenario needs; [`certtext`]: openssl's printouts read back.
//! - [`peer`]: the TLS peers and nginx; [`proxy`]: `mtlskit serve` and its upstreams.
//! - [`tshark`]: captures on `lo`/`any` and tshark's dissection; [`capture`]: the capture reader
//!   compared with tshark, and pcap files rewritten.
//! - [`tls_build`]: TLS bytes built by hand; [`hostile`]: hostile certificate chains in DER.
//! - [`limbo`]: the x509-limbo conformance harness (`cargo xtask limbo`, `tests/tests/limbo`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failed setup should stop the test loudly

pub mod capture;
pub mod certtext;
pub mod crl;
pub mod hostile;
pub mod limbo;
pub mod peer;
pub mod pki;
pub mod process;
pub mod proxy;
pub mod scenario;
pub mod tls_build;
pub mod tshark;

pub use pki::make_pki;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `mtlskit` binary of this build (`cargo xtask test` builds it before the tests run):
/// `MTLSKIT_BIN` if set, else `mtlskit` in the profile folder cargo put this test binary in
/// (`<target>/<profile>/deps/<test>`), which is in the target folder cargo chose, wherever
/// `CARGO_TARGET_DIR` or a config put it. Never a path guessed from the source tree.
pub fn mtlskit_path() -> PathBuf {
    if let Some(bin) = std::env::var_os("MTLSKIT_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test binary path");
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
    String::from_utf8_lossy(&openssl_bytes(dir, args)).into_owned()
}

/// Runs openssl in `dir` and returns its standard output as bytes (DER, say); panics with its
/// stderr on failure.
pub fn openssl_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = openssl_output(dir, args);
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs openssl in `dir` with no input; how it ended and what it printed.
fn openssl_output(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start openssl")
}

/// Runs openssl in `dir` where failing is an answer (`verify`, say): whether it succeeded, and
/// what it printed on stdout then stderr.
pub fn openssl_try(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = openssl_output(dir, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
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
