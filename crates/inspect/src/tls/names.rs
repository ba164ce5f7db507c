//! Names from the IANA TLS registries: cipher suites, extensions, groups, signature schemes,
//! alerts, handshake types, content types and versions.
//!
//! The report keeps numbers (they are what other tools print and compare); these names are
//! for people: the tree, the text view and the summary. Unknown values get `None`, GREASE
//! values (RFC 8701) are recognised by shape wherever they appear.

use alloc::format;
use alloc::string::String;

use super::suites::CIPHER_SUITES;

pub use super::iana::is_grease;

/// The IANA name and, when OpenSSL implements the suite, its OpenSSL name.
pub fn cipher_suite(value: u16) -> Option<(&'static str, Option<&'static str>)> {
    let i = CIPHER_SUITES
        .binary_search_by_key(&value, |(v, _, _)| *v)
        .ok()?;
    CIPHER_SUITES
        .get(i)
        .map(|(_, iana, openssl)| (*iana, *openssl))
}

/// The value, IANA name and OpenSSL name of the suite called `name` in either spelling
/// (ASCII case ignored): the one suite table, which the proxy's configuration reads too.
pub fn cipher_suite_by_name(name: &str) -> Option<(u16, &'static str, Option<&'static str>)> {
    CIPHER_SUITES.iter().copied().find(|(_, iana, openssl)| {
        iana.eq_ignore_ascii_case(name) || openssl.is_some_and(|o| o.eq_ignore_ascii_case(name))
    })
}

/// The IANA name of an extension type (plus the few unassigned ones browsers send).
pub const fn extension(value: u16) -> Option<&'static str> {
    Some(match value {
        0 => "server_name",
        1 => "max_fragment_length",
        2 => "client_certificate_url",
        3 => "trusted_ca_keys",
        4 => "truncated_hmac",
        5 => "status_request",
        6 => "user_mapping",
        7 => "client_authz",
        8 => "server_authz",
        9 => "cert_type",
        10 => "supported_groups",
        11 => "ec_point_formats",
        12 => "srp",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        17 => "status_request_v2",
        18 => "signed_certificate_timestamp",
        19 => "client_certificate_type",
        20 => "server_certificate_type",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        24 => "token_binding",
        25 => "cached_info",
        26 => "tls_lts",
        27 => "compress_certificate",
        28 => "record_size_limit",
        29 => "pwd_protect",
        30 => "pwd_clear",
        31 => "password_salt",
        32 => "ticket_pinning",
        33 => "tls_cert_with_extern_psk",
        34 => "delegated_credential",
        35 => "session_ticket",
        36 => "TLMSP",
        37 => "TLMSP_proxying",
        38 => "TLMSP_delegate",
        39 => "supported_ekt_ciphers",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        48 => "oid_filters",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        52 => "transparency_info",
        53 => "connection_id_deprecated",
        54 => "connection_id",
        55 => "external_id_hash",
        56 => "external_session_id",
        57 => "quic_transport_parameters",
        58 => "ticket_request",
        59 => "dnssec_chain",
        60 => "sequence_number_encryption_algorithms",
        61 => "rrc",
        62 => "tls_flags",
        // Not assigned by IANA but sent by browsers.
        0x3374 => "next_protocol_negotiation",
        0x4469 => "application_settings_old",
        0x44cd => "application_settings",
        0xfe0d => "encrypted_client_hello",
        0xff01 => "renegotiation_info",
        _ => return None,
    })
}

/// The IANA name of a supported group (named curve, finite-field group or hybrid KEM).
pub const fn group(value: u16) -> Option<&'static str> {
    Some(match value {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        34 => "GC256A",
        35 => "GC256B",
        36 => "GC256C",
        37 => "GC256D",
        38 => "GC512A",
        39 => "GC512B",
        40 => "GC512C",
        41 => "curveSM2",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0x639a => "SecP256r1Kyber768Draft00",
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        _ => return None,
    })
}

