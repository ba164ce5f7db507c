//! `cargo xtask fuzz`: runs the cargo-fuzz targets of `fuzz/` and keeps what they find.
//!
//! `smoke` runs every target for `MTLSKIT_FUZZ_SECONDS` (default 10) seconds each, as
//! `cargo xtask test` does; `run TARGET [SECONDS]` runs one target longer. The fuzzer starts from
//! the committed seeds (`fuzz/seeds/<target>/`) and the saved crash inputs
//! (`fuzz/regressions/<target>/`), and grows its corpus in `fuzz/corpus/<target>/` (gitignored).
//! A crash input libFuzzer writes is copied into `fuzz/regressions/<target>/`, where the stable
//! test `crates/inspect/tests/fuzz_replay.rs` replays it from then on, and the run fails naming
//! the file. The sanitizer is AddressSanitizer unless `MTLSKIT_FUZZ_SANITIZER` says otherwise
//! (`none` builds faster and runs about twice as fast).
//!
//! Self-contained (std and anyhow only) so it does not depend on the rest of xtask.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

const USAGE: &str = "usage: cargo xtask fuzz <smoke | run TARGET [SECONDS] | list>
  smoke                 every target for $MTLSKIT_FUZZ_SECONDS (default 10) seconds each
  run TARGET [SECONDS]  one target (default 300 seconds)
  list                  the targets
  environment: MTLSKIT_FUZZ_SANITIZER=address|none|memory|thread (default address)";

