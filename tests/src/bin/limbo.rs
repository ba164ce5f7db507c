//! `limbo [--out RESULTS] [LIMBO_JSON]`: runs the x509-limbo suite through the diagnosis engine
//! and the proxy's verifier (`cargo xtask limbo` runs this). Defaults: `testdata/limbo/limbo.json`
//! and `<target>/limbo/results.json`; the proxy harness's results go beside it
//! (`results-proxy.json`). Prints one summary line per harness.

use std::path::PathBuf;
use std::process::ExitCode;

use mtlskit_tests::limbo::{self, Summary};

fn main() -> ExitCode {
    let mut out: Option<PathBuf> = None;
    let mut suite: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => match args.next() {
                Some(p) => out = Some(PathBuf::from(p)),
                None => return usage("--out needs a file"),
            },
            "-h" | "--help" => return usage(""),
            other if other.starts_with('-') => return usage(&format!("unknown option {other}")),
            other => suite = Some(PathBuf::from(other)),
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let suite = suite.unwrap_or_else(|| root.join("testdata/limbo/limbo.json"));
    // This binary is <target>/<profile>/limbo.
    let target = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| root.join("target"));
    let out = out.unwrap_or_else(|| target.join("limbo/results.json"));
    match run(&suite, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("limbo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("limbo: {problem}");
    }
    eprintln!("usage: cargo xtask limbo [--out RESULTS] [LIMBO_JSON]");
    ExitCode::from(2)
}

fn run(suite: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    let cases = limbo::load(suite)?;
    let dir = out
        .parent()
        .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let scratch = tempdir()?;
    let diagnose: Vec<_> = cases.iter().map(limbo::run_diagnose).collect();
    let proxy: Vec<_> = cases
        .iter()
        .map(|c| limbo::run_proxy(c, &scratch))
        .collect();
    let _ = std::fs::remove_dir_all(&scratch);
    let as_proxy: Vec<_> = cases
        .iter()
        .map(|c| limbo::diagnose_as(c, mtlskit_inspect::diagnose::Verifier::Rustls))
        .collect();
    let proxy_out = out.with_file_name(format!(
        "{}-proxy.json",
        out.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("results")
    ));
    for (path, harness, results) in [
        (out, "mtlskit-diagnose", &diagnose),
        (proxy_out.as_path(), "mtlskit-proxy", &proxy),
    ] {
        std::fs::write(path, limbo::results_json(harness, results))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "limbo: {} ({harness}, {})",
            Summary::of(&cases, results),
            path.display()
        );
    }
    let unexplained = limbo::unexplained_refusals(&cases, &proxy, &as_proxy);
    println!(
        "limbo: {} cases the proxy refuses that diagnose (as the proxy) accepts",
        unexplained.len()
    );
    for u in &unexplained {
        println!("  {u}");
    }
    let unflagged = limbo::unflagged_refusals(&cases, &proxy);
    println!(
        "limbo: {} cases the proxy accepts that diagnose refuses without saying so",
        unflagged.len()
    );
    for u in &unflagged {
        println!("  {u}");
    }
    Ok(())
}

/// A fresh folder for the proxy harness's config files.
fn tempdir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("mtlskit-limbo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
