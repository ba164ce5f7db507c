//! The probe's report as text: what `mtlskit probe` prints without `--json`.

use std::io::{self, Write};

use mtlskit_inspect::time::relative_days;
use mtlskit_inspect::tls;
use mtlskit_inspect::{Name, Timestamp};
use mtlskit_probe::ProbeReport;

pub fn probe(report: &ProbeReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Probe of {} ({}, SNI {})",
        report.url, report.peer, report.server_name
    )?;
    let field =
        |out: &mut dyn Write, name: &str, value: &str| writeln!(out, "  {name:<22} {value}");
    if let Some(ch) = report
        .client_to_server
        .as_ref()
        .and_then(|t| t.client_hello.as_ref())
    {
        let versions: Vec<String> = ch
            .supported_versions
            .iter()
            .map(|v| tls::names::version_name(*v))
            .collect();
        field(
            out,
            "Client offered",
            &format!(
                "{}; {} cipher suites; ALPN {}",
                if versions.is_empty() {
                    tls::names::version_name(ch.legacy_version)
                } else {
                    versions.join(", ")
                },
                ch.cipher_suites.len(),
                if ch.alpn.is_empty() {
                    "none".to_string()
                } else {
                    ch.alpn.join(", ")
                }
            ),
        )?;
    }
    match (
        &report.negotiated,
        report
            .server_to_client
            .as_ref()
            .and_then(|t| t.server_hello.as_ref()),
    ) {
        (Some(n), _) => field(
            out,
            "Negotiated",
            &format!(
                "{}, {}, ALPN {}{}",
                n.version,
                n.cipher_suite,
                n.alpn.as_deref().unwrap_or("none"),
                if n.resumed { ", resumed" } else { "" }
            ),
        )?,
        (None, Some(sh)) => field(
            out,
            "Server chose",
            &format!(
                "{}, {}",
                tls::names::version_name(sh.selected_version.unwrap_or(sh.version)),
                tls::names::cipher_suite_name(sh.cipher_suite)
                    .map_or_else(|| format!("0x{:04x}", sh.cipher_suite), str::to_string)
            ),
        )?,
        (None, None) => {}
    }
    if !report.server_chain.is_empty() {
        writeln!(out, "  Server chain:")?;
        for (i, c) in report.server_chain.iter().enumerate() {
            let days = report.now.days_until(Timestamp(c.not_after_unix));
            let word = if days < 0 { "expired" } else { "expires" };
            writeln!(
                out,
                "    {i} {}  (issuer {}; {word} {})",
                c.subject,
                c.issuer,
                relative_days(days)
            )?;
        }
    }
    let server = match &report.server_certificate_problem {
        Some(p) => format!("REFUSED: {p}"),
        None if report.server_chain.is_empty() => "not seen".to_string(),
        None => "verified".to_string(),
    };
    field(out, "Server certificate", &server)?;
    let requested = if report.client_certificate_requested {
        if report.acceptable_cas.is_empty() {
            "requested (any CA)".to_string()
        } else {
            format!(
                "requested; accepted CAs: {}",
                Name::list(&report.acceptable_cas)
            )
        }
    } else {
        "not requested".to_string()
    };
    field(out, "Client certificate", &requested)?;
    if report.client_certificate_requested {
        field(
            out,
            "Probe sent",
            report
                .client_certificate_sent
                .as_ref()
                .map_or("no certificate (empty Certificate message)", Name::as_str),
        )?;
    }
    for a in &report.alerts {
        field(
            out,
            &format!("Alert from {}", a.from),
            &format!(
                "{} ({}){}",
                a.description,
                a.code,
                a.meaning.map(|m| format!(": {m}")).unwrap_or_default()
            ),
        )?;
    }
    for (name, tls) in [
        ("Client sent", &report.client_to_server),
        ("Server sent", &report.server_to_client),
    ] {
        if let Some(t) = tls {
            let mut parts: Vec<String> = t.messages.iter().map(|m| m.kind.clone()).collect();
            let encrypted = t.records.iter().filter(|r| r.encrypted).count();
            if encrypted > 0 {
                parts.push(format!("{encrypted} encrypted records"));
            }
            field(out, name, &parts.join(", "))?;
        }
    }
    if let Some(r) = &report.response {
        writeln!(out, "Response: {}", r.status_line)?;
        for (k, v) in &r.headers {
            writeln!(out, "  {k}: {v}")?;
        }
        let body: String = r.body.chars().take(4096).collect();
        if !body.is_empty() {
            writeln!(out, "\n{body}")?;
        }
    }
    for f in &report.findings {
        writeln!(
            out,
            "  {} {}: {}",
            f.severity.as_str().to_uppercase(),
            f.code,
            f.message
        )?;
    }
    match &report.reason {
        None if report.ok => writeln!(out, "Verdict: OK"),
        None => writeln!(out, "Verdict: FAILED"),
        Some(r) => writeln!(out, "Verdict: FAILED: {r}"),
    }
}
