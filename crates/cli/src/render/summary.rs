//! The text view of a capture's summary (`inspect --summary`): what failed and how often
//! first, then the tables, each row a count and a value. The facts are the library's
//! ([`Summary`]); this only lays them out.

use std::io::{self, Write};

use mtlskit_inspect::capture::summary::{Count, Summary};
use mtlskit_inspect::time::relative_days;

/// Writes the summary of the capture at `path`.
pub fn summary(path: &str, s: &Summary, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{path}: {}, {} packets, {} TLS connections, {} other TCP connections",
        if s.format.is_empty() {
            "capture"
        } else {
            &s.format
        },
        s.packets,
        s.connections,
        s.other_connections
    )?;
    for f in &s.file_findings {
        writeln!(
            out,
            "  {} {}: {}",
            f.severity.as_str(),
            f.code.as_str(),
            f.message
        )?;
    }
    let o = &s.outcomes;
    writeln!(
        out,
        "handshakes: {} completed, {} failed, {} unknown, {} without a ClientHello (failure rate {})",
        o.completed,
        o.failed,
        o.unknown,
        o.no_handshake,
        percent(o.failed, s.connections)
    )?;
    table(out, "diagnosis and finding codes", &s.codes)?;
    table(out, "versions", &s.versions)?;
    table(out, "cipher suites", &s.cipher_suites)?;
    table(out, "client certificates", &s.client_certificates)?;
    table(out, "client certificate issuers", &s.client_issuers)?;
    table(out, "client certificate subjects", &s.client_subjects)?;
    table(out, "JA4", &s.ja4)?;
    table(out, "server names (SNI)", &s.server_names)?;
    writeln!(
        out,
        "certificates seen on the wire expiring within {} days: {}",
        s.expiring_within_days,
        s.expiring.len()
    )?;
    for e in &s.expiring {
        writeln!(
            out,
            "  {} {} (issuer {}): not after {} ({}), {} connections, sha256 {}",
            e.role,
            e.subject,
            e.issuer,
            e.not_after,
            relative_days(e.days_left),
            e.connections,
            e.sha256
        )?;
    }
    writeln!(out, "failures per minute:")?;
    for m in &s.per_minute {
        writeln!(
            out,
            "  {}  {:>7} handshakes  {:>7} failed  {}",
            m.minute,
            m.handshakes,
            m.failed,
            percent(m.failed, m.handshakes)
        )?;
    }
    Ok(())
}

fn table(out: &mut impl Write, title: &str, rows: &[Count]) -> io::Result<()> {
    writeln!(out, "{title}:")?;
    if rows.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for r in rows {
        writeln!(out, "  {:>7}  {}", r.connections, r.value)?;
    }
    Ok(())
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}
