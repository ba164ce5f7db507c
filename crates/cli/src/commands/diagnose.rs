//! `mtlskit diagnose`: would this certificate be accepted for mTLS, and if not, why.
//!
//! Exit status: 0 accepted, 1 rejected, 2 usage or an unreadable file.

use std::io::Write;

use mtlskit_inspect::diagnose::{
    self, Diagnosis, Profile, Request, Role, Source, Verdict, Verifier,
};
use mtlskit_inspect::{inspect, ItemBody, Severity, Timestamp};

use super::describe_io;
use crate::args::{DiagnoseArgs, ProfileArg, RoleArg, VerifierArg};
use crate::Status;

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<Status> {
    match prepare(args) {
        Ok(status) => Ok(status),
        Err(message) => {
            eprintln!("mtlskit: {message}");
            Ok(Status::Usage)
        }
    }
}

/// Reads every file first (stage two of argument checking), then diagnoses.
fn prepare(args: &DiagnoseArgs) -> Result<Status, String> {
    let now = match &args.at {
        Some(at) => Timestamp::parse_rfc3339(at).map_err(|e| format!("--at: {e}"))?,
        None => Timestamp::now(),
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {}", describe_io(&e)));
    let certs = |path: &str| -> Result<Vec<Vec<u8>>, String> {
        diagnose::certificates_in(&read(path)?).map_err(|e| format!("{path}: {e}"))
    };
    let ca = certs(&args.ca)?;
    let leaf_file = certs(&args.cert)?;
    let extra = match &args.chain {
        Some(p) => certs(p)?,
        None => Vec::new(),
    };
    let mut crl_files = Vec::new();
    for path in &args.crl {
        let ders = diagnose::crls_in(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
        crl_files.push((path, ders));
    }
    let crls = crl_files
        .iter()
        .flat_map(|(path, ders)| {
            ders.iter().enumerate().map(move |(i, der)| Source {
                der,
                origin: format!("{path} #{i}"),
            })
        })
        .collect();
    let key_spki_sha256 = match &args.key {
        Some(p) => Some(key_fingerprint(p, &read(p)?)?),
        None => None,
    };
    let sources = |path: &str, ders: &[Vec<u8>]| -> Vec<(String, usize)> {
        (0..ders.len()).map(|i| (path.to_string(), i)).collect()
    };
    let mut chain: Vec<Source<'_>> = Vec::new();
    for ((path, i), der) in sources(&args.cert, &leaf_file).into_iter().zip(&leaf_file) {
        chain.push(Source {
            der,
            origin: format!("{path} #{i}"),
        });
    }
    if let Some(p) = &args.chain {
        for ((path, i), der) in sources(p, &extra).into_iter().zip(&extra) {
            chain.push(Source {
                der,
                origin: format!("{path} #{i}"),
            });
        }
    }
    let anchors = sources(&args.ca, &ca)
        .into_iter()
        .zip(&ca)
        .map(|((path, i), der)| Source {
            der,
            origin: format!("{path} #{i}"),
        })
        .collect();
    let role = match args.role {
        RoleArg::Client => Role::Client,
        RoleArg::Server => Role::Server,
    };
    let request = Request {
        anchors,
        chain,
        key_spki_sha256,
        role,
        host: args.host.clone(),
        now,
        crls,
        profile: match args.profile {
            ProfileArg::Rfc5280 => Profile::Rfc5280,
            ProfileArg::Webpki => Profile::WebPki,
        },
        verifier: match args.verifier {
            VerifierArg::Rfc5280 => Verifier::Rfc5280,
            VerifierArg::Rustls => Verifier::Rustls,
        },
        ..Default::default()
    };
    let diagnosis = diagnose::diagnose(&request).map_err(|e| format!("{}: {e}", args.cert))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &diagnosis).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
    } else {
        text(&diagnosis, role, &mut out).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(match diagnosis.verdict {
        Verdict::Accepted => Status::Ok,
        Verdict::Rejected => Status::Bad,
    })
}

fn key_fingerprint(path: &str, bytes: &[u8]) -> Result<String, String> {
    let report = inspect(path, bytes, None);
    if let Some(e) = report.errors.first() {
        return Err(format!("{path}: {}", e.message));
    }
    report
        .items
        .iter()
        .find_map(|i| match &i.body {
            ItemBody::PrivateKey(k) | ItemBody::PublicKey(k) => k.spki_sha256.clone(),
            _ => None,
        })
        .ok_or_else(|| format!("{path}: holds no key whose public key can be derived"))
}

fn text(d: &Diagnosis, role: Role, out: &mut impl Write) -> std::io::Result<()> {
    let role = match role {
        Role::Client => "TLS client",
        Role::Server => "TLS server",
    };
    match d.verdict {
        Verdict::Accepted => writeln!(out, "ACCEPTED as a {role}")?,
        Verdict::Rejected => writeln!(out, "REJECTED as a {role}")?,
    }
    for f in &d.findings {
        let mark = match f.severity {
            Severity::Error => "ERROR  ",
            Severity::Warning => "WARNING",
            Severity::Info => "info   ",
        };
        writeln!(out, "  {mark} {}: {}", f.code, f.message)?;
    }
    writeln!(out, "Chain:")?;
    for (i, (subject, sha)) in d.chain_subjects.iter().zip(&d.chain).enumerate() {
        writeln!(out, "  {i}  {subject}  sha256:{sha}")?;
    }
    Ok(())
}
