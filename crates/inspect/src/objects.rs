//! The X.509 objects as the report lists them: certificates, CSRs, keys and their parts.
//!
//! A leaf module of the report model: a report [`crate::Item`] holds them, and so does the TLS
//! model (the certificates of a Certificate message), without either depending on the other.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::name::{Name, San};

/// Algorithm, size and curve of a public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicKeyInfo {
    /// RSA, RSA-PSS, EC, Ed25519, Ed448, X25519, X448, DSA, or the dotted OID.
    pub algorithm: String,
    /// Key size in bits.
    pub bits: Option<u32>,
    /// P-256, P-384, P-521, or another curve's name; `None` when the key has no curve.
    pub curve: Option<String>,
}

/// One extension as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// The dotted OID.
    pub oid: String,
    /// OpenSSL's name for it, else the OID.
    pub name: String,
    /// The critical flag.
    pub critical: bool,
    /// The decoded value as text (hex of the DER for unknown extensions).
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
/// An X.509 certificate: the `certificate` kind of docs/report-format.md.
pub struct Certificate {
    /// 1, 2 or 3.
    pub version: u8,
    /// Lowercase hex, no leading zeros, "0" for 0.
    pub serial: String,
    /// RFC 4514, as `openssl x509 -nameopt RFC2253,-esc_msb` prints it.
    pub subject: Name,
    /// RFC 4514, as the subject.
    pub issuer: Name,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// SHA-256 fingerprint of the DER, lowercase hex.
    pub sha256: String,
    /// SHA-1 fingerprint of the DER, lowercase hex.
    pub sha1: String,
    /// SHA-256 of the DER SubjectPublicKeyInfo (what pins and key matching use).
    pub spki_sha256: String,
    /// Subject alternative names: `DNS:x`, `IP:1.2.3.4`, `email:x`, `URI:x`, ...
    pub san: Vec<San>,
    /// Algorithm, size and curve of the public key.
    pub public_key: PublicKeyInfo,
    /// OpenSSL's name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ...).
    pub signature_algorithm: String,
    /// The signature algorithm's dotted OID.
    pub signature_algorithm_oid: String,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint; `None` when absent.
    pub path_len: Option<u32>,
    /// keyUsage bits by their RFC 5280 names.
    pub key_usage: Vec<String>,
    /// extendedKeyUsage: serverAuth, clientAuth, ..., else the dotted OID.
    pub extended_key_usage: Vec<String>,
    /// Every extension, in order.
    pub extensions: Vec<Extension>,
    /// Unix seconds of the validity bounds, for callers that compare times.
    #[serde(skip)]
    pub not_before_unix: i64,
    #[serde(skip)]
    /// Unix seconds of `not_after`.
    pub not_after_unix: i64,
}