/// The IANA name of a signature scheme; TLS 1.2 hash/signature pairs that have no TLS 1.3
/// name are named `<signature>_<hash>` as OpenSSL does.
pub const fn signature_scheme(value: u16) -> Option<&'static str> {
    Some(match value {
        0x0101 => "rsa_pkcs1_md5",
        0x0201 => "rsa_pkcs1_sha1",
        0x0202 => "dsa_sha1",
        0x0203 => "ecdsa_sha1",
        0x0301 => "rsa_pkcs1_sha224",
        0x0302 => "dsa_sha224",
        0x0303 => "ecdsa_sha224",
        0x0401 => "rsa_pkcs1_sha256",
        0x0402 => "dsa_sha256",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0420 => "rsa_pkcs1_sha256_legacy",
        0x0501 => "rsa_pkcs1_sha384",
        0x0502 => "dsa_sha384",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0520 => "rsa_pkcs1_sha384_legacy",
        0x0601 => "rsa_pkcs1_sha512",
        0x0602 => "dsa_sha512",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0620 => "rsa_pkcs1_sha512_legacy",
        0x0704 => "eccsi_sha256",
        0x0705 => "iso_ibs1",
        0x0706 => "iso_ibs2",
        0x0707 => "iso_chinese_ibs",
        0x0708 => "sm2sig_sm3",
        0x0709 => "gostr34102012_256a",
        0x070a => "gostr34102012_256b",
        0x070b => "gostr34102012_256c",
        0x070c => "gostr34102012_256d",
        0x070d => "gostr34102012_512a",
        0x070e => "gostr34102012_512b",
        0x070f => "gostr34102012_512c",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ => return None,
    })
}

/// The IANA name of an alert description.
pub const fn alert(value: u8) -> Option<&'static str> {
    Some(match value {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        52 => "too_many_cids_requested",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        117 => "general_error",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return None,
    })
}

/// The alert level's name: 1 warning, 2 fatal.
pub const fn alert_level(value: u8) -> Option<&'static str> {
    match value {
        1 => Some("warning"),
        2 => Some("fatal"),
        _ => None,
    }
}

/// The IANA name of a handshake message type (snake_case, as the report's `messages` use).
pub const fn handshake_type(value: u8) -> Option<&'static str> {
    Some(match value {
        0 => "hello_request",
        1 => "client_hello",
        2 => "server_hello",
        3 => "hello_verify_request",
        4 => "new_session_ticket",
        5 => "end_of_early_data",
        6 => "hello_retry_request",
        8 => "encrypted_extensions",
        9 => "request_connection_id",
        10 => "new_connection_id",
        11 => "certificate",
        12 => "server_key_exchange",
        13 => "certificate_request",
        14 => "server_hello_done",
        15 => "certificate_verify",
        16 => "client_key_exchange",
        17 => "client_certificate_request",
        20 => "finished",
        21 => "certificate_url",
        22 => "certificate_status",
        23 => "supplemental_data",
        24 => "key_update",
        25 => "compressed_certificate",
        26 => "ekt_key",
        254 => "message_hash",
        _ => return None,
    })
}

/// The IANA name of a record content type.
pub const fn content_type(value: u8) -> Option<&'static str> {
    Some(match value {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        24 => "heartbeat",
        25 => "tls12_cid",
        26 => "ack",
        _ => return None,
    })
}

/// A protocol version as people write it ("TLS 1.2").
pub const fn version(value: u16) -> Option<&'static str> {
    Some(match value {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0xfeff => "DTLS 1.0",
        0xfefd => "DTLS 1.2",
        0xfefc => "DTLS 1.3",
        _ => return None,
    })
}

/// A protocol version as people write it ("TLS 1.2"), else its hex ("0x7f1c"): the one
/// spelling of the CLI, the probe and the page.
pub fn version_name(value: u16) -> String {
    version(value).map_or_else(|| format!("0x{value:04x}"), String::from)
}

