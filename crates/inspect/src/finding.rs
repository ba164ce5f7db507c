//! Findings: what is wrong (or worth knowing) about an item, with a stable code.
//!
//! Codes are part of the JSON contract (docs/report-format.md) and documented in docs/; messages
//! are one sentence a person understands. A finding may point at the bytes that prove it.

use alloc::string::String;
use serde::Serialize;

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
/// How bad a finding is.
pub enum Severity {
    /// Worth knowing; nothing fails because of it.
    Info,
    /// May fail with some peers or later; should be fixed.
    Warning,
    /// A verifier rejects this, or the object is unusable as is.
    Error,
}

impl Severity {
    /// The JSON spelling: "info", "warning" or "error".
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A finding's stable code: part of the JSON contract (docs/report-format.md,
/// docs/diagnosis.md), written in snake_case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A certificate in a TLS Certificate message could not be decoded.
    BadCertificateInHandshake,
    /// A packet of a capture could not be read (link, IP or TCP header).
    BadPacket,
    /// A signature does not verify (a CSR's self-signature, or a certificate's with its issuer's key).
    BadSignature,
    /// A CA certificate (CA:TRUE) is used as a client or server certificate.
    CaUsedAsLeaf,
    /// The only chains to the bundle have more intermediate CAs than the verifier allows.
    ChainTooDeep,
    /// A capture file's structure is damaged; the rest of it was not read.
    CaptureDamaged,
    /// A capture file ends inside a record.
    CaptureTruncated,
    /// The server asked for a client certificate and the client sent none.
    ClientCertificateMissing,
    /// The server rejected the client certificate with an alert.
    ClientCertificateRejected,
    /// A CRL's nextUpdate is before the evaluation time (RFC 5280 5.1.2.5, 6.3.3 (a)(2)).
    CrlExpired,
    /// CRLs were given, and none is from the issuer of a certificate of the chain (RFC 5280 6.3.3).
    CrlMissingForIssuer,
    /// A CRL names a certificate's issuer but its signature does not verify with that issuer's key (RFC 5280 6.3.3 (f)).
    CrlNotSignedByIssuer,
    /// A CRL breaks RFC 5280 (no or a critical cRLNumber, an unknown critical extension, a delta CRL) and is not used (RFC 5280 5.2).
    CrlUnusable,
    /// Encrypted records did not decrypt with the key log's secrets.
    DecryptionFailed,
    /// A connection's encrypted records were decrypted with a key log.
    Decrypted,
    /// notAfter is before the evaluation time (RFC 5280 4.1.2.5).
    Expired,
    /// Fewer than 30 days of validity are left.
    ExpiresSoon,
    /// The certificate's names do not cover the host (RFC 6125 6.4).
    HostnameMismatch,
    /// A fragmented IP packet, which is not reassembled.
    IpFragment,
    /// A private key and a certificate or CSR of the same call share the public key.
    KeyMatches,
    /// A private key matches none of the certificates or CSRs it was given with.
    KeyMismatch,
    /// The keyUsage extension lacks a bit the certificate's use needs (RFC 5280 4.2.1.3).
    KeyUsage,
    /// The serial number is longer than 20 octets (RFC 5280 4.1.2.2).
    LongSerial,
    /// A TLS alert record that is not two bytes.
    MalformedAlert,
    /// A TLS extension whose body does not parse.
    MalformedExtension,
    /// A TLS handshake message whose body does not parse.
    MalformedHandshake,
    /// A name in a certificate (SAN DNS name, IP address, email) is not valid syntax (RFC 5280 4.2.1.6).
    MalformedName,
    /// The extended key usage does not allow clientAuth (RFC 5280 4.2.1.12).
    MissingClientAuthEku,
    /// The issuer is neither in the CA bundle nor sent with the chain.
    MissingIntermediate,
    /// The extended key usage does not allow serverAuth (RFC 5280 4.2.1.12).
    MissingServerAuthEku,
    /// A name is outside an issuer's nameConstraints (RFC 5280 4.2.1.10).
    NameConstraints,
    /// The serial number is negative (RFC 5280 4.1.2.2).
    NegativeSerial,
    /// The server refused the ClientHello (handshake_failure or insufficient_security) without a ServerHello.
    NoCommonCipher,
    /// An end-entity certificate that may serve TLS has no subjectAltName: clients ignore the CN (RFC 6125 6.4.4).
    NoSan,
    /// A capture holds no TLS connection.
    NoTls,
    /// A certificate signed another but is not a CA (RFC 5280 4.2.1.9).
    NotACa,
    /// The bytes are not a TLS record.
    NotARecord,
    /// An encrypted key or PKCS#12 file: named but not decrypted.
    NotDecoded,
    /// A TCP connection of a capture does not carry TLS.
    NotTls,
    /// notBefore is after the evaluation time (RFC 5280 4.1.2.5).
    NotYetValid,
    /// A CA's pathLenConstraint is exceeded by the chain (RFC 5280 4.2.1.9).
    PathLenExceeded,
    /// A certificate breaks a MUST of the RFC 5280 profile (or, for TLS servers, of the CA/Browser Forum Baseline Requirements) that strict verifiers enforce.
    ProfileViolation,
    /// The two sides have no TLS version in common (alert 70).
    ProtocolVersion,
    /// A CRL of the certificate's issuer lists its serial number (RFC 5280 6.3.3 (i)).
    Revoked,
    /// The client rejected the server's certificate with an alert.
    ServerCertificateRejected,
    /// A key log holds no usable secret for a connection, or for some of its records.
    SecretsMissing,
    /// Signed with SHA-1.
    Sha1Signature,
    /// The client certificate's key can sign with none of the signature algorithms the CertificateRequest allows (RFC 5246 7.4.4).
    SignatureAlgorithmMismatch,
    /// A signature made with an algorithm not checked here.
    SignatureNotChecked,
    /// Bytes of a TCP stream are missing from the capture.
    TcpGap,
    /// The capture does not hold the TCP handshake of a connection.
    TcpNoHandshake,
    /// A long-lived connection's bytes past the streaming reader's budget were counted, not
    /// kept or decoded.
    TcpNotKept,
    /// TCP segments arrived out of order.
    TcpOutOfOrder,
    /// Retransmitted TCP bytes differ from the first copy.
    TcpOverlapConflict,
    /// TCP segments were sent again.
    TcpRetransmission,
    /// The bytes after a gap in a TCP stream are not decoded as TLS.
    TlsAfterGap,
    /// Bytes after the object were ignored.
    TrailingBytes,
    /// The bytes end inside a TLS handshake message.
    TruncatedHandshake,
    /// The bytes end inside a TLS record.
    TruncatedRecord,
    /// A critical extension this decoder does not know: verifiers must reject it (RFC 5280 4.2).
    UnknownCriticalExtension,
    /// A certificate given for a diagnosis could not be decoded and was skipped.
    UnreadableCertificate,
    /// A signature or key of the chain uses an algorithm the verifier does not implement (DSA, P-192, explicit curve parameters, Ed448).
    UnsupportedAlgorithm,
    /// A capture's link layer is not one this decoder reads.
    UnsupportedLinkType,
    /// The chain ends at an issuer that is not in the CA bundle.
    UntrustedIssuer,
    /// An RSA key under 2048 bits.
    WeakKey,
    /// Signed with MD5 or MD2.
    WeakSignature,
}

