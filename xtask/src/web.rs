//! `cargo xtask web`: the web inspector's toolchain, build, tests and local server.
//!
//! - `setup()` installs, idempotently: the wasm32 target, trunk 0.21.14, wasm-bindgen-cli at the
//!   version pinned in the root Cargo.toml, Debian's chromium and chromium-driver, and the npm
//!   packages of tests/browser (playwright-core; binaryen@132, whose wasm-opt trunk runs; axe-core
//!   for the accessibility audit; pngjs and pixelmatch for the screenshot references).
//! - `build(release)` runs trunk from the repository root into dist/ (`--release` applies
//!   wasm-opt), with tests/browser/node_modules/.bin first on the PATH so trunk finds wasm-opt.
//! - `test()` runs the inspect crate's wasm-bindgen tests in Node and headless Chromium, builds
//!   the release page and runs the playwright-core tests against a static server they start on
//!   127.0.0.1; screenshots go to browser-artifacts/ in cargo's target folder.
//! - `bench()` builds the release page and runs bench/web.mjs and bench/web_stream.mjs.
//!
//! Offline: trunk never downloads (Trunk.toml `offline = true`), the page loads nothing else.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use crate::cmd;

/// The trunk version docs/architecture.md names (0.22 needs a newer rustc).
pub const TRUNK: &str = "0.21.14";

/// The playwright-core test files of tests/browser.
const BROWSER_TESTS: &[&str] = &["inspector.test.mjs", "controls.test.mjs", "stream.test.mjs"];

/// The npm packages of tests/browser/package.json besides binaryen (checked by `setup`).
const NODE_PACKAGES: &[&str] = &["playwright-core", "axe-core", "pngjs", "pixelmatch"];

const USAGE: &str = "usage: cargo xtask web <setup|build [--release]|serve|test|bench>";

/// `cargo xtask web ...`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let release = args.iter().any(|a| a == "--release");
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("build") => setup().and_then(|()| build(release)),
        Some("serve") => setup().and_then(|()| serve()),
        Some("test") => setup().and_then(|()| test()),
        Some("bench") => setup().and_then(|()| bench()),
        _ => bail!("{USAGE}"),
    }
}

/// Installs what building and testing the page needs; does nothing when it is all there.
pub fn setup() -> anyhow::Result<()> {
    crate::install::rustup_target("wasm32-unknown-unknown")?;
    let trunk = cmd::output(cmd::new("trunk").arg("--version"));
    if trunk.is_none_or(|v| v.split_whitespace().nth(1) != Some(TRUNK)) {
        cmd::run(cmd::new("cargo").args(["install", "--locked", "trunk", "--version", TRUNK]))?;
    }
    let pinned = wasm_bindgen_version()?;
    let installed = cmd::output(cmd::new("wasm-bindgen").arg("--version"));
    if installed.is_none_or(|v| v.split_whitespace().nth(1) != Some(pinned.as_str())) {
        // Without --locked: the CLI's lockfile names a crate version the registry lacks.
        cmd::run(cmd::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &pinned]))?;
    }
    crate::install::apt(&["chromium", "chromium-driver"])?;
    let browser = browser_dir();
    let installed = |path: &str| browser.join("node_modules").join(path).is_file();
    let missing = !installed(".bin/wasm-opt")
        || NODE_PACKAGES
            .iter()
            .any(|p| !installed(&format!("{p}/package.json")));
    if missing {
        cmd::run(
            cmd::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&browser),
        )?;
    }
    Ok(())
}

/// Builds the page into dist/ (release: optimised, wasm-opt applied).
pub fn build(release: bool) -> anyhow::Result<()> {
    let mut trunk = tool("trunk")?;
    trunk.arg("build");
    if release {
        trunk.arg("--release");
    }
    cmd::run(&mut trunk)
}

/// Serves the page on http://127.0.0.1:8080 with live reload (Trunk.toml `[serve]`).
pub fn serve() -> anyhow::Result<()> {
    cmd::run(tool("trunk")?.arg("serve"))
}

