//! `cargo xtask setup`: install what the project needs on a fresh Debian machine, idempotently.
//!
//! Every step checks first and installs only what is missing, so running it twice does
//! nothing the second time. Only package registries are reachable: apt, crates.io, rustup's
//! components and toolchains, npm.

use crate::cmd;
use crate::install::{apt, rustup_component, rustup_target};

/// What the caller is about to do, which decides what must be installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The demo: the release binary and the release page.
    Demo,
    /// Every test, lint and the fuzz smoke run.
    Test,
    /// The benchmarks: what the tests need plus the comparison tools.
    Bench,
}

/// Debian packages, with the reason each is needed.
const APT_DEMO: &[&str] = &[
    "openssl",         // makes test certificates; the reference decoder for inspect
    "ca-certificates", // the system CA bundle the tests and the benchmark decode
];
const APT_TEST: &[&str] = &[
    "build-essential", // cc for the fuzz targets' sanitizer runtime and -sys crates
    "cmake",           // aws-lc-sys (rustls' crypto provider) may build with it
    "tshark",          // captures handshakes on loopback; the reference TLS dissector
    "nginx-light",     // a real mTLS peer for the proxy's tests
    "curl",            // a real client for the proxy's tests
];
const APT_BENCH: &[&str] = &[
    "hyperfine",  // times whole commands (bench/*.sh)
    "linux-perf", // the proxy's CPU profiles (bench/proxy.sh PROFILE=dir)
    "time",       // GNU time: the peak RSS (%M) of bench/capture_scale.sh
];

/// A tool from crates.io, pinned: the crate, its version, and the command that prints the
/// installed version.
type CargoTool = (&'static str, &'static str, &'static [&'static str]);
const CARGO_FUZZ: CargoTool = ("cargo-fuzz", "0.13.2", &["cargo", "fuzz", "--version"]); // the fuzz smoke run
/// `cargo xtask dist --deb` (the Debian package).
const CARGO_DEB: CargoTool = ("cargo-deb", "3.8.0", &["cargo", "deb", "--version"]);
const CARGO_BENCH: &[CargoTool] = &[
    // HTTP load with client certificates (bench/proxy.sh)
    ("oha", "1.16.0", &["oha", "--version"]),
    // flamegraphs of the proxy's perf profiles (bench/proxy.sh PROFILE=dir)
    ("inferno", "0.12.8", &["inferno-flamegraph", "--version"]),
];

pub fn run(need: Need) -> anyhow::Result<()> {
    let mut packages: Vec<&str> = APT_DEMO.to_vec();
    if need != Need::Demo {
        packages.extend(APT_TEST);
    }
    if need == Need::Bench {
        packages.extend(APT_BENCH);
        cargo_deb()?; // bench measures the dist binary; dist --deb packages it
    }
    apt(&packages)?;
    rustup_component("rustfmt")?;
    rustup_component("clippy")?;
    // The web inspector's toolchain: the demo serves the page, the tests drive it.
    crate::web::setup()?;
    if need == Need::Demo {
        return Ok(());
    }
    rustup_target("x86_64-unknown-none")?; // the no_std build check of crates/inspect
    nightly()?;
    cargo_tool(CARGO_FUZZ)?;
    if need == Need::Bench {
        for tool in CARGO_BENCH {
            cargo_tool(*tool)?;
        }
    }
    python_module("httplib2")?; // the classic client script (docs/architecture.md), ported to Python 3
    python_module("h2")?; // the proxy's h2 tests drive frames by hand (tests/tests/proxy)
    python_module("prometheus_client")?; // parses the proxy's /metrics as Prometheus would
    Ok(())
}

/// A Python module for the `python3` on the PATH (which need not be Debian's).
fn python_module(name: &str) -> anyhow::Result<()> {
    if cmd::succeeds(cmd::new("python3").args(["-c", &format!("import {name}")])) {
        return Ok(());
    }
    let mut pip = cmd::new("python3");
    pip.args(["-m", "pip", "install", "--quiet", name]);
    // Debian's own python3 refuses system-wide pip installs unless told.
    pip.env("PIP_BREAK_SYSTEM_PACKAGES", "1");
    cmd::run(&mut pip)
}

fn nightly() -> anyhow::Result<()> {
    if cmd::succeeds(cmd::new("rustup").args(["run", "nightly", "rustc", "--version"])) {
        return Ok(());
    }
    cmd::run(cmd::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))
}

/// `cargo install --locked` of a pinned crate, unless that version is on the PATH already.
fn cargo_tool((krate, version, check): CargoTool) -> anyhow::Result<()> {
    let found = check
        .split_first()
        .and_then(|(program, args)| cmd::output(cmd::new(program).args(args)));
    if found.is_some_and(|v| v.contains(version)) {
        return Ok(());
    }
    cmd::run(cmd::new("cargo").args(["install", "--locked", krate, "--version", version]))
}

/// cargo-deb, for `cargo xtask dist --deb` (the Debian package).
pub fn cargo_deb() -> anyhow::Result<()> {
    cargo_tool(CARGO_DEB)
}
