//! Running commands from xtask: from the repository root, echoed, with clear failures.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// A command that runs in the repository root.
pub fn new(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// Runs a command, echoing it, and fails with its status if it fails.
pub fn run(c: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: $ {}", show(c));
    let status = c
        .status()
        .with_context(|| format!("cannot start {}", show(c)))?;
    if !status.success() {
        bail!("{} failed ({status})", show(c));
    }
    Ok(())
}

/// Whether a command succeeds, quietly (for checks such as "is this installed?").
pub fn succeeds(c: &mut Command) -> bool {
    c.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A command's standard output, quietly; `None` when it cannot run or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a program is on the PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Cargo's target folder, as cargo itself resolves it (`CARGO_TARGET_DIR`, `build.target-dir`
/// of a config file, else `target/` in the root): the `target_directory` of
/// `cargo metadata --format-version 1 --no-deps`. Never guessed, so a target folder set by the
/// user is the one every command and test uses.
pub fn target_dir() -> anyhow::Result<PathBuf> {
    let mut c = new("cargo");
    c.args(["metadata", "--format-version", "1", "--no-deps"]);
    let json = output(&mut c).with_context(|| format!("{} failed", show(&c)))?;
    target_directory(&json)
        .map(PathBuf::from)
        .with_context(|| format!("no target_directory in the output of {}", show(&c)))
}

/// The `"target_directory"` string of `cargo metadata` JSON (a path holds no escapes here).
fn target_directory(json: &str) -> Option<String> {
    let key = "\"target_directory\":\"";
    let start = json.find(key)? + key.len();
    let len = json[start..].find('"')?;
    let value = &json[start..start + len];
    (!value.contains('\\')).then(|| value.to_string())
}

fn show(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
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
    fn the_target_folder_is_cargos() {
        let dir = target_dir().unwrap_or_default();
        assert!(dir.is_absolute(), "{}", dir.display());
    }
}
