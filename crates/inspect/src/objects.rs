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
    pub bits: Option<u32>,
    /// P-256, P-384, P-521, or another curve's name; `None` when the key has no curve.
    pub curve: Option<String>,
}

/// One extension as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub oid: String,
    pub name: String,
    pub critical: bool,
    /// The decoded value as text (hex of the DER for unknown extensions).
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Certificate {
    pub version: u8,
    pub serial: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub sha256: String,
    pub sha1: String,
    pub spki_sha256: String,
    pub san: Vec<String>,
    pub public_key: PublicKeyInfo,
    pub signature_algorithm: String,
    pub signature_algorithm_oid: String,
    pub is_ca: bool,
    pub path_len: Option<u32>,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    pub extensions: Vec<Extension>,
    /// Unix seconds of the validity bounds, for callers that compare times.
    #[serde(skip)]
    pub not_before_unix: i64,
    #[serde(skip)]
    pub not_after_unix: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Csr {
    pub subject: String,
    pub public_key: PublicKeyInfo,
    pub spki_sha256: String,
    /// SANs requested in the extensionRequest attribute.
    pub san: Vec<String>,
    pub signature_algorithm: String,
    pub signature_algorithm_oid: String,
    /// `true`/`false` when checked, `null` when the algorithm cannot be checked here.
    pub signature_valid: Option<bool>,
    pub attributes: Vec<Attribute>,
    /// Extensions requested in the extensionRequest attribute.
    pub extensions: Vec<Extension>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub oid: String,
    pub name: String,
    pub value: String,
}

/// A private or public key: never its key material, only what identifies it.
#[derive(Clone, Debug, Serialize)]
pub struct Key {
    pub algorithm: String,
    pub bits: Option<u32>,
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
pub struct ItemRef {
    pub source: String,
    pub index: usize,
}

/// An object that is recognised but not decoded.
#[derive(Clone, Debug, Serialize)]
pub struct Opaque {
    pub format: String,
}
