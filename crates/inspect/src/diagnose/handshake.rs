//! Why an mTLS handshake in a capture failed, from both directions of the connection.
//!
//! "400 No required SSL certificate was sent" and "alert unknown ca" say *what* happened;
//! these findings say why, with the evidence in the bytes: the server's CertificateRequest and
//! the CA names in it, the client's (empty) Certificate message, who sent which alert and
//! when, what each side offered. TLS 1.3 hides the certificate messages and most alerts; the
//! findings then say what the shape of the encrypted traffic suggests, and that it is a guess.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::alert::{explain, Sender};
use crate::finding::Finding;
use crate::tls::model::{Alert, Tls};
use crate::tls::names;

/// Findings about one connection, from what each side sent.
pub fn connection(client: &Tls, server: &Tls) -> Vec<Finding> {
    let mut out = Vec::new();
    let request = server.certificate_request.as_ref();
    let client_alerts = fatal(&client.alerts);
    let server_alerts = fatal(&server.alerts);
    let cert_sent = client.summary.certificates_sent;
    let tls13 = server
        .server_hello
        .as_ref()
        .and_then(|s| s.selected_version)
        == Some(0x0304);

    // No ServerHello at all: the server refused the ClientHello.
    if client.client_hello.is_some() && server.server_hello.is_none() {
        for a in &server_alerts {
            match a.code {
                40 | 71 => out.push(Finding::error("no_common_cipher", format!(
                    "the server answered the ClientHello with {} ({}): it shares no cipher suite (or group, or signature algorithm) with the client; the client offered {}",
                    a.description, a.code, offered_suites(client)))),
                70 => out.push(Finding::error("protocol_version", format!(
                    "the server refused the versions the client offered ({}): compare ssl_protocols / protocols on both sides",
                    offered_versions(client)))),
                _ => {}
            }
        }
    }

    // TLS 1.2 and earlier: the request and the answer are readable.
    if let Some(req) = request {
        let cas = if req.certificate_authorities.is_empty() {
            String::from("any CA it trusts")
        } else {
            req.certificate_authorities.join("; ")
        };
        match cert_sent {
            Some(0) => {
                let then = match server_alerts.first() {
                    Some(a) => format!("; the server then ended the handshake with {} ({})", a.description, a.code),
                    None => String::from("; the server went on without one (optional verification), so a required check can only fail at the HTTP level, as nginx's \"400 No required SSL certificate was sent\""),
                };
                out.push(Finding::error("client_certificate_missing", format!(
                    "the server asked for a client certificate issued by {cas}, and the client sent an empty Certificate message: it has no certificate configured, or none issued by those CAs{then}")));
            }
            Some(_) => {
                if let Some(a) = server_alerts
                    .iter()
                    .find(|a| (42..=49).contains(&a.code) || a.code == 51)
                {
                    let meaning =
                        explain(a.code, Sender::Server).unwrap_or("the server refused it");
                    let issuer = client.certificates.first().map(|c| c.issuer.as_str());
                    let hint = match issuer {
                        Some(i)
                            if !req.certificate_authorities.is_empty()
                                && !req.certificate_authorities.iter().any(|c| c == i) =>
                        {
                            format!("; the certificate is issued by {i}, which is not among the CAs the server named ({cas})")
                        }
                        _ => String::new(),
                    };
                    out.push(Finding::error("client_certificate_rejected", format!(
                        "the server rejected the client certificate with the alert {} ({}): {meaning}{hint}", a.description, a.code)));
                }
            }
            None => {}
        }
    }

    // TLS 1.3: certificate messages and most alerts are encrypted.
    if tls13 {
        if let Some(a) = server_alerts.iter().find(|a| a.code == 116) {
            out.push(Finding::error("client_certificate_missing", format!(
                "the server ended the handshake with {} ({}): it requires a client certificate and the client sent none", a.description, a.code)));
        } else if let Some(a) = server_alerts.iter().find(|a| (42..=49).contains(&a.code)) {
            let meaning = explain(a.code, Sender::Server).unwrap_or("the server refused it");
            out.push(Finding::error(
                "client_certificate_rejected",
                format!("the server sent {} ({}): {meaning}", a.description, a.code),
            ));
        } else if let Some(finding) = tls13_shape(client, server) {
            out.push(finding);
        }
    }

    for a in &client_alerts {
        if (42..=49).contains(&a.code) {
            let meaning = explain(a.code, Sender::Client)
                .unwrap_or("the client refused the server's certificate");
            out.push(Finding::error(
                "server_certificate_rejected",
                format!("the client sent {} ({}): {meaning}", a.description, a.code),
            ));
        } else if a.code == 70 && server.server_hello.is_some() {
            out.push(Finding::error(
                "protocol_version",
                format!(
                    "the client refused the version the server chose ({})",
                    server.summary.version_name.as_deref().unwrap_or("unknown")
                ),
            ));
        }
    }
    out
}