/// Seconds per target of a smoke run when `MTLSKIT_FUZZ_SECONDS` is not set.
const SMOKE_SECONDS: u64 = 10;
/// Seconds of `run TARGET` without a SECONDS argument.
const RUN_SECONDS: u64 = 300;
/// A single input that runs longer than this is reported as a hang (libFuzzer `-timeout`).
const INPUT_TIMEOUT_SECONDS: u64 = 10;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let root = root();
    let targets = targets(&root)?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["smoke"] => {
            let seconds = seconds_from_env()?;
            build(&root)?;
            let mut failures = Vec::new();
            for target in &targets {
                if let Err(e) = fuzz(&root, target, seconds) {
                    eprintln!("xtask fuzz: {e:#}");
                    failures.push(format!("{e:#}"));
                }
            }
            if !failures.is_empty() {
                bail!(
                    "{} of {} fuzz targets failed:\n  {}",
                    failures.len(),
                    targets.len(),
                    failures.join("\n  ")
                );
            }
            eprintln!(
                "xtask fuzz: smoke run done, {} targets, {seconds} s each, no crash",
                targets.len()
            );
            Ok(())
        }
        ["run", target, rest @ ..] => {
            if !targets.iter().any(|t| t == target) {
                bail!(
                    "no fuzz target '{target}'; the targets are {}",
                    targets.join(", ")
                );
            }
            let seconds = match rest {
                [] => RUN_SECONDS,
                [s] => s
                    .parse()
                    .with_context(|| format!("'{s}' is not a number of seconds"))?,
                _ => bail!("{USAGE}"),
            };
            build(&root)?;
            fuzz(&root, target, seconds)
        }
        ["list"] => {
            for t in &targets {
                println!("{t}");
            }
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

/// The repository root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// The targets: the files of `fuzz/fuzz_targets/`, sorted.
fn targets(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join("fuzz/fuzz_targets");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension() == Some(OsStr::new("rs")) {
            if let Some(stem) = path.file_stem().and_then(OsStr::to_str) {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    if names.is_empty() {
        bail!("no fuzz targets in {}", dir.display());
    }
    Ok(names)
}

fn seconds_from_env() -> anyhow::Result<u64> {
    match std::env::var("MTLSKIT_FUZZ_SECONDS") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse().with_context(|| {
            format!("MTLSKIT_FUZZ_SECONDS='{s}' is not a whole number of seconds")
        }),
        _ => Ok(SMOKE_SECONDS),
    }
}

fn sanitizer() -> String {
    std::env::var("MTLSKIT_FUZZ_SANITIZER")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "address".to_string())
}

/// `cargo +nightly fuzz ...` in the repository root, with the environment of the stable
/// `cargo xtask` that started us removed so rustup picks nightly.
fn cargo_fuzz(root: &Path) -> Command {
    let mut c = Command::new("cargo");
    c.current_dir(root).arg("+nightly").arg("fuzz");
    for var in ["RUSTUP_TOOLCHAIN", "CARGO", "RUSTC", "RUSTDOC", "RUSTFLAGS"] {
        c.env_remove(var);
    }
    c
}

/// Builds every target once, so a compile error is one clear failure.
fn build(root: &Path) -> anyhow::Result<()> {
    let mut c = cargo_fuzz(root);
    c.args(["build", "-s", &sanitizer()]);
    eprintln!("xtask: $ cargo +nightly fuzz build -s {}", sanitizer());
    let status = c.status().context(
        "cannot start `cargo +nightly fuzz` (needs `rustup toolchain install nightly` and \
         `cargo install cargo-fuzz`; `cargo xtask setup` installs them)",
    )?;
    if !status.success() {
        bail!("building the fuzz targets failed ({status})");
    }
    Ok(())
}

/// Runs one target for `seconds`; a crash is copied into `fuzz/regressions/<target>/`.
fn fuzz(root: &Path, target: &str, seconds: u64) -> anyhow::Result<()> {
    let corpus = root.join("fuzz/corpus").join(target);
    let seeds = root.join("fuzz/seeds").join(target);
    let regressions = root.join("fuzz/regressions").join(target);
    let artifacts = root.join("fuzz/artifacts").join(target);
    for dir in [&corpus, &regressions, &artifacts] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Failure inputs of earlier runs were copied into regressions/ then; start clean so every
    // failure file after this run is this run's.
    for old in files(&artifacts)?.iter().filter(|p| is_failure(p)) {
        fs::remove_file(old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    // libFuzzer writes new inputs into the first folder only: the gitignored corpus.
    let mut c = cargo_fuzz(root);
    c.args(["run", "-s", &sanitizer(), target])
        .arg(&corpus)
        .arg(&regressions);
    if seeds.is_dir() {
        c.arg(&seeds);
    }
    c.arg("--").args([
        format!("-max_total_time={seconds}"),
        format!("-timeout={INPUT_TIMEOUT_SECONDS}"),
        format!("-artifact_prefix={}/", artifacts.display()),
        "-print_final_stats=1".to_string(),
    ]);
    eprintln!("xtask: $ cargo +nightly fuzz run {target} ({seconds} s)");
    let status = c
        .status()
        .context("cannot start `cargo +nightly fuzz run`")?;
    let new: Vec<PathBuf> = files(&artifacts)?
        .into_iter()
        .filter(|p| is_failure(p))
        .collect();
    let mut saved = Vec::new();
    for found in &new {
        let Some(name) = found.file_name() else {
            continue;
        };
        let to = regressions.join(name);
        fs::copy(found, &to)
            .with_context(|| format!("cannot copy {} to {}", found.display(), to.display()))?;
        saved.push(to.strip_prefix(root).unwrap_or(&to).display().to_string());
    }
    if !saved.is_empty() {
        bail!(
            "fuzz target '{target}' crashed; the input is saved as {} \
             (reproduce: cargo +nightly fuzz run {target} {}; replay on stable: \
             cargo test -p mtlskit-inspect --test fuzz_replay); commit it once the code is fixed",
            saved.join(", "),
            saved[0]
        );
    }
    if !status.success() {
        bail!("fuzz target '{target}' failed ({status}) without writing a crash input");
    }
    Ok(())
}

/// Files libFuzzer writes for a failure: crash-, leak-, timeout- and oom- inputs.
fn is_failure(path: &Path) -> bool {
    path.file_name().and_then(OsStr::to_str).is_some_and(|n| {
        ["crash-", "leak-", "timeout-", "oom-"]
            .iter()
            .any(|p| n.starts_with(p))
    })
}

fn files(dir: &Path) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut out = BTreeSet::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() {
            out.insert(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_the_seed_and_regression_folders() {
        let root = root();
        let targets = targets(&root).unwrap_or_default();
        assert!(targets.iter().any(|t| t == "inspect"), "{targets:?}");
        for kind in ["seeds", "regressions"] {
            for t in &targets {
                assert!(
                    root.join("fuzz").join(kind).join(t).is_dir(),
                    "fuzz/{kind}/{t}"
                );
            }
        }
    }

    #[test]
    fn only_failure_artifacts_count() {
        assert!(is_failure(Path::new("a/crash-1234")));
        assert!(is_failure(Path::new("a/timeout-1234")));
        assert!(!is_failure(Path::new("a/slow-unit-1234")));
        assert!(!is_failure(Path::new("a/.gitkeep")));
    }
}
