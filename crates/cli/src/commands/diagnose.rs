//! `mtlskit diagnose`: would this certificate be accepted for mTLS, and if not, why; or, given
//! a capture, how each TLS handshake in it ended and why (the capture reader's decoding and
//! handshake diagnosis, decrypted with `--keylog` or the capture's own secrets).
//!
//! Exit status: 0 accepted (every captured handshake that can be read completed), 1 rejected
//! (a captured handshake failed, or the capture holds no TLS), 2 usage or an unreadable file.

use std::io::Write;

use mtlskit_inspect::diagnose::capture::{CaptureDiagnosis, Outcome, Readable};
use mtlskit_inspect::diagnose::{
    self, Diagnosis, Profile, Request, Role, Source, Verdict, Verifier,
};
use mtlskit_inspect::{
    inspect, inspect_with, Finding, Input, ItemBody, Options, Severity, Timestamp,
};

use super::{describe_io, read_key_log};
use crate::args::{DiagnoseArgs, ProfileArg, RoleArg, VerifierArg};
use crate::Status;

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<Status> {
    let result = match &args.capture {
        Some(path) => capture(args, path),
        None => prepare(args),
    };
    match result {
        Ok(status) => Ok(status),
        Err(message) => {
            eprintln!("mtlskit: {message}");
            Ok(Status::Usage)
        }
    }
}

fn now(args: &DiagnoseArgs) -> Result<Timestamp, String> {
    match &args.at {
        Some(at) => Timestamp::parse_rfc3339(at).map_err(|e| format!("--at: {e}")),
        None => Ok(Timestamp::now()),
    }
}

/// Reads every file first (stage two of argument checking), then diagnoses.
fn prepare(args: &DiagnoseArgs) -> Result<Status, String> {
    let now = now(args)?;
    let (Some(ca_path), Some(cert_path)) = (&args.ca, &args.cert) else {
        return Err("--ca and --cert are required without a capture".to_string());
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {}", describe_io(&e)));
    let certs = |path: &str| -> Result<Vec<Vec<u8>>, String> {
        diagnose::certificates_in(&read(path)?).map_err(|e| format!("{path}: {e}"))
    };
    let ca = certs(ca_path)?;
    let leaf_file = certs(cert_path)?;
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
    for ((path, i), der) in sources(cert_path, &leaf_file).into_iter().zip(&leaf_file) {
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
    let anchors = sources(ca_path, &ca)
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
    let diagnosis = diagnose::diagnose(&request).map_err(|e| format!("{cert_path}: {e}"))?;
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
        finding(f, out)?;
    }
    writeln!(out, "Chain:")?;
    for (i, (subject, sha)) in d.chain_subjects.iter().zip(&d.chain).enumerate() {
        writeln!(out, "  {i}  {subject}  sha256:{sha}")?;
    }
    Ok(())
}

/// `mtlskit diagnose CAPTURE [--keylog FILE]`: the capture decoded as `mtlskit inspect` does,
/// then each connection's diagnosis from the library.
fn capture(args: &DiagnoseArgs, path: &str) -> Result<Status, String> {
    let now = now(args)?;
    let key_log = match &args.keylog {
        Some(p) => Some(read_key_log(p).map_err(|e| format!("{p}: {e}"))?),
        None => None,
    };
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {}", describe_io(&e)))?;
    let mut options = Options::default();
    options.trees = false;
    options.key_log = key_log.as_ref();
    let report = inspect_with(
        &[Input {
            source: path,
            bytes: &bytes,
        }],
        Some(now),
        options,
    );
    if let Some(e) = report.errors.first() {
        return Err(format!("{path}: {}", e.message));
    }
    let Some((capture, findings)) = report.items.iter().find_map(|i| match &i.body {
        ItemBody::Capture(c) => Some((c, &i.findings)),
        _ => None,
    }) else {
        return Err(format!(
            "{path}: not a capture (pcap or pcapng); to check a certificate, give --ca and --cert"
        ));
    };
    let diagnosis = diagnose::capture::capture(capture, findings);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &diagnosis).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
    } else {
        capture_text(path, &diagnosis, &mut out).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    // Port and health checks without a ClientHello are neither failures nor handshakes.
    let handshakes = diagnosis.connections.len() - diagnosis.no_handshake;
    Ok(if diagnosis.failed > 0 || handshakes == 0 {
        Status::Bad
    } else {
        Status::Ok
    })
}

