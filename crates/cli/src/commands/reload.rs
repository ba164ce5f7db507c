//! `mtlskit reload --config FILE | --pid-file FILE`: check the config as `mtlskit check` does,
//! then send SIGHUP to the `mtlskit serve` running it (found by its `process.pid_file`, or
//! among the running processes by the config file they were started with). The server checks
//! again, swaps, and logs `reloaded` or `reload ... refused` with one line per problem.

use std::path::{Path, PathBuf};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::args::{ConfigArgs, ReloadArgs};
use crate::Status;

pub fn run(args: &ReloadArgs) -> anyhow::Result<Status> {
    let pids = if let Some(file) = &args.pid_file {
        match read_pid(file) {
            Ok(p) => vec![p],
            Err(message) => {
                eprintln!("mtlskit: {message}");
                return Ok(Status::Bad);
            }
        }
    } else if let Some(config_path) = &args.config {
        let config = match super::serve::load(&ConfigArgs {
            config: config_path.clone(),
        }) {
            Ok(c) => c,
            Err(status) => return Ok(status),
        };
        let f = mtlskit_proxy::check(&config);
        for w in &f.warnings {
            eprintln!("mtlskit: warning: {w}");
        }
        if !f.errors.is_empty() {
            for e in &f.errors {
                eprintln!("mtlskit: {e}");
            }
            eprintln!(
                "mtlskit: {}: not reloading: the configuration check failed (the server keeps its config)",
                config.path
            );
            return Ok(Status::Bad);
        }
        let found = match &config.process.pid_file {
            Some(p) => read_pid(&config.resolve(p)).map(|p| vec![p]),
            None => serving(config_path),
        };
        match found {
            Ok(p) => p,
            Err(message) => {
                eprintln!("mtlskit: {message}");
                return Ok(Status::Bad);
            }
        }
    } else {
        eprintln!("mtlskit: give --config FILE or --pid-file FILE");
        return Ok(Status::Usage);
    };
    for pid in pids {
        if let Err(e) = kill(Pid::from_raw(pid), Signal::SIGHUP) {
            eprintln!("mtlskit: cannot signal pid {pid}: {e}");
            return Ok(Status::Bad);
        }
        println!(
            "mtlskit: sent SIGHUP to mtlskit serve (pid {pid}); it logs \"reloaded\" or \"reload refused\" with the reasons"
        );
    }
    Ok(Status::Ok)
}

/// The pid in a pid file, if it is a running `mtlskit serve` (a stale file may name another
/// process by now).
fn read_pid(file: &Path) -> Result<i32, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let pid: i32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{}: does not hold a process id", file.display()))?;
    match arguments(pid) {
        Some(a) if is_serve(&a) => Ok(pid),
        Some(_) => Err(format!(
            "{}: pid {pid} is not an mtlskit serve process (a stale pid file?)",
            file.display()
        )),
        None => Err(format!(
            "{}: no process {pid} is running (a stale pid file?)",
            file.display()
        )),
    }
}

/// A process's arguments, from /proc.
fn arguments(pid: i32) -> Option<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

fn is_serve(args: &[String]) -> bool {
    args.first().is_some_and(|a| a.ends_with("mtlskit")) && args.iter().any(|a| a == "serve")
}

/// The `--config` of a `serve` command line.
fn config_of(args: &[String]) -> Option<&str> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().map(String::as_str);
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(v);
        }
    }
    None
}

/// The `mtlskit serve` processes whose `--config` is this file (compared after resolving each
/// against that process's working folder).
fn serving(config: &Path) -> Result<Vec<i32>, String> {
    let wanted = std::fs::canonicalize(config).map_err(|e| format!("{}: {e}", config.display()))?;
    let mut found = Vec::new();
    let me = std::process::id();
    let entries = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if u32::try_from(pid).ok() == Some(me) {
            continue;
        }
        let Some(args) = arguments(pid) else { continue };
        if !is_serve(&args) {
            continue;
        }
        let Some(c) = config_of(&args) else { continue };
        let mut path = PathBuf::from(c);
        if path.is_relative() {
            let Ok(cwd) = std::fs::read_link(format!("/proc/{pid}/cwd")) else {
                continue;
            };
            path = cwd.join(path);
        }
        if std::fs::canonicalize(&path).is_ok_and(|p| p == wanted) {
            found.push(pid);
        }
    }
    if found.is_empty() {
        return Err(format!(
            "no running `mtlskit serve --config {}` was found; give --pid-file (process.pid_file)",
            config.display()
        ));
    }
    Ok(found)
}
