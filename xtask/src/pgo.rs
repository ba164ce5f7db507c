//! The profile-guided (PGO) release build of `mtlskit`, which `cargo xtask dist` ships and
//! `cargo xtask bench` measures (`--no-pgo` in either: the plain release build).
//!
//! Three steps, as rustc's PGO guide has them:
//! 1. the release build instrumented (`-Cprofile-generate`), in `<target>/pgo/gen`;
//! 2. bench/pgo/train.sh runs it: the proxy's traffic and the CLI's decoding; the profiles it
//!    writes at exit are merged with `llvm-profdata` of rustc's own LLVM version (Debian's
//!    `llvm-N`, installed here if missing), into `<target>/pgo/mtlskit.profdata`;
//! 3. the release build again with that profile (`-Cprofile-use`), in `<target>/pgo/use`.
//!
//! Separate target folders (inside cargo's own), because a change of `RUSTFLAGS` rebuilds every
//! crate in place: the plain release build in `<target>/release` stays as it is. A `RUSTFLAGS`
//! the user set is kept, the PGO flag added to it. The training needs what the benchmarks need
//! (nginx as the upstream, oha, openssl, tshark, hyperfine: `setup`'s bench set), which the
//! caller installs: `bench` does for every benchmark, `dist` before it calls this.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cmd;

/// Builds the PGO release binary (with the cli crate's `features`) and returns its path.
pub fn build(features: &[&str]) -> anyhow::Result<PathBuf> {
    let profdata = llvm_profdata()?;
    let pgo = cmd::target_dir()?.join("pgo");
    let raw = pgo.join("raw");
    if raw.exists() {
        std::fs::remove_dir_all(&raw).with_context(|| format!("removing {}", raw.display()))?;
    }
    std::fs::create_dir_all(&raw).with_context(|| format!("creating {}", raw.display()))?;

    eprintln!("xtask: PGO 1/3: the instrumented build");
    let instrumented = release(
        &pgo.join("gen"),
        features,
        &flag("-Cprofile-generate=", &raw),
    )?;

    eprintln!("xtask: PGO 2/3: the training run (bench/pgo/train.sh)");
    let mut train = cmd::new("bash");
    train
        .arg(cmd::root().join("bench/pgo/train.sh"))
        .env("MTLSKIT_BIN", &instrumented);
    cmd::run(&mut train).context("the PGO training run")?;
    let profiles = std::fs::read_dir(&raw)
        .with_context(|| format!("reading {}", raw.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "profraw"))
        .count();
    if profiles == 0 {
        bail!(
            "the training run left no profile in {}: did mtlskit exit normally?",
            raw.display()
        );
    }
    let merged = pgo.join("mtlskit.profdata");
    let mut merge = cmd::new(&profdata.display().to_string());
    merge.arg("merge").arg("-o").arg(&merged).arg(&raw);
    cmd::run(&mut merge).with_context(|| {
        format!(
            "merging the profiles with {} (it must read rustc's LLVM's format; `--no-pgo` builds \
             without)",
            profdata.display()
        )
    })?;

    eprintln!("xtask: PGO 3/3: the build with the profile");
    release(&pgo.join("use"), features, &flag("-Cprofile-use=", &merged))
}

/// `cargo build --release -p mtlskit` into `target` with `rustflags`; the binary's path.
fn release(target: &Path, features: &[&str], rustflags: &str) -> anyhow::Result<PathBuf> {
    let mut c = cmd::new("cargo");
    c.args(["build", "--release", "-p", "mtlskit"])
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTFLAGS", rustflags);
    if !features.is_empty() {
        c.args(["--features", &features.join(",")]);
    }
    cmd::run(&mut c)?;
    let bin = target.join("release").join("mtlskit");
    if !bin.is_file() {
        bail!("the release build left no binary at {}", bin.display());
    }
    Ok(bin)
}

/// The user's `RUSTFLAGS` and one flag with a path.
fn flag(name: &str, path: &Path) -> String {
    let own = format!("{name}{}", path.display());
    match std::env::var("RUSTFLAGS") {
        Ok(user) if !user.trim().is_empty() => format!("{} {own}", user.trim()),
        _ => own,
    }
}

/// `llvm-profdata` of the LLVM that rustc is built on (a profile's format follows LLVM's
/// version), from Debian's `llvm-N`, installed if missing.
fn llvm_profdata() -> anyhow::Result<PathBuf> {
    let version = cmd::output(cmd::new("rustc").arg("-vV")).context("rustc -vV failed")?;
    let Some(major) = llvm_major(&version) else {
        bail!("rustc -vV names no LLVM version:\n{version}");
    };
    let package = format!("llvm-{major}");
    crate::install::apt(&[&package]).with_context(|| {
        format!("PGO needs llvm-profdata of LLVM {major} (Debian's {package}); `--no-pgo` builds without")
    })?;
    let path = PathBuf::from(format!("/usr/lib/llvm-{major}/bin/llvm-profdata"));
    if !path.is_file() {
        bail!("{package} is installed but {} is not there", path.display());
    }
    Ok(path)
}

/// The major version in rustc's `LLVM version: 22.1.2` line.
fn llvm_major(rustc_vv: &str) -> Option<u32> {
    rustc_vv
        .lines()
        .find_map(|l| l.strip_prefix("LLVM version:"))
        .and_then(|v| v.trim().split('.').next())
        .and_then(|m| m.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_llvm_major_version_of_rustc() {
        let vv =
            "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\n\
                  release: 1.95.0\nLLVM version: 22.1.2\n";
        assert_eq!(llvm_major(vv), Some(22));
        assert_eq!(llvm_major("rustc 1.95.0\n"), None);
    }
}
