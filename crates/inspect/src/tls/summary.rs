//! The summary of one direction: version, suite, ALPN, SNI, full or resumed, client
//! certificate request and answer, alerts, and plain sentences about what cannot be seen.
//!
//! One direction only knows its own side; the capture view combines both directions (who sent
//! which alert, whether the client answered a CertificateRequest).

use alloc::format;
use alloc::string::String;

use super::decoder::Decoder;
use super::names;
use super::record::ContentType;

pub(super) fn fill(d: &mut Decoder) {
    let has = |code: u8| d.tls.messages.iter().any(|m| m.type_code == code);
    let (full_msgs, cke, ccs) = (has(11) || has(14), has(16), d.after_ccs);
    let mut s = core::mem::take(&mut d.tls.summary);
    if let Some(sh) = &d.tls.server_hello {
        s.role = Some(String::from("server"));
        let version = sh.selected_version.unwrap_or(sh.version);
        s.version = Some(version);
        s.cipher_suite = Some(sh.cipher_suite);
        s.cipher_suite_name = names::cipher_suite(sh.cipher_suite).map(|(n, _)| String::from(n));
        s.alpn = sh.alpn.clone();
        s.handshake = if version >= 0x0304 {
            Some(String::from(if sh.extension_types.contains(&41) {
                "resumed"
            } else {
                "full"
            }))
        } else if full_msgs {
            Some(String::from("full"))
        } else if ccs {
            Some(String::from("resumed"))
        } else {
            None
        };
        if version >= 0x0304 {
            s.certificates_encrypted = true;
            s.notes.push(String::from(
                "TLS 1.3: the server's Certificate, CertificateRequest and the client's \
                 Certificate are encrypted and cannot be read from the bytes.",
            ));
        }
    } else if d.tls.hello_retry_request.is_some() {
        s.role = Some(String::from("server"));
    }
    if let Some(ch) = &d.tls.client_hello {
        if s.role.is_none() {
            s.role = Some(String::from("client"));
            let offered = ch
                .supported_versions
                .iter()
                .copied()
                .filter(|v| !names::is_grease(*v))
                .max()
                .unwrap_or(ch.legacy_version);
            s.version = Some(offered);
            s.handshake = if cke {
                Some(String::from("full"))
            } else if ccs && !d.offered13 {
                Some(String::from("resumed"))
            } else {
                None
            };
            if d.offered13 {
                s.notes.push(String::from(
                    "The client offered TLS 1.3; if the server chose it, the client's \
                     Certificate is encrypted and cannot be read from the bytes.",
                ));
            }
        }
        s.server_name = ch.server_name.clone();
    }
    s.version_name = s.version.and_then(names::version).map(String::from);
    for a in &d.tls.alerts {
        s.alerts.push(format!("{} {}", a.level_name, a.description));
    }
    let encrypted_alerts = d
        .tls
        .records
        .iter()
        .filter(|r| r.encrypted && r.content_type == u8::from(ContentType::Alert))
        .count();
    if encrypted_alerts > 0 {
        s.alerts
            .push(format!("{encrypted_alerts} encrypted alert(s)"));
    }
    if s.certificate_request_seen {
        s.notes.push(String::from(
            "The server asked for a client certificate (CertificateRequest).",
        ));
    }
    match s.certificates_sent {
        Some(0) => s.notes.push(String::from(
            "The Certificate message is empty: no certificate was sent.",
        )),
        Some(n) => s
            .notes
            .push(format!("The Certificate message holds {n} certificate(s).")),
        None => {}
    }
    d.tls.summary = s;
}
