//! `mtlskit pki`: init, csr, sign, revoke and crl, with arguments checked before anything is generated.

use std::path::{Path, PathBuf};

use mtlskit_pki::{self as pki, Ca, InitOptions, KeyAlgorithm, Options, Role};

use crate::args::{
    KeyOptions, PkiCommand, PkiCrlArgs, PkiCsrArgs, PkiInitArgs, PkiRevokeArgs, PkiSignArgs,
};
use crate::Status;

pub fn run(command: &PkiCommand) -> anyhow::Result<Status> {
    let result = match command {
        PkiCommand::Init(a) => init(a),
        PkiCommand::Csr(a) => csr(a),
        PkiCommand::Sign(a) => sign(a),
        PkiCommand::Revoke(a) => revoke(a),
        PkiCommand::Crl(a) => crl(a),
    };
    match result {
        Ok(()) => Ok(Status::Ok),
        Err(Failure::Usage(message)) => {
            eprintln!("mtlskit: {message}");
            Ok(Status::Usage)
        }
        Err(Failure::Bad(message)) => {
            eprintln!("mtlskit: {message}");
            Ok(Status::Bad)
        }
    }
}

/// Usage problems (bad flags, unreadable or existing files) exit 2; bad inputs exit 1.
enum Failure {
    Usage(String),
    Bad(String),
}

impl From<pki::Error> for Failure {
    fn from(e: pki::Error) -> Self {
        match e {
            pki::Error::BadInput { .. } | pki::Error::Generate(_) => Failure::Bad(e.to_string()),
            _ => Failure::Usage(e.to_string()),
        }
    }
}

fn options(k: &KeyOptions) -> Result<Options, Failure> {
    let algorithm: KeyAlgorithm = k.algorithm.parse()?;
    if k.days == 0 {
        return Err(Failure::Usage("--days must be at least 1".into()));
    }
    let mut o = Options::default();
    o.algorithm = algorithm;
    o.days = k.days;
    Ok(o)
}

fn init(a: &PkiInitArgs) -> Result<(), Failure> {
    let mut opts = InitOptions::default();
    opts.options = options(&a.key)?;
    opts.intermediate = a.intermediate;
    opts.server_sans = pki::parse_sans(&a.server_san)?;
    opts.ca_cn = a.ca_name.clone();
    opts.force = a.key.force;
    let written = pki::init(&a.dir, &opts)?;
    for (path, private) in &written.files {
        let note = if *private {
            "  (private key, mode 0600)"
        } else {
            ""
        };
        println!("wrote {}{note}", path.display());
    }
    Ok(())
}

fn csr(a: &PkiCsrArgs) -> Result<(), Failure> {
    let opts = options(&a.key)?;
    let sans = pki::parse_sans(a.san.as_deref().unwrap_or(""))?;
    let (csr_path, key_path) = (with_suffix(&a.out, "csr"), with_suffix(&a.out, "key"));
    if !a.key.force {
        for p in [&csr_path, &key_path] {
            if p.exists() {
                return Err(pki::Error::Exists(p.clone()).into());
            }
        }
    }
    let (csr, key) = pki::new_csr(&a.cn, &sans, opts.algorithm)?;
    pki::write_private(&key_path, &key, a.key.force)?;
    pki::write_public(&csr_path, &csr, a.key.force)?;
    println!("wrote {}  (private key, mode 0600)", key_path.display());
    println!("wrote {}", csr_path.display());
    Ok(())
}

fn sign(a: &PkiSignArgs) -> Result<(), Failure> {
    if a.days == 0 {
        return Err(Failure::Usage("--days must be at least 1".into()));
    }
    if a.out.exists() && !a.force {
        return Err(pki::Error::Exists(a.out.clone()).into());
    }
    let csr = read(&a.csr)?;
    // An intermediate made by `pki init --intermediate` signs when present; the chain file then
    // holds the leaf followed by the intermediate.
    let inter = a.ca_dir.join("intermediate.pem");
    let (signer, tail) = if inter.exists() {
        let cert = read(&inter)?;
        (
            Ca::from_pem(&cert, &read(&a.ca_dir.join("intermediate.key"))?)?,
            cert,
        )
    } else {
        let cert = read(&a.ca_dir.join("ca.pem"))?;
        (
            Ca::from_pem(&cert, &read(&a.ca_dir.join("ca.key"))?)?,
            String::new(),
        )
    };
    let role = if a.client { Role::Client } else { Role::Server };
    let cert = pki::sign_csr(&signer, &csr, role, a.days)?;
    pki::write_public(&a.out, &(cert + &tail), a.force)?;
    println!("wrote {}", a.out.display());
    Ok(())
}

fn revoke(a: &PkiRevokeArgs) -> Result<(), Failure> {
    let reason = pki::revoke::parse_reason(&a.reason)?;
    let cert = read(&a.cert)?;
    let now = mtlskit_inspect::Timestamp::now();
    let done = pki::revoke::revoke(&a.ca_dir, &cert, reason, now.0)?;
    let serial = pki::revoke::serial_hex(&done.entry.serial);
    if done.already {
        println!(
            "{} (serial {serial}) was revoked already, on {} ({})",
            done.subject,
            mtlskit_inspect::Timestamp(done.entry.at),
            done.entry.reason
        );
    } else {
        println!(
            "revoked {} (serial {serial}, {}) in {}",
            done.subject,
            done.entry.reason,
            a.ca_dir.join(pki::revoke::REVOKED_FILE).display()
        );
        println!(
            "next: mtlskit pki crl --ca-dir {} --out FILE, then reload the servers that read it",
            a.ca_dir.display()
        );
    }
    Ok(())
}

fn crl(a: &PkiCrlArgs) -> Result<(), Failure> {
    if a.days == 0 {
        return Err(Failure::Usage("--days must be at least 1".into()));
    }
    let now = mtlskit_inspect::Timestamp::now();
    let done = pki::revoke::crl(&a.ca_dir, a.days, now.0, &a.out)?;
    for c in &done.crls {
        println!("CRL {} of {}: {} revoked", done.number, c.issuer, c.entries);
    }
    println!(
        "wrote {} (next update {})",
        done.path.display(),
        mtlskit_inspect::Timestamp(done.next_update)
    );
    Ok(())
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}

fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}
