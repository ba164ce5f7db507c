//! The human view of a report: findings first, aligned field names, dates with distances.
//!
//! Meant to beat `openssl x509 -text` at a glance: what is wrong comes first, then the fields a
//! person compares (subject, issuer, validity, names, key, usages, fingerprints), then every
//! extension.

mod capture;
mod probe;
mod summary;
mod tls;

pub use probe::probe;
pub use summary::summary;

use std::io::{self, Write};

use mtlskit_inspect::time::relative_days;
use mtlskit_inspect::{Certificate, Crl, Csr, Extension, Key, PublicKeyInfo};
use mtlskit_inspect::{Item, ItemBody, Report, Severity, Timestamp};

const WIDTH: usize = 20;

/// Writes the text view of a whole report.
pub fn text(report: &Report, now: Timestamp, out: &mut impl Write) -> io::Result<()> {
    for (i, item) in report.items.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        render_item(item, now, out)?;
    }
    if report.items.is_empty() && report.errors.is_empty() {
        writeln!(out, "nothing to show")?;
    }
    Ok(())
}

fn render_item(item: &Item, now: Timestamp, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{} #{}: {} ({})",
        item.source,
        item.index,
        item.body.kind().replace('_', " "),
        item.encoding
    )?;
    let mut findings: Vec<_> = item.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        let mark = match f.severity {
            Severity::Error => "ERROR  ",
            Severity::Warning => "WARNING",
            Severity::Info => "info   ",
        };
        writeln!(out, "  {mark} {}: {}", f.code, f.message)?;
    }
    match &item.body {
        ItemBody::Certificate(c) => certificate(c, now, out),
        ItemBody::Csr(c) => csr(c, out),
        ItemBody::Crl(c) => crl(c, now, out),
        ItemBody::PrivateKey(k) | ItemBody::PublicKey(k) => key(k, out),
        ItemBody::EncryptedPrivateKey(o) | ItemBody::Pkcs12(o) => field(out, "Format", &o.format),
        ItemBody::Tls(t) => tls::direction(t, out),
        ItemBody::Capture(c) => capture::capture(c, out),
        _ => Ok(()),
    }
}

pub(crate) fn field(out: &mut impl Write, name: &str, value: &str) -> io::Result<()> {
    writeln!(out, "  {name:<WIDTH$} {value}")
}

pub(crate) fn list(
    out: &mut impl Write,
    name: &str,
    values: &[impl std::fmt::Display],
) -> io::Result<()> {
    if values.is_empty() {
        return field(out, name, "(none)");
    }
    let texts: Vec<String> = values.iter().map(ToString::to_string).collect();
    field(out, name, &texts.join(", "))
}

fn when(
    out: &mut impl Write,
    name: &str,
    text: &str,
    unix: i64,
    now: Timestamp,
    past: &str,
    future: &str,
) -> io::Result<()> {
    let days = now.days_until(Timestamp(unix));
    let rel = relative_days(days);
    let phrase = if unix <= now.0 {
        format!("{past} {rel}")
    } else {
        format!("{future} {rel}")
    };
    field(out, name, &format!("{text} ({phrase})"))
}

fn public_key(k: &PublicKeyInfo) -> String {
    let mut s = k.algorithm.clone();
    if let Some(curve) = &k.curve {
        s.push(' ');
        s.push_str(curve);
    }
    if let Some(bits) = k.bits {
        s.push_str(&format!(" ({bits} bits)"));
    }
    s
}

fn certificate(c: &Certificate, now: Timestamp, out: &mut impl Write) -> io::Result<()> {
    field(out, "Subject", c.subject.as_str())?;
    field(out, "Issuer", c.issuer.as_str())?;
    field(out, "Serial", &c.serial)?;
    when(
        out,
        "Not before",
        &c.not_before,
        c.not_before_unix,
        now,
        "valid since",
        "valid",
    )?;
    when(
        out,
        "Not after",
        &c.not_after,
        c.not_after_unix,
        now,
        "expired",
        "expires",
    )?;
    list(out, "Subject alt names", &c.san)?;
    key_and_signature(
        &c.public_key,
        &c.signature_algorithm,
        &c.signature_algorithm_oid,
        out,
    )?;
    let ca = match (c.is_ca, c.path_len) {
        (true, Some(n)) => format!("yes, path length {n}"),
        (true, None) => "yes".to_string(),
        (false, _) => "no".to_string(),
    };
    field(out, "CA", &ca)?;
    list(out, "Key usage", &c.key_usage)?;
    list(out, "Extended key usage", &c.extended_key_usage)?;
    field(out, "Version", &c.version.to_string())?;
    field(out, "SHA-256", &c.sha256)?;
    field(out, "SHA-1", &c.sha1)?;
    field(out, "SPKI SHA-256", &c.spki_sha256)?;
    extensions(&c.extensions, out)
}

