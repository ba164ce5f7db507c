//! Named values of the IANA TLS registries that the decoder and the diagnosis test for, so
//! that no check compares with a bare number.

/// `true` for the 16 GREASE values `0x0a0a`, `0x1a1a`, ... `0xfafa` (RFC 8701).
pub const fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && (value >> 8) == (value & 0xff)
}

/// TLS ContentType values (RFC 8446 5.1).
pub mod content_type {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
}

/// TLS HandshakeType values (RFC 8446 4, RFC 5246 7.4).
pub mod handshake_type {
    /// certificate (RFC 8446 4.4.2).
    pub const CERTIFICATE: u8 = 11;
    /// server_key_exchange (RFC 5246 7.4.3).
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    /// certificate_request (RFC 8446 4.3.2).
    pub const CERTIFICATE_REQUEST: u8 = 13;
    /// server_hello_done (RFC 5246 7.4.5).
    pub const SERVER_HELLO_DONE: u8 = 14;
    /// client_key_exchange (RFC 5246 7.4.7).
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
    /// finished (RFC 8446 4.4.4): the side's handshake is over.
    pub const FINISHED: u8 = 20;
}

/// TLS ExtensionType values (IANA "TLS ExtensionType Values").
pub mod extension_type {
    /// pre_shared_key (RFC 8446 4.2.11): in a ServerHello, the server resumed.
    pub const PRE_SHARED_KEY: u16 = 41;
}

/// TLS protocol versions (RFC 8446 4.2.1).
pub mod version {
    /// TLS 1.3.
    pub const TLS13: u16 = 0x0304;
}

/// TLS AlertDescription values (RFC 8446 6.2).
pub mod alert {
    use core::ops::RangeInclusive;

    /// close_notify: the sender closes the connection; not an error.
    pub const CLOSE_NOTIFY: u8 = 0;

    /// bad_certificate (42) to decrypt_error (51) less the two non-certificate codes: the
    /// alerts a peer sends about the certificate it was shown. 42..=49 are bad_certificate,
    /// unsupported_certificate, certificate_revoked, certificate_expired,
    /// certificate_unknown, illegal_parameter, unknown_ca and access_denied.
    pub const CERTIFICATE_PROBLEMS: RangeInclusive<u8> = 42..=49;
    /// decrypt_error: a signature (CertificateVerify) did not verify.
    pub const DECRYPT_ERROR: u8 = 51;
    /// protocol_version: no version both sides support.
    pub const PROTOCOL_VERSION: u8 = 70;
    /// certificate_required (RFC 8446 6.2): a TLS 1.3 server wants a client certificate.
    pub const CERTIFICATE_REQUIRED: u8 = 116;
}
