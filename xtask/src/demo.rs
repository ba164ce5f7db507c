//! `cargo xtask demo`: the README's first command.
//!
//! Installs what is missing, builds the web inspector (trunk, release) and the binary (release),
//! then replaces itself with `mtlskit demo --web dist`, so Ctrl-C reaches the demo directly and
//! it stops cleanly. Arguments after `demo` go to `mtlskit demo` (e.g. `--dir DIR`).

use std::os::unix::process::CommandExt;

use anyhow::Context;

use crate::cmd;
use crate::setup::{self, Need};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    setup::run(Need::Demo)?;
    crate::web::build(true)?;
    cmd::run(cmd::new("cargo").args(["build", "--release", "-p", "mtlskit"]))?;
    let bin = cmd::target_dir()?.join("release").join("mtlskit");
    let dist = cmd::root().join("dist");
    eprintln!(
        "xtask: $ {} demo --web {} {}",
        bin.display(),
        dist.display(),
        args.join(" ")
    );
    let err = cmd::new(&bin.to_string_lossy())
        .arg("demo")
        .arg("--web")
        .arg(&dist)
        .args(args)
        .exec();
    Err(err).context("cannot start mtlskit demo")
}