fn capture_text(path: &str, d: &CaptureDiagnosis, out: &mut impl Write) -> std::io::Result<()> {
    let checks = match d.no_handshake {
        0 => String::new(),
        n => format!(" ({n} without a ClientHello: port or health checks, listed last)"),
    };
    writeln!(
        out,
        "{path}: {} TLS connections: {} completed, {} failed, {} unknown{checks}",
        d.connections.len() - d.no_handshake,
        d.completed,
        d.failed,
        d.unknown
    )?;
    if let Some(k) = &d.key_log {
        let from = if k.from_capture {
            " (with the capture's Decryption Secrets Block)"
        } else {
            ""
        };
        writeln!(
            out,
            "  Key log: {} secrets for {} connections{from}; {} of the capture's connections matched, {} decrypted",
            k.secrets, k.client_randoms, k.connections_matched, k.connections_decrypted
        )?;
    }
    for f in &d.findings {
        finding(f, out)?;
    }
    // The handshakes first; the connections without one, a line each, at the end.
    let (handshakes, checks): (Vec<_>, Vec<_>) = d
        .connections
        .iter()
        .partition(|c| c.outcome != Outcome::NoHandshake);
    for c in handshakes {
        let verdict = match c.outcome {
            Outcome::Completed => "COMPLETED",
            Outcome::Failed => "FAILED",
            Outcome::Unknown | Outcome::NoHandshake => "UNKNOWN",
        };
        let about: Vec<&str> = match &c.version {
            Some(version) => [Some(version.as_str()), c.cipher_suite.as_deref()]
                .into_iter()
                .flatten()
                .chain([c.readable.as_str()])
                .collect(),
            None => vec!["no ServerHello"],
        };
        writeln!(
            out,
            "\n{} -> {}: {verdict} ({})",
            c.client,
            c.server,
            about.join(", ")
        )?;
        if let Some(cas) = &c.requested_cas {
            let cas = if cas.is_empty() {
                "any CA it trusts".to_string()
            } else {
                cas.join("; ")
            };
            writeln!(out, "  Client certificate requested, issued by: {cas}")?;
        }
        match (&c.client_certificate, &c.client_certificate_issuer) {
            (Some(subject), Some(issuer)) => writeln!(
                out,
                "  Client certificate sent: {subject} (issued by {issuer})"
            )?,
            (Some(subject), None) => writeln!(out, "  Client certificate sent: {subject}")?,
            _ if c.client_certificate_empty => writeln!(
                out,
                "  Client certificate sent: none (an empty Certificate message)"
            )?,
            _ => {}
        }
        if let Some(a) = &c.alert {
            let how = if a.decrypted { " (decrypted)" } else { "" };
            writeln!(out, "  Alert: {a}{how}")?;
        }
        if c.outcome == Outcome::Unknown && c.readable == Readable::Encrypted {
            writeln!(
                out,
                "  TLS 1.3 encrypts the certificate messages and alerts: give the key log the client \
                 or server wrote (--keylog FILE) to read them"
            )?;
        }
        for f in &c.findings {
            finding(f, out)?;
        }
    }
    if !checks.is_empty() {
        writeln!(
            out,
            "\nWithout a ClientHello (the client sent none, or the capture started after it):"
        )?;
    }
    for c in &checks {
        let ended = c
            .alert
            .as_ref()
            .map(|a| format!(": {a}"))
            .unwrap_or_default();
        writeln!(out, "  {} -> {}{ended}", c.client, c.server)?;
    }
    Ok(())
}

fn finding(f: &Finding, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "  {} {}: {}", mark(f.severity), f.code, f.message)
}

fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR  ",
        Severity::Warning => "WARNING",
        Severity::Info => "info   ",
    }
}
