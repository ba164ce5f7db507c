//! `cargo xtask bench`: builds the release binary and runs the benchmarks side by side.
//!
//! The whole-process comparisons are the shell scripts in `bench/` (each prints a Markdown
//! table; `docs/benchmarks.md` keeps the measured ones); the in-process numbers are the
//! criterion benchmarks of `crates/inspect/benches/`.
//!
//! `bench` or `bench scripts` runs every `bench/*.sh`; `bench NAME [ARGS...]` runs
//! `bench/NAME.sh` with those arguments; `bench criterion` runs `cargo bench -p
//! mtlskit-inspect`; `bench all` runs both. Self-contained (std and anyhow only) so it does not
//! depend on the rest of xtask.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

const USAGE: &str = "usage: cargo xtask bench [scripts | criterion | all | NAME [ARGS...]]
  scripts (default)  build the release binary, run every bench/*.sh
  criterion          cargo bench -p mtlskit-inspect (in-process throughput)
  all                both
  NAME [ARGS...]     bench/NAME.sh ARGS (e.g. `ca_bundle /path/to/bundle.pem`)";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let root = root();
    let scripts = scripts(&root)?;
    match args.first().map(String::as_str) {
        None | Some("scripts") => run_scripts(&root, &scripts, &[]),
        Some("criterion") => criterion(&root),
        Some("all") => {
            run_scripts(&root, &scripts, &[])?;
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
            run_scripts(&root, std::slice::from_ref(script), &args[1..])
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

fn run_scripts(root: &Path, scripts: &[PathBuf], args: &[String]) -> anyhow::Result<()> {
    if scripts.is_empty() {
        bail!("no benchmark scripts in bench/");
    }
    step(
        Command::new("cargo")
            .current_dir(root)
            .args(["build", "--release", "-p", "mtlskit"]),
    )?;
    let binary = target_dir(root).join("release/mtlskit");
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

/// Cargo's target directory: `CARGO_TARGET_DIR`, else what `cargo metadata` says, else
/// `target/` in the root.
fn target_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return root.join(dir);
    }
    let metadata = Command::new("cargo")
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    metadata
        .as_deref()
        .and_then(target_directory)
        .map_or_else(|| root.join("target"), PathBuf::from)
}

/// The `"target_directory"` string of `cargo metadata` JSON (a path holds no escapes here).
fn target_directory(json: &str) -> Option<String> {
    let key = "\"target_directory\":\"";
    let start = json.find(key)? + key.len();
    let len = json[start..].find('"')?;
    let value = &json[start..start + len];
    (!value.contains('\\')).then(|| value.to_string())
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

    #[test]
    fn reads_the_target_directory_of_cargo_metadata() {
        let json = r#"{"packages":[],"target_directory":"/work/main/target","version":1}"#;
        assert_eq!(target_directory(json).as_deref(), Some("/work/main/target"));
        assert_eq!(target_directory("{}"), None);
    }

    #[test]
    fn the_ca_bundle_script_is_found() {
        let scripts = scripts(&root()).unwrap_or_default();
        assert!(
            scripts.iter().any(|s| s.ends_with("bench/ca_bundle.sh")),
            "{scripts:?}"
        );
    }
}
