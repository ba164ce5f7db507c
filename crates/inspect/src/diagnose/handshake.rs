//! Why an mTLS handshake in a capture failed, from both directions of the connection.
//!
//! "400 No required SSL certificate was sent" and "alert unknown ca" say *what* happened;
//! these findings say why, with the evidence in the bytes: the server's CertificateRequest and
//! the CA names in it, the client's (empty) Certificate message, who sent which alert and
//! when, what each side offered. TLS 1.3 hides the certificate messages and most alerts: with a
//! key log the capture reader decrypts them and they are read exactly as in TLS 1.2 (one
//! check for both); without one, the findings say what the shape of the encrypted traffic
//! suggests, and that it is a guess.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::alert::explain;
use crate::finding::{Code, Finding};
use crate::tls::iana::{alert, content_type};
use crate::tls::model::Role;
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
                40 | 71 => out.push(Finding::error(Code::NoCommonCipher, format!(
                    "the server answered the ClientHello with {} ({}): it shares no cipher suite (or group, or signature algorithm) with the client; the client offered {}",
                    a.description, a.code, offered_suites(client)))),
                70 => out.push(Finding::error(Code::ProtocolVersion, format!(
                    "the server refused the versions the client offered ({}): compare ssl_protocols / protocols on both sides",
                    offered_versions(client)))),
                _ => {}
            }
        }
    }

    // TLS 1.2 and earlier, or TLS 1.3 decrypted: the request and the answer are readable.
    let answered = request.is_some() && cert_sent.is_some();
    if let Some(req) = request {
        let cas = if req.certificate_authorities.is_empty() {
            String::from("any CA it trusts")
        } else {
            crate::name::Name::list(&req.certificate_authorities)
        };
        match cert_sent {
            Some(0) => {
                let then = match server_alerts.first() {
                    Some(a) => format!("; the server then ended the handshake with {} ({})", a.description, a.code),
                    None => String::from("; the server went on without one (optional verification), so a required check can only fail at the HTTP level, as nginx's \"400 No required SSL certificate was sent\""),
                };
                out.push(Finding::error(Code::ClientCertificateMissing, format!(
                    "the server asked for a client certificate issued by {cas}, and the client sent an empty Certificate message: it has no certificate configured, or none issued by those CAs{then}")));
            }
            Some(_) => {
                if let Some(f) = signature_mismatch(client, &req.signature_algorithms) {
                    out.push(f);
                }
                if let Some(a) = server_alerts.iter().find(|a| {
                    alert::CERTIFICATE_PROBLEMS.contains(&a.code) || a.code == alert::DECRYPT_ERROR
                }) {
                    let meaning = explain(a.code, Role::Server).unwrap_or("the server refused it");
                    let subject = client
                        .certificates
                        .first()
                        .map(|c| format!(" ({})", c.subject))
                        .unwrap_or_default();
                    let issuer = client.certificates.first().map(|c| &c.issuer);
                    let hint = match issuer {
                        Some(i)
                            if !req.certificate_authorities.is_empty()
                                && !req.certificate_authorities.iter().any(|c| c == i) =>
                        {
                            format!("; the certificate is issued by {i}, which is not among the CAs the server named ({cas})")
                        }
                        _ => String::new(),
                    };
                    out.push(Finding::error(Code::ClientCertificateRejected, format!(
                        "the server rejected the client certificate{subject} with the alert {} ({}): {meaning}{hint}", a.description, a.code)));
                }
            }
            None => {}
        }
    }

    // TLS 1.3 not decrypted: certificate messages and most alerts are encrypted.
    if tls13 && !answered {
        if let Some(a) = server_alerts
            .iter()
            .find(|a| a.code == alert::CERTIFICATE_REQUIRED)
        {
            out.push(Finding::error(Code::ClientCertificateMissing, format!(
                "the server ended the handshake with {} ({}): it requires a client certificate and the client sent none", a.description, a.code)));
        } else if let Some(a) = server_alerts
            .iter()
            .find(|a| alert::CERTIFICATE_PROBLEMS.contains(&a.code))
        {
            let meaning = explain(a.code, Role::Server).unwrap_or("the server refused it");
            out.push(Finding::error(
                Code::ClientCertificateRejected,
                format!("the server sent {} ({}): {meaning}", a.description, a.code),
            ));
        } else if let Some(finding) = (!server.was_decrypted())
            .then(|| tls13_shape(client, server))
            .flatten()
        {
            out.push(finding);
        }
    }

    for a in &client_alerts {
        if alert::CERTIFICATE_PROBLEMS.contains(&a.code) {
            let meaning = explain(a.code, Role::Client)
                .unwrap_or("the client refused the server's certificate");
            out.push(Finding::error(
                Code::ServerCertificateRejected,
                format!("the client sent {} ({}): {meaning}", a.description, a.code),
            ));
        } else if a.code == alert::PROTOCOL_VERSION && server.server_hello.is_some() {
            out.push(Finding::error(
                Code::ProtocolVersion,
                format!(
                    "the client refused the version the server chose ({})",
                    server.summary.version_name.as_deref().unwrap_or("unknown")
                ),
            ));
        }
    }
    out
}