fn fatal(alerts: &[Alert]) -> Vec<&Alert> {
    alerts
        .iter()
        .filter(|a| a.level == 2 || a.code != 0)
        .collect()
}

/// TLS 1.3 hides the client's Certificate and the server's alert, but not their sizes: a
/// client flight too small to hold a certificate, or a server that answers the client's
/// flight with a lone 19-byte record (an encrypted two-byte alert) and no session ticket or
/// response, tell what happened.
fn tls13_shape(client: &Tls, server: &Tls) -> Option<Finding> {
    const ALERT_RECORD: usize = 19; // 2-byte alert + content type + 16-byte AEAD tag
    let encrypted = |t: &Tls| -> Vec<usize> {
        t.records
            .iter()
            .filter(|r| r.content_type == 23)
            .map(|r| r.length)
            .collect()
    };
    let (c, s) = (encrypted(client), encrypted(server));
    let flight = *c.first()?;
    let ended_with_alert = s.last() == Some(&ALERT_RECORD);
    // OpenSSL, rustls and nginx send session tickets after a successful handshake: a server
    // side of flight records and one alert has none.
    let no_tickets = s.len() <= 6;
    if !(ended_with_alert && no_tickets) {
        return None;
    }
    if flight < 120 {
        Some(Finding::error("client_certificate_missing", format!(
            "TLS 1.3 encrypts the certificate messages, but their sizes show it: the client's handshake flight is {flight} bytes, too small to hold a certificate, and the server answered with an encrypted alert ({ALERT_RECORD}-byte record) and nothing else: the server requires a client certificate and the client sent none")))
    } else {
        Some(Finding::warning("client_certificate_rejected", format!(
            "TLS 1.3 encrypts the certificate messages and alerts: the client sent a {flight}-byte flight (with a certificate) and the server answered with a lone encrypted alert and no session ticket or response: that is how a rejected client certificate looks; the server's log says why")))
    }
}

fn offered_suites(client: &Tls) -> String {
    let Some(ch) = &client.client_hello else {
        return String::from("nothing readable");
    };
    let named: Vec<String> = ch
        .cipher_suites
        .iter()
        .filter(|c| !names::is_grease(**c))
        .take(8)
        .map(|c| names::cipher_suite_name(*c).map_or_else(|| format!("0x{c:04x}"), String::from))
        .collect();
    let more = ch.cipher_suites.len().saturating_sub(named.len());
    if more > 0 {
        format!("{} and {more} more", named.join(", "))
    } else {
        named.join(", ")
    }
}

fn offered_versions(client: &Tls) -> String {
    let Some(ch) = &client.client_hello else {
        return String::from("unknown");
    };
    let list: Vec<u16> = if ch.supported_versions.is_empty() {
        alloc::vec![ch.legacy_version]
    } else {
        ch.supported_versions.clone()
    };
    list.iter()
        .filter(|v| !names::is_grease(**v))
        .map(|v| names::version(*v).map_or_else(|| format!("0x{v:04x}"), String::from))
        .collect::<Vec<_>>()
        .join(", ")
}
