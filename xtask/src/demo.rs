//! `cargo xtask demo`: the README's first command.
//!
//! Until the PKI, proxy and demo issues land, the demo makes a small mTLS PKI with openssl (a
//! CA, a server certificate for localhost, a client certificate, their keys and a CSR) in
//! `target/mtlskit-demo/` and shows what `mtlskit inspect` says about it: the text view, the
//! key matched to its certificate, the JSON report, and the same files evaluated in 2100.

use std::fs;
use std::path::Path;

use anyhow::Context;

use crate::cmd;
use crate::setup::{self, Need};

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    setup::run(Need::Demo)?;
    cmd::run(cmd::new("cargo").args(["build", "-q", "-p", "mtlskit"]))?;
    let dir = cmd::root().join("target").join("mtlskit-demo");
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    fs::create_dir_all(&dir)?;
    make_pki(&dir)?;
    let bin = cmd::root().join("target").join("debug").join("mtlskit");
    let bin = bin.to_string_lossy();
    let show = |title: &str, args: &[&str]| -> anyhow::Result<()> {
        println!("\n=== {title}\n$ mtlskit {}", args.join(" "));
        let mut c = cmd::new(&bin);
        c.current_dir(&dir).args(args);
        // Exit status 1 (a finding-free but bad input) is part of the show, not a failure.
        let status = c.status().context("running mtlskit")?;
        anyhow::ensure!(
            status.code().is_some_and(|c| c <= 1),
            "mtlskit failed ({status})"
        );
        Ok(())
    };
    show(
        "The CA, the server and client certificates, a key and a CSR",
        &[
            "inspect",
            "ca.pem",
            "server.pem",
            "client.pem",
            "client.key",
            "client.csr",
        ],
    )?;
    show(
        "The JSON report of the client certificate (docs/report-format.md)",
        &["inspect", "--json", "client.pem"],
    )?;
    show(
        "The same server certificate evaluated in the year 2100",
        &["inspect", "--at", "2100-01-01T00:00:00Z", "server.pem"],
    )?;
    show(
        "A key that belongs to another certificate",
        &["inspect", "server.pem", "client.key"],
    )?;
    println!(
        "\nThe files are in {}; try `target/debug/mtlskit inspect FILE...`.",
        dir.display()
    );
    Ok(())
}

/// A P-256 CA, a server certificate (serverAuth, localhost) and a client one (clientAuth).
fn make_pki(dir: &Path) -> anyhow::Result<()> {
    let ext = "[server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
               extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n\
               [client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
               extendedKeyUsage=clientAuth\nsubjectAltName=email:demo@example.com\n";
    fs::write(dir.join("ext.cnf"), ext)?;
    let openssl = |args: &[&str]| -> anyhow::Result<()> {
        let mut c = cmd::new("openssl");
        c.current_dir(dir)
            .args(args)
            .stdin(std::process::Stdio::null());
        let out = c.output().context("running openssl")?;
        anyhow::ensure!(
            out.status.success(),
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509", "-new"],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "3650",
                "-subj",
                "/O=mtlskit demo/CN=mtlskit demo CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE,pathlen:0",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        ]
        .concat(),
    )?;
    for (name, cn, serial) in [
        ("server", "localhost", "0x1001"),
        ("client", "demo client", "0x1002"),
    ] {
        let (key, csr, pem, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("/O=mtlskit demo/CN={cn}"),
        );
        openssl(
            &[
                &["req", "-new"],
                &ec[..],
                &["-keyout", &key, "-out", &csr, "-subj", &subj],
            ]
            .concat(),
        )?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            serial,
            "-days",
            "365",
            "-extfile",
            "ext.cnf",
            "-extensions",
            name,
            "-out",
            &pem,
        ])?;
    }
    for key in ["ca.key", "server.key", "client.key"] {
        set_private(&dir.join(key))?;
    }
    Ok(())
}

/// Key files are readable by their owner only.
fn set_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))
}