/// TLS 1.2: can the client's certificate key sign with any scheme the CertificateRequest lists?
/// (In TLS 1.2 an ECDSA scheme names the hash, not the curve.)
fn signature_mismatch(client: &Tls, requested: &[u16]) -> Option<Finding> {
    let cert = client.certificates.first()?;
    if requested.is_empty() {
        return None;
    }
    let usable: &[u16] = match cert.public_key.algorithm.as_str() {
        "EC" => &[0x0203, 0x0303, 0x0403, 0x0503, 0x0603],
        "RSA" => &[
            0x0201, 0x0301, 0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806,
        ],
        "RSA-PSS" => &[0x0809, 0x080a, 0x080b],
        "Ed25519" => &[0x0807],
        "Ed448" => &[0x0808],
        _ => return None,
    };
    if requested.iter().any(|r| usable.contains(r)) {
        return None;
    }
    let named: Vec<String> = requested
        .iter()
        .filter(|r| !names::is_grease(**r))
        .map(|r| names::signature_scheme(*r).map_or_else(|| format!("0x{r:04x}"), String::from))
        .collect();
    let key = match &cert.public_key.curve {
        Some(curve) => format!("{} {curve}", cert.public_key.algorithm),
        None => cert.public_key.algorithm.clone(),
    };
    Some(Finding::error(
        Code::SignatureAlgorithmMismatch,
        format!(
            "the server accepts client signatures made with {}; the client certificate {} has a {key} key, which can sign with none of them",
            named.join(", "),
            cert.subject
        ),
    ))
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
            .filter(|r| r.content_type == content_type::APPLICATION_DATA)
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
        Some(Finding::error(Code::ClientCertificateMissing, format!(
            "TLS 1.3 encrypts the certificate messages, but their sizes show it: the client's handshake flight is {flight} bytes, too small to hold a certificate, and the server answered with an encrypted alert ({ALERT_RECORD}-byte record) and nothing else: the server requires a client certificate and the client sent none")))
    } else {
        Some(Finding::warning(Code::ClientCertificateRejected, format!(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{Certificate, PublicKeyInfo};
    use crate::tls::model::{CertificateRequest, ClientHello, ServerHello};

    fn cert(algorithm: &str, curve: Option<&str>) -> Certificate {
        Certificate {
            version: 3,
            serial: String::from("1"),
            subject: crate::name::Name::test_cn("client"),
            issuer: crate::name::Name::test_cn("CA"),
            not_before: String::new(),
            not_after: String::new(),
            sha256: String::new(),
            sha1: String::new(),
            spki_sha256: String::new(),
            san: Vec::new(),
            public_key: PublicKeyInfo {
                algorithm: algorithm.into(),
                bits: Some(256),
                curve: curve.map(String::from),
            },
            signature_algorithm: String::new(),
            signature_algorithm_oid: String::new(),
            is_ca: false,
            path_len: None,
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            extensions: Vec::new(),
            not_before_unix: 0,
            not_after_unix: 0,
        }
    }

    /// A TLS 1.2 exchange where the server asked for a certificate signed with `requested`
    /// and the client sent one with the given key.
    fn exchange(requested: &[u16], algorithm: &str, curve: Option<&str>) -> Vec<Finding> {
        let mut client = Tls {
            client_hello: Some(ClientHello::default()),
            ..Tls::default()
        };
        client.summary.certificates_sent = Some(1);
        client.certificates.push(cert(algorithm, curve));
        let server = Tls {
            server_hello: Some(ServerHello {
                version: 0x0303,
                ..ServerHello::default()
            }),
            certificate_request: Some(CertificateRequest {
                signature_algorithms: requested.to_vec(),
                ..CertificateRequest::default()
            }),
            ..Tls::default()
        };
        connection(&client, &server)
    }

    #[test]
    fn test_names() {
        assert_eq!(cert("EC", None).subject, "CN=client");
    }

    #[test]
    fn a_key_that_cannot_sign_any_requested_scheme_is_reported() {
        let f = exchange(&[0x0401, 0x0804], "EC", Some("P-256"));
        assert_eq!(
            f.iter().map(|f| f.code).collect::<Vec<_>>(),
            ["signature_algorithm_mismatch"]
        );
        assert!(
            f[0].message.contains("rsa_pkcs1_sha256") && f[0].message.contains("EC P-256"),
            "{}",
            f[0].message
        );
        assert!(exchange(&[0x0401, 0x0403], "EC", Some("P-256")).is_empty());
        assert!(exchange(&[0x0804], "RSA", None).is_empty());
        assert!(exchange(&[0x0403], "Ed25519", None)
            .iter()
            .any(|f| f.code == Code::SignatureAlgorithmMismatch));
    }
}