/// The page's tests: wasm-bindgen tests of the inspect crate in Node and headless Chromium, then
/// the release build and the playwright-core tests in tests/browser.
pub fn test() -> anyhow::Result<()> {
    for test in ["inspect_wasm_node", "inspect_wasm_browser"] {
        let mut c = tool("cargo")?;
        c.args([
            "test",
            "-p",
            "mtlskit-web",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--test", test]);
        browser_env(&mut c)?;
        cmd::run(&mut c).with_context(|| format!("wasm-bindgen tests ({test})"))?;
    }
    build(true)?;
    build_mtlskit()?;
    let mut node = tool("node")?;
    node.current_dir(browser_dir())
        .args(["--test", "--test-concurrency=1"])
        .args(BROWSER_TESTS);
    browser_env(&mut node)?;
    cmd::run(&mut node).context("browser tests (tests/browser)")
}

/// The browser test of the page as the binary `bin` serves it (tests/browser/binary.test.mjs:
/// `mtlskit web` and the admin listener's /inspect/), for `cargo xtask dist`: only a binary
/// built with the page inside has one to serve.
pub fn test_binary(bin: &std::path::Path) -> anyhow::Result<()> {
    let mut node = tool("node")?;
    node.current_dir(browser_dir())
        .args(["--test", "--test-concurrency=1", "binary.test.mjs"]);
    browser_env(&mut node)?;
    node.env("MTLSKIT_BIN", bin);
    cmd::run(&mut node).context("browser test of the dist binary (tests/browser/binary.test.mjs)")
}

/// The page's benchmarks: bench/web.mjs (gzip size of the release build, drop-to-rendered
/// time) and bench/web_stream.mjs (a 100 MB capture read as a stream: time to the summary, the
/// longest wait of a timer meanwhile).
pub fn bench() -> anyhow::Result<()> {
    build(true)?;
    build_mtlskit()?;
    for script in ["bench/web.mjs", "bench/web_stream.mjs"] {
        let mut node = tool("node")?;
        node.arg(cmd::root().join(script));
        browser_env(&mut node)?;
        cmd::run(&mut node).with_context(|| format!("the page's benchmark {script}"))?;
    }
    Ok(())
}

/// The debug `mtlskit` binary: the browser tests and the benchmark make their certificates and
/// captures with it (`pki init`, `probe --save-handshake`); MTLSKIT_BIN points them to it.
fn build_mtlskit() -> anyhow::Result<()> {
    let mut c = cmd::new("cargo");
    c.args(["build", "-p", "mtlskit", "--bin", "mtlskit"]);
    cmd::run(&mut c).context("building the mtlskit binary for the browser tests")
}

/// A command with the project's tools first on the PATH: tests/browser/node_modules/.bin (the
/// wasm-opt trunk looks up there) and cargo's bin folder (trunk, wasm-bindgen).
fn tool(program: &str) -> anyhow::Result<Command> {
    let mut dirs = vec![browser_dir().join("node_modules/.bin")];
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    let old = std::env::var_os("PATH").unwrap_or_default();
    dirs.extend(std::env::split_paths(&old));
    let path: OsString = std::env::join_paths(dirs).context("PATH")?;
    let mut c = cmd::new(program);
    c.env("PATH", path);
    Ok(c)
}

/// Where the browser tests and the benchmark find Chromium, its driver, the page, the mtlskit
/// binary and where to put screenshots (the last two in cargo's target folder, wherever the
/// user put it).
fn browser_env(c: &mut Command) -> anyhow::Result<()> {
    let root = cmd::root();
    let target = cmd::target_dir()?;
    c.env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("CHROMIUM", "/usr/bin/chromium")
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            browser_dir().join("webdriver.json"),
        )
        .env("MTLSKIT_DIST", root.join("dist"))
        .env("MTLSKIT_BIN", target.join("debug").join("mtlskit"))
        .env("MTLSKIT_ARTIFACTS", target.join("browser-artifacts"));
    Ok(())
}

fn browser_dir() -> PathBuf {
    cmd::root().join("tests/browser")
}

/// The `wasm-bindgen = "=X"` pin of the root Cargo.toml.
fn wasm_bindgen_version() -> anyhow::Result<String> {
    let manifest = cmd::root().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("wasm-bindgen = \"="))
        .find_map(|rest| rest.split('"').next().map(str::to_string))
        .context("the root Cargo.toml pins no wasm-bindgen = \"=X\"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_wasm_bindgen_pin() {
        let v = super::wasm_bindgen_version().unwrap_or_default();
        assert!(v.starts_with("0.2."), "{v}");
    }
}
