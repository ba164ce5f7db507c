//! The text view of one direction of a TLS connection: the summary and its notes first, then
//! the records as a ladder, the hellos with every list named, certificates, the certificate
//! request and alerts — what one reads in Wireshark, in one screen.

use std::io::{self, Write};

use mtlskit_inspect::diagnose::alert;
use mtlskit_inspect::tls::model::{ClientHello, Record, RecordDecryption, Role, ServerHello, Tls};
use mtlskit_inspect::tls::names;

use super::{field, list};

pub fn direction(t: &Tls, out: &mut impl Write) -> io::Result<()> {
    let s = &t.summary;
    let mut line = Vec::new();
    if let Some(role) = &s.role {
        line.push(format!("{role} side"));
    }
    line.extend(s.line_parts());
    field(out, "Summary", &line.join(", "))?;
    for note in &s.notes {
        field(out, "", note)?;
    }
    writeln!(out, "  Records:")?;
    for r in &t.records {
        let kind = names::content_type(r.content_type)
            .map_or_else(|| format!("type {}", r.content_type), str::to_string);
        let what = if let Some(d) = &r.decrypted {
            decrypted(t, r, d)
        } else if r.encrypted {
            "(encrypted)".to_string()
        } else {
            r.handshake_types
                .iter()
                .map(|h| handshake(*h))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "    @{:<7} {kind:<18} {:<8} {:>6} bytes  {what}",
            r.offset,
            names::version_name(r.version),
            r.length
        )?;
    }
    if let Some(ch) = &t.client_hello {
        client_hello(ch, out)?;
    }
    for (title, sh) in [
        ("HelloRetryRequest", &t.hello_retry_request),
        ("ServerHello", &t.server_hello),
    ] {
        if let Some(sh) = sh {
            server_hello(title, sh, out)?;
        }
    }
    if let Some(kx) = &t.server_key_exchange {
        let group = kx
            .group
            .map_or_else(|| "?".into(), |g| names::describe16(g, names::group));
        let scheme = kx.signature_scheme.map_or_else(
            || "-".into(),
            |s| names::describe16(s, names::signature_scheme),
        );
        writeln!(
            out,
            "  ServerKeyExchange: group {group}, signed with {scheme}"
        )?;
    }
    if !t.certificates.is_empty() {
        writeln!(out, "  Certificates:")?;
        for (i, c) in t.certificates.iter().enumerate() {
            writeln!(
                out,
                "    {i} {}  (issuer {}; until {})",
                c.subject, c.issuer, c.not_after
            )?;
        }
    }
    if let Some(cr) = &t.certificate_request {
        writeln!(out, "  CertificateRequest:")?;
        let types: Vec<String> = cr
            .certificate_types
            .iter()
            .map(|t| names::describe8(*t, names::certificate_type))
            .collect();
        if !types.is_empty() {
            list(out, "  types", &types)?;
        }
        list(
            out,
            "  signature algs",
            &named16(&cr.signature_algorithms, names::signature_scheme),
        )?;
        if cr.certificate_authorities.is_empty() {
            list(
                out,
                "  acceptable CAs",
                &["(none named: any CA the server trusts)"],
            )?;
        } else {
            list(out, "  acceptable CAs", &cr.certificate_authorities)?;
        }
    }
    for a in &t.alerts {
        let from = s.role.unwrap_or(Role::Client);
        let meaning = alert::explain(a.code, from)
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let how = if a.decrypted_record.is_some() {
            " (decrypted)"
        } else {
            ""
        };
        field(out, "Alert", &format!("{a} ({}){how}{meaning}", a.code))?;
    }
    if let Some(app) = t
        .decryption
        .as_ref()
        .and_then(|d| d.application_data.as_ref())
    {
        let mut text = format!("{} bytes decrypted", app.bytes);
        if let Some(line) = &app.http_line {
            text.push_str(&format!("; {line}"));
        }
        if !app.h2_frames.is_empty() {
            text.push_str(&format!("; HTTP/2 frames {}", app.h2_frames.join(", ")));
        }
        field(out, "Application data", &text)?;
    }
    Ok(())
}

/// An encrypted record a key was tried on: what it held, or that it did not decrypt.
fn decrypted(t: &Tls, r: &Record, d: &RecordDecryption) -> String {
    let Some(ct) = d.content_type.filter(|_| d.is_plain()) else {
        return format!("(encrypted; {})", d.status.as_str().replace('_', " "));
    };
    let inner = if ct == 22 {
        r.handshake_types
            .iter()
            .map(|h| handshake(*h))
            .collect::<Vec<_>>()
            .join(", ")
    } else if ct == 21 {
        let index = t.records.iter().position(|x| std::ptr::eq(x, r));
        t.alerts
            .iter()
            .filter(|a| a.decrypted_record.is_some() && a.decrypted_record == index)
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        names::content_type(ct).map_or_else(|| format!("type {ct}"), str::to_string)
    };
    format!("(decrypted) {inner}")
}

fn client_hello(ch: &ClientHello, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "  ClientHello:")?;
    field(out, "  version", &names::version_name(ch.legacy_version))?;
    random_and_session(&ch.random, &ch.session_id, out)?;
    list(
        out,
        "  cipher suites",
        &named16(&ch.cipher_suites, names::cipher_suite_name),
    )?;
    list(
        out,
        "  compression",
        &ch.compression_methods
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>(),
    )?;
    list(
        out,
        "  extensions",
        &named16(&ch.extension_types, names::extension),
    )?;
    field(
        out,
        "  server name",
        ch.server_name.as_deref().unwrap_or("(none)"),
    )?;
    list(out, "  ALPN", &ch.alpn)?;
    list(
        out,
        "  versions",
        &ch.supported_versions
            .iter()
            .map(|v| names::version_name(*v))
            .collect::<Vec<_>>(),
    )?;
    list(
        out,
        "  groups",
        &named16(&ch.supported_groups, names::group),
    )?;
    list(
        out,
        "  signature algs",
        &named16(&ch.signature_algorithms, names::signature_scheme),
    )?;
    field(out, "  JA3", &format!("{} ({})", ch.ja3, ch.ja3_full))?;
    field(out, "  JA4", &ch.ja4)
}

fn server_hello(title: &str, sh: &ServerHello, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "  {title}:")?;
    field(
        out,
        "  version",
        &names::version_name(sh.selected_version.unwrap_or(sh.version)),
    )?;
    random_and_session(&sh.random, &sh.session_id, out)?;
    field(
        out,
        "  cipher suite",
        &names::describe16(sh.cipher_suite, names::cipher_suite_name),
    )?;
    field(out, "  compression", &sh.compression_method.to_string())?;
    list(
        out,
        "  extensions",
        &named16(&sh.extension_types, names::extension),
    )?;
    if let Some(a) = &sh.alpn {
        field(out, "  ALPN", a)?;
    }
    field(out, "  JA3S", &format!("{} ({})", sh.ja3s, sh.ja3s_full))
}

fn named16(values: &[u16], lookup: fn(u16) -> Option<&'static str>) -> Vec<String> {
    values
        .iter()
        .map(|v| names::describe16(*v, lookup))
        .collect()
}

fn handshake(t: u8) -> String {
    names::describe8(t, names::handshake_type)
}

/// The random and the session ID of a hello, as both hellos show them.
fn random_and_session(random: &str, session_id: &str, out: &mut impl Write) -> io::Result<()> {
    field(out, "  random", random)?;
    let session = if session_id.is_empty() {
        "(empty)"
    } else {
        session_id
    };
    field(out, "  session id", session)
}