impl Code {
    /// The code as the JSON writes it ("expired", "tcp_gap").
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::BadCertificateInHandshake => "bad_certificate_in_handshake",
            Code::BadPacket => "bad_packet",
            Code::BadSignature => "bad_signature",
            Code::CaUsedAsLeaf => "ca_used_as_leaf",
            Code::ChainTooDeep => "chain_too_deep",
            Code::CaptureDamaged => "capture_damaged",
            Code::CaptureTruncated => "capture_truncated",
            Code::ClientCertificateMissing => "client_certificate_missing",
            Code::ClientCertificateRejected => "client_certificate_rejected",
            Code::CrlExpired => "crl_expired",
            Code::CrlMissingForIssuer => "crl_missing_for_issuer",
            Code::CrlNotSignedByIssuer => "crl_not_signed_by_issuer",
            Code::CrlUnusable => "crl_unusable",
            Code::DecryptionFailed => "decryption_failed",
            Code::Decrypted => "decrypted",
            Code::Expired => "expired",
            Code::ExpiresSoon => "expires_soon",
            Code::HostnameMismatch => "hostname_mismatch",
            Code::IpFragment => "ip_fragment",
            Code::KeyMatches => "key_matches",
            Code::KeyMismatch => "key_mismatch",
            Code::KeyUsage => "key_usage",
            Code::LongSerial => "long_serial",
            Code::MalformedAlert => "malformed_alert",
            Code::MalformedExtension => "malformed_extension",
            Code::MalformedHandshake => "malformed_handshake",
            Code::MalformedName => "malformed_name",
            Code::MissingClientAuthEku => "missing_client_auth_eku",
            Code::MissingIntermediate => "missing_intermediate",
            Code::MissingServerAuthEku => "missing_server_auth_eku",
            Code::NameConstraints => "name_constraints",
            Code::NegativeSerial => "negative_serial",
            Code::NoCommonCipher => "no_common_cipher",
            Code::NoSan => "no_san",
            Code::NoTls => "no_tls",
            Code::NotACa => "not_a_ca",
            Code::NotARecord => "not_a_record",
            Code::NotDecoded => "not_decoded",
            Code::NotTls => "not_tls",
            Code::NotYetValid => "not_yet_valid",
            Code::PathLenExceeded => "path_len_exceeded",
            Code::ProfileViolation => "profile_violation",
            Code::ProtocolVersion => "protocol_version",
            Code::Revoked => "revoked",
            Code::ServerCertificateRejected => "server_certificate_rejected",
            Code::SecretsMissing => "secrets_missing",
            Code::Sha1Signature => "sha1_signature",
            Code::SignatureAlgorithmMismatch => "signature_algorithm_mismatch",
            Code::SignatureNotChecked => "signature_not_checked",
            Code::TcpGap => "tcp_gap",
            Code::TcpNoHandshake => "tcp_no_handshake",
            Code::TcpNotKept => "tcp_not_kept",
            Code::TcpOutOfOrder => "tcp_out_of_order",
            Code::TcpOverlapConflict => "tcp_overlap_conflict",
            Code::TcpRetransmission => "tcp_retransmission",
            Code::TlsAfterGap => "tls_after_gap",
            Code::TrailingBytes => "trailing_bytes",
            Code::TruncatedHandshake => "truncated_handshake",
            Code::TruncatedRecord => "truncated_record",
            Code::UnknownCriticalExtension => "unknown_critical_extension",
            Code::UnreadableCertificate => "unreadable_certificate",
            Code::UnsupportedAlgorithm => "unsupported_algorithm",
            Code::UnsupportedLinkType => "unsupported_link_type",
            Code::UntrustedIssuer => "untrusted_issuer",
            Code::WeakKey => "weak_key",
            Code::WeakSignature => "weak_signature",
        }
    }
}

display_as_str!(Code);

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One thing found about an item, with its stable code and a sentence.
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// The stable code (docs/report-format.md, docs/diagnosis.md).
    pub code: Code,
    /// One sentence that says what is wrong and what to do.
    pub message: String,
    /// The bytes of the item that prove the finding, when there are such bytes.
    #[serde(skip)]
    pub span: Option<Span>,
    /// For findings about one certificate (or CRL) among several (diagnosis): its SHA-256, to
    /// which `span` then refers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

impl Finding {
    /// A finding of any severity.
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            span: None,
            certificate: None,
        }
    }

    /// A finding of severity error.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A finding of severity warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// A finding of severity info.
    pub fn info(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    /// The same finding, pointing at the bytes it is about.
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Points at `span` in the certificate with this SHA-256 (when the span is known).
    pub fn in_certificate(mut self, sha256: &str, span: Option<Span>) -> Self {
        self.certificate = Some(String::from(sha256));
        self.span = span;
        self
    }
}
