//! The summary of one direction: version, suite, ALPN, SNI, full or resumed, client
//! certificate request and answer, alerts, and plain sentences about what cannot be seen.
//!
//! One direction only knows its own side; the capture view combines both directions (who sent
//! which alert, whether the client answered a CertificateRequest).

use alloc::format;
use alloc::string::String;

use super::iana::{extension_type, handshake_type, version::TLS13};
use super::model::{Handshake, Role, Tls};
use super::names;

/// Fills `tls.summary` from what the direction holds; `after_ccs`: a ChangeCipherSpec was
/// seen in this direction; `offered13`: the ClientHello offered TLS 1.3.
pub(super) fn fill(tls: &mut Tls, after_ccs: bool, offered13: bool) {
    let has = |code: u8| tls.has_message(code);
    // A Certificate or ServerHelloDone only comes in a full handshake (RFC 5246 7.3).
    let full_msgs = has(handshake_type::CERTIFICATE) || has(handshake_type::SERVER_HELLO_DONE);
    let (cke, ccs) = (has(handshake_type::CLIENT_KEY_EXCHANGE), after_ccs);
    let decrypted = tls.was_decrypted();
    let mut s = core::mem::take(&mut tls.summary);
    if let Some(sh) = &tls.server_hello {
        s.role = Some(Role::Server);
        let version = sh.selected_version.unwrap_or(sh.version);
        s.version = Some(version);
        s.cipher_suite = Some(sh.cipher_suite);
        s.cipher_suite_name = names::cipher_suite(sh.cipher_suite).map(|(n, _)| String::from(n));
        s.alpn = sh.alpn.clone();
        s.handshake = if version >= TLS13 {
            // RFC 8446 4.2.11: a ServerHello with pre_shared_key accepted a PSK.
            Some(
                if sh.extension_types.contains(&extension_type::PRE_SHARED_KEY) {
                    Handshake::Resumed
                } else {
                    Handshake::Full
                },
            )
        } else if full_msgs {
            Some(Handshake::Full)
        } else if ccs {
            Some(Handshake::Resumed)
        } else {
            None
        };
        if version >= TLS13 && decrypted {
            s.notes.push(String::from(
                "TLS 1.3: the encrypted handshake messages were decrypted with the key log.",
            ));
        } else if version >= TLS13 {
            s.certificates_encrypted = true;
            s.notes.push(String::from(
                "TLS 1.3: the server's Certificate, CertificateRequest and the client's \
                 Certificate are encrypted and cannot be read from the bytes.",
            ));
        }
    } else if tls.hello_retry_request.is_some() {
        s.role = Some(Role::Server);
    }
    if let Some(ch) = &tls.client_hello {
        if s.role.is_none() {
            s.role = Some(Role::Client);
            let offered = ch
                .supported_versions
                .iter()
                .copied()
                .filter(|v| !names::is_grease(*v))
                .max()
                .unwrap_or(ch.legacy_version);
            s.version = Some(offered);
            s.handshake = if cke {
                Some(Handshake::Full)
            } else if ccs && !offered13 {
                Some(Handshake::Resumed)
            } else {
                None
            };
            if decrypted {
                s.notes.push(String::from(
                    "The client's encrypted records were decrypted with the key log.",
                ));
            } else if offered13 {
                s.notes.push(String::from(
                    "The client offered TLS 1.3; if the server chose it, the client's \
                     Certificate is encrypted and cannot be read from the bytes.",
                ));
            }
        }
        s.server_name = ch.server_name.clone();
    }
    s.version_name = s.version.and_then(names::version).map(String::from);
    for a in &tls.alerts {
        s.alerts.push(format!("{a}"));
    }
    let encrypted_alerts = tls.encrypted_alerts();
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
    tls.summary = s;
}