#[derive(Clone, Debug, Serialize)]
/// A PKCS#10 certificate signing request: the `csr` kind.
pub struct Csr {
    /// RFC 4514, as in a certificate.
    pub subject: Name,
    /// Algorithm, size and curve of the public key.
    pub public_key: PublicKeyInfo,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: String,
    /// SANs requested in the extensionRequest attribute.
    pub san: Vec<San>,
    /// OpenSSL's name of the signature algorithm.
    pub signature_algorithm: String,
    /// The signature algorithm's dotted OID.
    pub signature_algorithm_oid: String,
    /// `true`/`false` when checked, `null` when the algorithm cannot be checked here.
    pub signature_valid: Option<bool>,
    /// The CSR's attributes, the extensionRequest included.
    pub attributes: Vec<Attribute>,
    /// Extensions requested in the extensionRequest attribute.
    pub extensions: Vec<Extension>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One attribute of a CSR.
pub struct Attribute {
    /// The dotted OID.
    pub oid: String,
    /// Its name, else the OID.
    pub name: String,
    /// The value as text.
    pub value: String,
}

/// A private or public key: never its key material, only what identifies it.
#[derive(Clone, Debug, Serialize)]
pub struct Key {
    /// RSA, RSA-PSS, EC, Ed25519, Ed448, X25519, X448, DSA, or the dotted OID.
    pub algorithm: String,
    /// Key size in bits.
    pub bits: Option<u32>,
    /// The curve's name; `None` when the key has no curve.
    pub curve: Option<String>,
    /// SHA-256 of the DER SubjectPublicKeyInfo of the (derived) public key; `None` when the
    /// public key cannot be derived here.
    pub spki_sha256: Option<String>,
    /// "PKCS#8", "PKCS#1", "SEC1", "SubjectPublicKeyInfo".
    pub format: String,
    /// Certificates and CSRs given in the same call whose public key is this key's.
    pub matches: Vec<ItemRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// Where another item of the same call is: its source and index.
pub struct ItemRef {
    /// The item's source.
    pub source: String,
    /// The item's index in its source.
    pub index: usize,
}

/// An object that is recognised but not decoded.
#[derive(Clone, Debug, Serialize)]
pub struct Opaque {
    /// What it is, e.g. "PKCS#12".
    pub format: String,
}

#[derive(Clone, Debug, Serialize)]
/// An X.509 certificate revocation list (RFC 5280 5): the `crl` kind of docs/report-format.md.
pub struct Crl {
    /// 1 (no version field) or 2.
    pub version: u8,
    /// The CRL issuer, RFC 4514 as a certificate's issuer.
    pub issuer: Name,
    /// thisUpdate, RFC 3339 UTC.
    pub this_update: String,
    /// nextUpdate, RFC 3339 UTC; `None` when absent (RFC 5280 5.1.2.5 requires it).
    pub next_update: Option<String>,
    /// The cRLNumber extension in decimal, as `openssl crl -text` prints it.
    pub crl_number: Option<String>,
    /// The keyIdentifier of the authorityKeyIdentifier extension, colon hex as OpenSSL prints it.
    pub authority_key_id: Option<String>,
    /// The revoked certificates, in the order of the list.
    pub revoked: Vec<RevokedEntry>,
    /// OpenSSL's name of the signature algorithm.
    pub signature_algorithm: String,
    /// The signature algorithm's dotted OID.
    pub signature_algorithm_oid: String,
    /// `true`/`false` when a CA certificate of the same call is named as the issuer and its key
    /// checked the signature, `null` when none was given (or the algorithm is not checked here).
    pub signature_valid: Option<bool>,
    /// The CA certificate of the same call whose key verified the signature.
    pub signed_by: Option<ItemRef>,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256: String,
    /// Every CRL extension, in order (the entries' extensions are in `revoked`).
    pub extensions: Vec<Extension>,
    /// Unix seconds of thisUpdate, for callers that compare times.
    #[serde(skip)]
    pub this_update_unix: i64,
    /// Unix seconds of nextUpdate.
    #[serde(skip)]
    pub next_update_unix: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One revoked certificate of a CRL (RFC 5280 5.1.2.6 and 5.3).
pub struct RevokedEntry {
    /// userCertificate: the serial, as a certificate's `serial`.
    pub serial: String,
    /// revocationDate, RFC 3339 UTC.
    pub revocation_date: String,
    /// The cRLReason entry extension, when present (RFC 5280 5.3.1).
    pub reason: Option<RevocationReason>,
    /// The invalidityDate entry extension, RFC 3339 UTC (RFC 5280 5.3.2).
    pub invalidity_date: Option<String>,
    /// Unix seconds of revocationDate.
    #[serde(skip)]
    pub revocation_date_unix: i64,
}

/// CRLReason (RFC 5280 5.3.1), by its ASN.1 name; values outside the registry are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationReason {
    /// unspecified (0).
    Unspecified,
    /// keyCompromise (1).
    KeyCompromise,
    /// cACompromise (2).
    CaCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// superseded (4).
    Superseded,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// certificateHold (6).
    CertificateHold,
    /// removeFromCRL (8).
    RemoveFromCrl,
    /// privilegeWithdrawn (9).
    PrivilegeWithdrawn,
    /// aACompromise (10).
    AaCompromise,
    /// A value RFC 5280 does not define (7, or above 10).
    Unknown(u8),
}

impl RevocationReason {
    /// Every reason RFC 5280 defines, in the order of their codes.
    pub const ALL: [Self; 10] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::CertificateHold,
        Self::RemoveFromCrl,
        Self::PrivilegeWithdrawn,
        Self::AaCompromise,
    ];

    /// The reason RFC 5280 names `name` (`keyCompromise`, as OpenSSL's `-crl_reason` takes it),
    /// in any case and with or without `-` and `_` (`key-compromise`); `None` for another name.
    pub fn from_name(name: &str) -> Option<Self> {
        let fold = |t: &'static str| t.chars().filter(|c| !matches!(c, '-' | '_'));
        let wanted = name.chars().filter(|c| !matches!(c, '-' | '_'));
        Self::ALL.into_iter().find(|r| {
            fold(r.as_str())
                .map(|c| c.to_ascii_lowercase())
                .eq(wanted.clone().map(|c| c.to_ascii_lowercase()))
        })
    }

    /// The reason of a CRLReason ENUMERATED value.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Unspecified,
            1 => Self::KeyCompromise,
            2 => Self::CaCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            6 => Self::CertificateHold,
            8 => Self::RemoveFromCrl,
            9 => Self::PrivilegeWithdrawn,
            10 => Self::AaCompromise,
            other => Self::Unknown(other),
        }
    }

    /// The ASN.1 name RFC 5280 gives it ("keyCompromise"); "unknown" outside the registry.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::CertificateHold => "certificateHold",
            Self::RemoveFromCrl => "removeFromCRL",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
            Self::AaCompromise => "aACompromise",
            Self::Unknown(_) => "unknown",
        }
    }
}

display_as_str!(RevocationReason);
