//! `cargo xtask dist [--deb] [--no-pgo]`: the one deployable. Builds the release page (trunk,
//! into dist/), then the release `mtlskit` with the page embedded (the cli crate's `web`
//! feature), profile-guided ([`crate::pgo`]; `--no-pgo`: the plain release build), strips it
//! (the release profile keeps line tables for backtraces: most of its size) into
//! `<target>/dist/`, prints its size, and runs tests/tests/web against it (MTLSKIT_BIN): it
//! serves the page with nothing else on disk; then the browser test
//! tests/browser/binary.test.mjs: a certificate dropped on the page that `mtlskit web` and the
//! admin listener's /inspect/ serve is decoded, and no request leaves 127.0.0.1.
//!
//! `--deb` also makes the Debian package `<target>/dist/mtlskit.deb` with cargo-deb (installed
//! by setup, pinned): the binary, the systemd unit, the sysusers file and maintainer scripts of
//! deploy/debian/, the commented /etc/mtlskit/proxy.toml, and the man pages and completions the
//! binary writes of its own command line (`mtlskit dist-assets`); then tests/tests/deb installs
//! it with dpkg, checks the shipped config and the unit, and removes it (MTLSKIT_DEB). That
//! test changes the machine (root, dpkg), so it runs here and not in `cargo xtask test`.

use std::path::Path;

use anyhow::{bail, Context};

use crate::cmd;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let (mut deb, mut pgo) = (false, true);
    for a in args {
        match a.as_str() {
            "--deb" => deb = true,
            "--no-pgo" => pgo = false,
            other => bail!("usage: cargo xtask dist [--deb] [--no-pgo] (unexpected '{other}')"),
        }
    }
    crate::web::setup()?;
    if deb {
        crate::setup::cargo_deb()?;
    }
    crate::web::build(true)?;
    let target = cmd::target_dir()?;
    let built = if pgo {
        // The training run's tools (nginx, oha, hyperfine...): the benchmarks' set.
        crate::setup::run(crate::setup::Need::Bench)?;
        crate::pgo::build(&["web"])?
    } else {
        cmd::run(cmd::new("cargo").args([
            "build",
            "--release",
            "-p",
            "mtlskit",
            "--features",
            "web",
        ]))?;
        target.join("release").join("mtlskit")
    };
    let out = target.join("dist");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let bin = out.join("mtlskit");
    std::fs::copy(&built, &bin)
        .with_context(|| format!("copying {} to {}", built.display(), bin.display()))?;
    cmd::run(cmd::new("strip").arg(&bin))?;
    report_size(&bin, ", the page inside")?;
    let package = if deb {
        Some(debian_package(&target, &built, &bin)?)
    } else {
        None
    };
    let mut test = cmd::new("cargo");
    test.args(["test", "-p", "mtlskit-tests", "--test", "web"])
        .env("MTLSKIT_BIN", &bin);
    cmd::run(&mut test).context("tests/tests/web against the dist binary")?;
    crate::web::test_binary(&bin)?;
    if let Some(package) = package {
        let mut test = cmd::new("cargo");
        test.args([
            "test",
            "-p",
            "mtlskit-tests",
            "--test",
            "deb",
            "--",
            "--ignored",
        ])
        .env("MTLSKIT_DEB", &package);
        cmd::run(&mut test).context("tests/tests/deb on the package")?;
    }
    Ok(())
}

/// Writes the man pages and completions, then the package of `built` (the binary the build
/// left, `bin` stripped); returns the package's path.
fn debian_package(target: &Path, built: &Path, bin: &Path) -> anyhow::Result<std::path::PathBuf> {
    // crates/cli/Cargo.toml's [package.metadata.deb] assets name the binary and `dist-assets/`
    // in the release folder of cargo-deb's target folder, which cargo-deb asks cargo for. It is
    // pointed at the folder the binary was built in (the PGO build's is `<target>/pgo/use`), so
    // the package holds the very binary `<target>/dist/mtlskit` is.
    let release = built.parent().context("the built binary has no folder")?;
    let built_in = release
        .parent()
        .context("the release folder has no parent")?;
    let assets = release.join("dist-assets");
    if assets.exists() {
        std::fs::remove_dir_all(&assets)
            .with_context(|| format!("removing {}", assets.display()))?;
    }
    cmd::run(cmd::new(&bin.display().to_string()).args([
        "dist-assets",
        "--out",
        &assets.display().to_string(),
    ]))?;
    // Debian's man pages are gzipped; -n leaves the time out, so the package is reproducible.
    let man = assets.join("man");
    let mut pages: Vec<_> = std::fs::read_dir(&man)
        .with_context(|| format!("reading {}", man.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    pages.sort();
    cmd::run(cmd::new("gzip").arg("-9nf").args(&pages))?;
    let package = target.join("dist").join("mtlskit.deb");
    cmd::run(
        cmd::new("cargo")
            .args([
                "deb",
                "-p",
                "mtlskit",
                "--no-build",
                "--strip",
                "--output",
                &package.display().to_string(),
            ])
            .env("CARGO_TARGET_DIR", built_in),
    )?;
    report_size(&package, "")?;
    Ok(package)
}

/// Says how large a file made here is.
fn report_size(path: &Path, what: &str) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    eprintln!(
        "xtask: {} is {size} bytes ({:.1} MB){what}",
        path.display(),
        size as f64 / 1e6
    );
    Ok(())
}
