//! Installing one thing if it is missing: Debian packages and rustup components and targets.
//! Shared by `setup` (what the tests need) and `web` (the page's toolchain), so neither
//! reaches into the other.

use anyhow::Context;

use crate::cmd;

/// Installs the Debian packages that are missing (none: nothing runs).
pub fn apt(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            let status = cmd::output(cmd::new("dpkg-query").args(["-W", "-f=${Status}", p]));
            !status.is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    let sudo = !is_root() && cmd::have("sudo");
    let apt_get = |args: &[&str]| {
        let mut c = if sudo {
            cmd::new("sudo")
        } else {
            cmd::new("apt-get")
        };
        if sudo {
            c.arg("apt-get");
        }
        c.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        c
    };
    cmd::run(&mut apt_get(&["update", "-q"])).context("apt-get update")?;
    let mut install = apt_get(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    cmd::run(&mut install).context("installing Debian packages")
}

fn is_root() -> bool {
    cmd::output(cmd::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

pub fn rustup_component(name: &str) -> anyhow::Result<()> {
    let installed = cmd::output(cmd::new("rustup").args(["component", "list", "--installed"]));
    if installed.is_some_and(|s| s.lines().any(|l| l.starts_with(name))) {
        return Ok(());
    }
    cmd::run(cmd::new("rustup").args(["component", "add", name]))
}

pub fn rustup_target(target: &str) -> anyhow::Result<()> {
    let installed = cmd::output(cmd::new("rustup").args(["target", "list", "--installed"]));
    if installed.is_some_and(|s| s.lines().any(|l| l.trim() == target)) {
        return Ok(());
    }
    cmd::run(cmd::new("rustup").args(["target", "add", target]))
}
