//! `cargo xtask bench`: builds the release binary users deploy (profile-guided, as `cargo
//! xtask dist` builds it: [`crate::pgo`]; `--no-pgo` first: the plain release build) and runs
//! the benchmarks side by side.
//!
//! The whole-process comparisons are the shell scripts in `bench/` (each prints a Markdown
//! table; `docs/benchmarks.md` keeps the measured ones); the in-process numbers are the
//! criterion benchmarks of `crates/inspect/benches/`.
//!
//! `bench` or `bench scripts` runs every `bench/*.sh`; `bench NAME [ARGS...]` runs
//! `bench/NAME.sh` with those arguments; `bench criterion` runs `cargo bench -p
//! mtlskit-inspect`; `bench all` runs both.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::cmd;

const USAGE: &str =
    "usage: cargo xtask bench [--no-pgo] [scripts | criterion | all | NAME [ARGS...]]
  --no-pgo           the plain release build instead of the profile-guided one
  scripts (default)  build the release binary, run every bench/*.sh
  criterion          cargo bench -p mtlskit-inspect (in-process throughput)
  all                both
  NAME [ARGS...]     bench/NAME.sh ARGS (e.g. `ca_bundle /path/to/bundle.pem`, `soak`)";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let root = root();
    let scripts = scripts(&root)?;
    let (pgo, args) = match args.split_first() {
        Some((first, rest)) if first == "--no-pgo" => (false, rest),
        _ => (true, args),
    };
    match args.first().map(String::as_str) {
        None | Some("scripts") => run_scripts(&root, &scripts, &[], pgo),
        Some("criterion") => criterion(&root),
        Some("all") => {
            run_scripts(&root, &scripts, &[], pgo)?;
            criterion(&root)
        }
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(name) => {
            let Some(script) = scripts
                .iter()
                .find(|s| s.file_stem().is_some_and(|n| n == name))
            else {
                bail!("no benchmark '{name}' in bench/\n{USAGE}");
            };
            run_scripts(&root, std::slice::from_ref(script), &args[1..], pgo)
        }
    }
}

/// The repository root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// `bench/*.sh`, sorted.
fn scripts(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = root.join("bench");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sh") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn run_scripts(root: &Path, scripts: &[PathBuf], args: &[String], pgo: bool) -> anyhow::Result<()> {
    if scripts.is_empty() {
        bail!("no benchmark scripts in bench/");
    }
    let binary = if pgo {
        crate::pgo::build(&[])?
    } else {
        step(Command::new("cargo").current_dir(root).args([
            "build",
            "--release",
            "-p",
            "mtlskit",
        ]))?;
        cmd::target_dir()?.join("release/mtlskit")
    };
    if !binary.is_file() {
        bail!("the release build left no binary at {}", binary.display());
    }
    for script in scripts {
        step(
            Command::new("bash")
                .current_dir(root)
                .arg(script)
                .args(args)
                .env("MTLSKIT_BIN", &binary),
        )
        .with_context(|| format!("benchmark {} failed", script.display()))?;
    }
    Ok(())
}

fn criterion(root: &Path) -> anyhow::Result<()> {
    step(
        Command::new("cargo")
            .current_dir(root)
            .args(["bench", "-p", "mtlskit-inspect"]),
    )
}

fn step(c: &mut Command) -> anyhow::Result<()> {
    let shown = std::iter::once(c.get_program())
        .chain(c.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("xtask: $ {shown}");
    let status = c
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `bench/NAME.sh` that docs/benchmarks.md tells a reader to run is one that
    /// `cargo xtask bench NAME` finds.
    #[test]
    fn every_script_the_benchmarks_page_names_is_found() {
        let root = root();
        let scripts = scripts(&root).unwrap_or_default();
        let page = fs::read_to_string(root.join("docs/benchmarks.md")).unwrap_or_default();
        let named: std::collections::BTreeSet<&str> = page
            .match_indices("bench/")
            .filter_map(|(at, _)| {
                let rest = &page[at..];
                let end = rest.find(".sh")?;
                let name = &rest[..end + 3];
                name["bench/".len()..end]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    .then_some(name)
            })
            .collect();
        for name in ["bench/ca_bundle.sh", "bench/soak.sh", "bench/decrypt.sh"] {
            assert!(
                named.contains(name),
                "docs/benchmarks.md does not name {name}"
            );
        }
        for name in &named {
            assert!(
                scripts.iter().any(|s| s.ends_with(name)),
                "{name}: {scripts:?}"
            );
        }
    }
}
