//! The text view of a capture: each TLS connection as client -> server with its summary,
//! findings and gaps, then both directions through the TLS view; other TCP connections
//! listed in one line each.

use std::io::{self, Write};

use mtlskit_inspect::capture::model::{Capture, ClientCertificate};

use super::field;

pub fn capture(c: &Capture, out: &mut impl Write) -> io::Result<()> {
    field(
        out,
        "Capture",
        &format!(
            "{}, {} packets, link types {}",
            c.format,
            c.packets,
            c.link_types.join(", ")
        ),
    )?;
    if let Some(k) = &c.key_log {
        let from = if k.from_capture {
            " (with the capture's Decryption Secrets Block)"
        } else {
            ""
        };
        field(
            out,
            "Key log",
            &format!(
                "{} secrets for {} connections{from}; {} of the capture's connections matched, {} decrypted",
                k.secrets, k.client_randoms, k.connections_matched, k.connections_decrypted
            ),
        )?;
    }
    if c.connections.is_empty() {
        field(out, "", "no TLS connection in this capture")?;
    }
    for (i, conn) in c.connections.iter().enumerate() {
        writeln!(
            out,
            "\n  Connection {}: {} -> {} ({} packets, client known by {})",
            i + 1,
            conn.client,
            conn.server,
            conn.packets,
            conn.client_by
        )?;
        let s = &conn.summary;
        let line = s.line_parts();
        field(out, "Summary", &line.join(", "))?;
        let client_cert = match (s.client_certificate_requested, s.client_certificate) {
            (true, Some(sent)) => format!(
                "requested by the server; client: {}",
                sent.as_str().replace('_', " ")
            ),
            (true, None) => "requested by the server".to_string(),
            (false, Some(ClientCertificate::Encrypted)) => {
                "not readable (TLS 1.3 encrypts the certificate messages)".to_string()
            }
            (false, _) => "not requested".to_string(),
        };
        field(out, "Client certificate", &client_cert)?;
        if let Some(d) = &conn.decryption {
            let secrets = if d.secrets.is_empty() {
                "none".to_string()
            } else {
                d.secrets.join(", ")
            };
            let text = match &d.unusable {
                Some(why) => format!("not decrypted: {why}; secrets: {secrets}"),
                None => format!(
                    "{} records decrypted, {} failed, {} without a secret; secrets: {secrets}",
                    d.records_decrypted, d.records_failed, d.records_without_secret
                ),
            };
            field(out, "Decryption", &text)?;
        }
        for a in &s.alerts {
            field(out, "Alert", a)?;
        }
        for g in &conn.gaps {
            field(
                out,
                "Gap",
                &format!(
                    "{} bytes missing in {} at stream offset {}",
                    g.len, g.direction, g.offset
                ),
            )?;
        }
        for f in &conn.findings {
            field(
                out,
                &f.severity.as_str().to_uppercase(),
                &format!("{}: {}", f.code, f.message),
            )?;
        }
        writeln!(out, "  client -> server:")?;
        super::tls::direction(&conn.client_to_server, out)?;
        writeln!(out, "  server -> client:")?;
        super::tls::direction(&conn.server_to_client, out)?;
    }
    for o in &c.other_connections {
        field(
            out,
            "Other TCP",
            &format!(
                "{} -> {} ({} packets, not TLS)",
                o.client, o.server, o.packets
            ),
        )?;
    }
    Ok(())
}
