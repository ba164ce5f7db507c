//! `cargo xtask test`: everything CI checks, in the order that fails fastest.
//!
//! setup, rustfmt, clippy with -D warnings, the no_std build of the inspect crate, every test of
//! the workspace, the web inspector's wasm and browser tests, and a short fuzz smoke run (which
//! also replays the saved crash inputs). Ends with one line "xtask test: N passed, N failed"
//! counting the Rust tests that ran (the browser tests fail the run by their exit status).

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use anyhow::{bail, Context};

use crate::cmd;
use crate::setup::{self, Need};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let quick = args.iter().any(|a| a == "--no-fuzz");
    setup::run(Need::Test)?;
    cmd::run(cmd::new("cargo").args(["fmt", "--all", "--", "--check"]))
        .context("formatting differs: run `cargo fmt --all`")?;
    cmd::run(cmd::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    cmd::run(cmd::new("cargo").args([
        "build",
        "-p",
        "mtlskit-inspect",
        "--no-default-features",
        "--target",
        "x86_64-unknown-none",
    ]))
    .context("the inspect crate must build without std")?;
    // The end-to-end tests run the binary; build it before they start.
    cmd::run(cmd::new("cargo").args(["build", "-p", "mtlskit"]))?;
    let (passed, failed) = cargo_test()?;
    // The page: wasm-bindgen tests in Node and Chromium, the release build, browser tests.
    crate::web::test()?;
    if !quick {
        crate::fuzz::run(&["smoke".to_string()])?;
    }
    println!("xtask test: {passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} tests failed");
    }
    Ok(())
}

/// Runs `cargo test --workspace`, passing its output through, and counts the results.
fn cargo_test() -> anyhow::Result<(u64, u64)> {
    let mut c = cmd::new("cargo");
    c.args(["test", "--workspace", "--no-fail-fast"])
        .stdout(Stdio::piped());
    eprintln!("xtask: $ cargo test --workspace --no-fail-fast");
    let mut child = c.spawn().context("cannot start cargo test")?;
    let (mut passed, mut failed) = (0, 0);
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::stdout().lock();
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            writeln!(out, "{line}")?;
            if let Some((p, f)) = parse_result(&line) {
                passed += p;
                failed += f;
            }
        }
    }
    let status = child.wait()?;
    if !status.success() && failed == 0 {
        bail!("cargo test failed ({status})");
    }
    Ok((passed, failed))
}

/// Reads "test result: ok. 12 passed; 0 failed; ..." lines.
fn parse_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number = |word: &str| -> Option<u64> {
        let at = rest.find(word)?;
        rest[..at]
            .trim_end()
            .rsplit([' ', ';', '.'])
            .next()?
            .parse()
            .ok()
    };
    Some((number(" passed")?, number(" failed")?))
}

#[cfg(test)]
mod tests {
    use super::parse_result;

    #[test]
    fn reads_cargo_result_lines() {
        let line = "test result: ok. 12 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_result(line), Some((12, 3)));
        assert_eq!(parse_result("running 3 tests"), None);
    }
}
