//! `cargo xtask`: the project's own automation, so a fresh Debian machine with only the Rust
//! toolchain needs two commands (README): `cargo xtask demo` and `cargo xtask test`.
//!
//! Subcommands: `setup` installs what the tests need (idempotently), `test` runs setup and every
//! check CI runs, `demo` builds and runs the whole mTLS setup locally, `dist` builds the one
//! deployable binary (the page inside), `fuzz`, `bench` and `web` run the fuzz targets, the
//! benchmarks and the web inspector's own tasks, `limbo` the x509-limbo conformance harness.

mod bench;
mod cmd;
mod demo;
mod dist;
mod fuzz;
mod install;
mod limbo;
mod pgo;
mod setup;
mod test;
mod web;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <setup|test|demo|dist|fuzz|bench|web|limbo> [args]
  setup           install the tools and packages the tests need (idempotent)
  test            setup, then fmt, clippy, the no_std build, all tests (Rust, wasm, browser)
                  and a fuzz smoke run; --no-fuzz skips the fuzz run
  demo            build the page and the binary in release mode and run `mtlskit demo`
  dist [--deb] [--no-pgo]
                  the release binary with the page inside, profile-guided (PGO), stripped, in
                  <target>/dist/; --deb also the Debian package, installed and removed again
                  to test it; --no-pgo the plain release build
  fuzz smoke|run  run the fuzz targets (cargo-fuzz, nightly)
  bench           [--no-pgo] run the benchmarks (on the PGO build) and print the comparisons
  web             setup | build [--release] | serve | test | bench: the web inspector
  limbo           [--out RESULTS] [LIMBO_JSON]: the x509-limbo conformance harness";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        "setup" => setup::run(setup::Need::Test),
        "test" => test::run(rest),
        "demo" => demo::run(rest),
        "dist" => dist::run(rest),
        "fuzz" => setup::run(setup::Need::Test).and_then(|()| fuzz::run(rest)),
        "bench" => setup::run(setup::Need::Bench).and_then(|()| bench::run(rest)),
        "web" => web::run(rest),
        "limbo" => limbo::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("xtask: unknown command '{other}'\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}
