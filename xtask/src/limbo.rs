//! `cargo xtask limbo [--out RESULTS] [LIMBO_JSON]`: the x509-limbo conformance harness
//! (issue 16, docs/diagnosis.md "Conformance"). Runs the `limbo` binary of the tests crate on
//! the suite (default: `testdata/limbo/limbo.json`), which writes limbo's result format for the
//! diagnosis (default: `<target>/limbo/results.json`) and for the proxy's verifier (beside it,
//! `results-proxy.json`) and prints one summary line per harness. `cargo xtask test` holds the
//! results to `testdata/limbo/exceptions.toml` through `tests/tests/limbo`.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::cmd;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let here = std::env::current_dir().context("the current folder")?;
    let mut out: Option<PathBuf> = None;
    let mut suite: Option<PathBuf> = None;
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--out" => {
                let Some(p) = rest.next() else {
                    bail!("--out needs a file");
                };
                out = Some(here.join(p));
            }
            other if other.starts_with('-') => bail!("unknown option {other}"),
            other => suite = Some(here.join(other)),
        }
    }
    let out = match out {
        Some(o) => o,
        None => cmd::target_dir()?.join("limbo/results.json"),
    };
    let suite = suite.unwrap_or_else(|| cmd::root().join("testdata/limbo/limbo.json"));
    cmd::run(
        cmd::new("cargo")
            .args([
                "run",
                "-q",
                "-p",
                "mtlskit-tests",
                "--bin",
                "limbo",
                "--",
                "--out",
            ])
            .arg(&out)
            .arg(&suite),
    )
}
