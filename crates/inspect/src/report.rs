//! The report model: design.md's `inspect --json` contract as Rust types.
//!
//! Every front end renders this one model: the CLI as text or JSON, the web page as cards with a
//! tree and a hex view, the proxy in its logs. Fields marked `serde(skip)` (the item's bytes
//! and field tree) feed the hex view and are not part of the JSON contract.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::finding::Finding;
use crate::span::Node;

/// Everything one `inspect` call found: decoded items, and the sources that failed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub items: Vec<Item>,
    pub errors: Vec<SourceError>,
}

/// A source (file, pasted text) that could not be decoded, or an object in it that could not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceError {
    pub source: String,
    pub message: String,
}

/// One decoded object.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// The path (or name) of the source, as given.
    pub source: String,
    /// The position of this item in its source, from 0.
    pub index: usize,
    #[serde(flatten)]
    pub body: ItemBody,
    pub findings: Vec<Finding>,
    /// How the item was found: "PEM CERTIFICATE", "DER", "base64", "hex", "PKCS#7 bundle".
    #[serde(skip)]
    pub encoding: String,
    /// The item's own bytes (DER for X.509 objects); spans in `tree` index into these.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Every decoded field with its byte span.
    #[serde(skip)]
    pub tree: Vec<Node>,
}

impl Item {
    /// The worst severity among the findings, if any.
    pub fn worst(&self) -> Option<crate::Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// The kind of an item and its kind-specific fields.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemBody {
    Certificate(Certificate),
    Csr(Csr),
    PrivateKey(Key),
    PublicKey(Key),
    /// A PKCS#8 EncryptedPrivateKeyInfo or a legacy encrypted PEM key: named, not decrypted.
    EncryptedPrivateKey(Opaque),
    /// A PKCS#12 (.p12/.pfx) file: named, not decrypted.
    Pkcs12(Opaque),
    /// One direction of a TLS connection (raw bytes or their hex dump).
    Tls(alloc::boxed::Box<crate::tls::model::Tls>),
    /// A pcap or pcapng capture: its TLS connections, both directions decoded.
    Capture(alloc::boxed::Box<crate::capture::model::Capture>),
}

impl ItemBody {
    pub const fn kind(&self) -> &'static str {
        match self {
            ItemBody::Certificate(_) => "certificate",
            ItemBody::Csr(_) => "csr",
            ItemBody::PrivateKey(_) => "private_key",
            ItemBody::PublicKey(_) => "public_key",
            ItemBody::EncryptedPrivateKey(_) => "encrypted_private_key",
            ItemBody::Pkcs12(_) => "pkcs12",
            ItemBody::Tls(_) => "tls",
            ItemBody::Capture(_) => "capture",
        }
    }
}

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
