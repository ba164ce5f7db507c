//! What a TLS alert means for an mTLS setup, and which side's problem it usually is.
//!
//! Alert names (RFC 8446 6.2, RFC 5246 7.2) say little to an operator: "unknown_ca" from a
//! server means *the client's* certificate chains to no CA the server trusts. These sentences
//! say that, keyed by the alert code and by who sent it.

use crate::tls::model::Role;

/// A sentence explaining alert `code` sent by `from`; `None` for codes without one.
pub fn explain(code: u8, from: Role) -> Option<&'static str> {
    use Role::{Client, Server};
    Some(match (code, from) {
        (0, _) => "the connection was closed normally (close_notify)",
        (10, _) => "a message arrived that was not expected at that point of the handshake (unexpected_message): the two sides disagree on the protocol",
        (20, _) => "a record failed its integrity check (bad_record_mac): data was altered in transit or keys differ",
        (22, _) => "a record was too long (record_overflow)",
        (40, Server) => "the server found no acceptable parameters (handshake_failure): often no common cipher suite, or, with TLS 1.2 and client verification required, no client certificate",
        (40, Client) => "the client found no acceptable parameters (handshake_failure): often no common cipher suite or signature algorithm",
        (42, Server) => "the server refused the client certificate as bad (bad_certificate): it is corrupt, its signature does not verify, or it is not usable for client authentication",
        (42, Client) => "the client refused the server certificate as bad (bad_certificate)",
        (43, Server) => "the server does not support the client certificate's type or purpose (unsupported_certificate): check its key usage and that its EKU includes clientAuth",
        (43, Client) => "the client does not support the server certificate's type or purpose (unsupported_certificate): check that its EKU includes serverAuth",
        (44, _) => "the peer's certificate was revoked (certificate_revoked)",
        (45, Server) => "the server says the client certificate has expired or is not yet valid (certificate_expired): check its dates and the clocks",
        (45, Client) => "the client says the server certificate has expired or is not yet valid (certificate_expired)",
        (46, Server) => "the server refused the client certificate (certificate_unknown): it could not be verified, often an untrusted issuer or a wrong purpose",
        (46, Client) => "the client refused the server certificate (certificate_unknown)",
        (47, _) => "a handshake field held an illegal value (illegal_parameter)",
        (48, Server) => "the server does not trust the CA that issued the client certificate (unknown_ca): add that CA to the server's client CA bundle, or send the missing intermediate",
        (48, Client) => "the client does not trust the CA that issued the server certificate (unknown_ca): give the client the server's CA, or have the server send its intermediate",
        (49, Server) => "the server denied access after verifying the client certificate (access_denied): the certificate is valid but not authorised",
        (49, Client) => "the client denied access (access_denied)",
        (50, _) => "a message could not be decoded (decode_error)",
        (51, Server) => "the server could not verify the client's handshake signature (decrypt_error): the client's private key may not match its certificate",
        (51, Client) => "the client could not verify the server's handshake signature (decrypt_error): the server's private key may not match its certificate",
        (70, _) => "the peer does not support the offered protocol version (protocol_version): compare the versions each side allows",
        (71, _) => "the peer requires stronger parameters than offered (insufficient_security): no common cipher suite it accepts",
        (80, _) => "the peer hit an internal error (internal_error): see its logs",
        (86, _) => "the client retried with a lower version than it supports (inappropriate_fallback)",
        (90, _) => "the peer cancelled the handshake (user_canceled)",
        (100, _) => "the peer refused to renegotiate (no_renegotiation)",
        (109, _) => "a required extension was missing (missing_extension)",
        (110, _) => "an extension arrived that was not offered (unsupported_extension)",
        (112, _) => "the server does not know the name the client asked for in SNI (unrecognized_name)",
        (113, _) => "the stapled OCSP response was bad (bad_certificate_status_response)",
        (115, _) => "the pre-shared key identity is unknown (unknown_psk_identity)",
        (116, Server) => "the server requires a client certificate and the client sent none (certificate_required)",
        (116, Client) => "a certificate was required and none was sent (certificate_required)",
        (120, _) => "no common application protocol (no_application_protocol): the ALPN lists do not overlap",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mtls_alert_is_explained_for_both_senders() {
        for code in [40, 42, 43, 44, 45, 46, 48, 49, 70, 116] {
            for from in [Role::Client, Role::Server] {
                assert!(explain(code, from).is_some(), "{code}");
            }
        }
        assert!(explain(48, Role::Server).is_some_and(|s| s.contains("client certificate")));
        assert_eq!(explain(255, Role::Server), None);
    }
}