/// The public key and the signature algorithm, as certificates and CSRs show them.
fn key_and_signature(
    key: &PublicKeyInfo,
    algorithm: &str,
    oid: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    field(out, "Public key", &public_key(key))?;
    field(out, "Signature", &format!("{algorithm} ({oid})"))
}

fn csr(c: &Csr, out: &mut impl Write) -> io::Result<()> {
    field(out, "Subject", c.subject.as_str())?;
    list(out, "Requested SANs", &c.san)?;
    key_and_signature(
        &c.public_key,
        &c.signature_algorithm,
        &c.signature_algorithm_oid,
        out,
    )?;
    let valid = match c.signature_valid {
        Some(true) => "valid",
        Some(false) => "INVALID",
        None => "not checked",
    };
    field(out, "Self-signature", valid)?;
    field(out, "SPKI SHA-256", &c.spki_sha256)?;
    for a in &c.attributes {
        field(out, &format!("Attribute {}", a.name), &a.value)?;
    }
    extensions(&c.extensions, out)
}

fn crl(c: &Crl, now: Timestamp, out: &mut impl Write) -> io::Result<()> {
    field(out, "Issuer", c.issuer.as_str())?;
    field(
        out,
        "CRL number",
        c.crl_number.as_deref().unwrap_or("(none)"),
    )?;
    when(
        out,
        "This update",
        &c.this_update,
        c.this_update_unix,
        now,
        "issued",
        "issued",
    )?;
    match (&c.next_update, c.next_update_unix) {
        (Some(text), Some(unix)) => {
            when(out, "Next update", text, unix, now, "expired", "due")?;
        }
        _ => field(out, "Next update", "(none)")?,
    }
    field(
        out,
        "Signature",
        &format!("{} ({})", c.signature_algorithm, c.signature_algorithm_oid),
    )?;
    let checked = match (c.signature_valid, &c.signed_by) {
        (Some(true), Some(by)) => format!("valid, by {} #{}", by.source, by.index),
        (Some(true), None) => "valid".to_string(),
        (Some(false), _) => "INVALID".to_string(),
        (None, _) => "not checked (give the issuing CA certificate with it)".to_string(),
    };
    field(out, "Issuer signature", &checked)?;
    if let Some(aki) = &c.authority_key_id {
        field(out, "Authority key ID", aki)?;
    }
    field(out, "Version", &c.version.to_string())?;
    field(out, "SHA-256", &c.sha256)?;
    field(out, "Revoked", &c.revoked.len().to_string())?;
    for e in &c.revoked {
        let mut line = format!("{}  {}", e.serial, e.revocation_date);
        if let Some(reason) = e.reason {
            line.push_str(&format!("  {reason}"));
        }
        if let Some(date) = &e.invalidity_date {
            line.push_str(&format!("  invalid since {date}"));
        }
        writeln!(out, "    {line}")?;
    }
    extensions(&c.extensions, out)
}

fn key(k: &Key, out: &mut impl Write) -> io::Result<()> {
    let info = PublicKeyInfo {
        algorithm: k.algorithm.clone(),
        bits: k.bits,
        curve: k.curve.clone(),
    };
    field(out, "Algorithm", &public_key(&info))?;
    field(out, "Format", &k.format)?;
    field(
        out,
        "SPKI SHA-256",
        k.spki_sha256
            .as_deref()
            .unwrap_or("(cannot be derived here)"),
    )?;
    let matches: Vec<String> = k
        .matches
        .iter()
        .map(|m| format!("{} #{}", m.source, m.index))
        .collect();
    if !matches.is_empty() {
        list(out, "Matches", &matches)?;
    }
    Ok(())
}

fn extensions(exts: &[Extension], out: &mut impl Write) -> io::Result<()> {
    if exts.is_empty() {
        return Ok(());
    }
    writeln!(out, "  Extensions:")?;
    for e in exts {
        let critical = if e.critical { " [critical]" } else { "" };
        writeln!(out, "    {} ({}){critical}", e.name, e.oid)?;
        for line in e.value.lines() {
            writeln!(out, "        {line}")?;
        }
    }
    Ok(())
}
