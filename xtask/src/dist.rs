//! `cargo xtask dist`: the one deployable. Builds the release page (trunk, into dist/), then the
//! release `mtlskit` with the page embedded (the cli crate's `web` feature), strips it (the
//! release profile keeps line tables for backtraces: most of its size) into `<target>/dist/`,
//! prints its size, and runs tests/tests/web against it (MTLSKIT_BIN): it serves the page with
//! nothing else on disk.

use anyhow::{bail, Context};

use crate::cmd;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.first() {
        bail!("usage: cargo xtask dist (unexpected '{a}')");
    }
    crate::web::setup()?;
    crate::web::build(true)?;
    cmd::run(cmd::new("cargo").args(["build", "--release", "-p", "mtlskit", "--features", "web"]))?;
    let target = cmd::target_dir()?;
    let out = target.join("dist");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let bin = out.join("mtlskit");
    let built = target.join("release").join("mtlskit");
    std::fs::copy(&built, &bin)
        .with_context(|| format!("copying {} to {}", built.display(), bin.display()))?;
    cmd::run(cmd::new("strip").arg(&bin))?;
    let size = std::fs::metadata(&bin)
        .with_context(|| format!("reading {}", bin.display()))?
        .len();
    eprintln!(
        "xtask: {} is {size} bytes ({:.1} MB), the page inside",
        bin.display(),
        size as f64 / 1e6
    );
    let mut test = cmd::new("cargo");
    test.args(["test", "-p", "mtlskit-tests", "--test", "web"])
        .env("MTLSKIT_BIN", &bin);
    cmd::run(&mut test).context("tests/tests/web against the dist binary")
}