/// An EC point format (RFC 8422).
pub const fn ec_point_format(value: u8) -> Option<&'static str> {
    Some(match value {
        0 => "uncompressed",
        1 => "ansiX962_compressed_prime",
        2 => "ansiX962_compressed_char2",
        _ => return None,
    })
}

/// A TLS 1.2 ClientCertificateType (CertificateRequest `certificate_types`).
pub const fn certificate_type(value: u8) -> Option<&'static str> {
    Some(match value {
        1 => "rsa_sign",
        2 => "dss_sign",
        3 => "rsa_fixed_dh",
        4 => "dss_fixed_dh",
        5 => "rsa_ephemeral_dh",
        6 => "dss_ephemeral_dh",
        20 => "fortezza_dms",
        64 => "ecdsa_sign",
        65 => "rsa_fixed_ecdh",
        66 => "ecdsa_fixed_ecdh",
        67 => "gost_sign256",
        68 => "gost_sign512",
        _ => return None,
    })
}

/// A certificate compression algorithm (RFC 8879).
pub const fn compression_algorithm(value: u16) -> Option<&'static str> {
    Some(match value {
        1 => "zlib",
        2 => "brotli",
        3 => "zstd",
        _ => return None,
    })
}

/// `name (0xXXXX)`, `GREASE (0xXXXX)` or `unknown (0xXXXX)`, for the field tree.
pub fn describe16(value: u16, lookup: fn(u16) -> Option<&'static str>) -> String {
    if is_grease(value) {
        return format!("GREASE (0x{value:04x})");
    }
    match lookup(value) {
        Some(name) => format!("{name} (0x{value:04x})"),
        None => format!("unknown (0x{value:04x})"),
    }
}

/// As [`describe16`] for one-byte registries, in decimal as the RFCs write them.
pub fn describe8(value: u8, lookup: fn(u8) -> Option<&'static str>) -> String {
    match lookup(value) {
        Some(name) => format!("{name} ({value})"),
        None => format!("unknown ({value})"),
    }
}

/// The IANA name of a cipher suite alone, for [`describe16`].
pub fn cipher_suite_name(value: u16) -> Option<&'static str> {
    cipher_suite(value).map(|(iana, _)| iana)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && is_grease(0x7a7a));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0x0000));
    }

    #[test]
    fn nginx_suites_have_both_names() {
        // The nginx block's ssl_ciphers list (docs/architecture.md), by OpenSSL name.
        let wanted = [
            (0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384"),
            (0xc030, "ECDHE-RSA-AES256-GCM-SHA384"),
            (0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305"),
            (0xcca8, "ECDHE-RSA-CHACHA20-POLY1305"),
            (0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256"),
            (0xc02f, "ECDHE-RSA-AES128-GCM-SHA256"),
            (0xc024, "ECDHE-ECDSA-AES256-SHA384"),
            (0xc028, "ECDHE-RSA-AES256-SHA384"),
            (0xc023, "ECDHE-ECDSA-AES128-SHA256"),
            (0xc027, "ECDHE-RSA-AES128-SHA256"),
        ];
        for (value, openssl) in wanted {
            assert_eq!(cipher_suite(value).and_then(|(_, o)| o), Some(openssl));
        }
        assert_eq!(
            cipher_suite(0x1301),
            Some(("TLS_AES_128_GCM_SHA256", Some("TLS_AES_128_GCM_SHA256")))
        );
        assert_eq!(cipher_suite(0x0a0a), None);
    }

    #[test]
    fn registries() {
        assert_eq!(group(0x11ec), Some("X25519MLKEM768"));
        assert_eq!(extension(0xfe0d), Some("encrypted_client_hello"));
        assert_eq!(signature_scheme(0x0807), Some("ed25519"));
        assert_eq!(alert(116), Some("certificate_required"));
        assert_eq!(handshake_type(15), Some("certificate_verify"));
        assert_eq!(version(0x0303), Some("TLS 1.2"));
        assert_eq!(describe16(0x2a2a, group), "GREASE (0x2a2a)");
        assert_eq!(describe16(0x001d, group), "x25519 (0x001d)");
    }
}
