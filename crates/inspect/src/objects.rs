//! The X.509 objects as the report lists them: certificates, CSRs, keys and their parts.
//!
//! A leaf module of the report model: a report [`crate::Item`] holds them, and so does the TLS
//! model (the certificates of a Certificate message), without either depending on the other.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

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
    pub subject: String,
    /// RFC 4514, as the subject.
    pub issuer: String,
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
    pub san: Vec<String>,
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
    pub subject: String,
    /// Algorithm, size and curve of the public key.
    pub public_key: PublicKeyInfo,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: String,
    /// SANs requested in the extensionRequest attribute.
    pub san: Vec<String>,
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
