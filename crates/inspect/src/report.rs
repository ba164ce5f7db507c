//! The report model: the `inspect --json` contract (docs/report-format.md) as Rust types.
//!
//! Every front end renders this one model: the CLI as text or JSON, the web page as cards with a
//! tree and a hex view, the proxy in its logs. Fields marked `serde(skip)` (the item's bytes
//! and field tree) feed the hex view and are not part of the JSON contract.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::finding::Finding;
use crate::objects::{Certificate, Crl, Csr, Key, Opaque};
use crate::span::Node;

/// Everything one `inspect` call found: decoded items, and the sources that failed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The decoded objects, source by source, in order.
    pub items: Vec<Item>,
    /// The sources, or objects in them, that could not be decoded.
    pub errors: Vec<SourceError>,
}

/// A source (file, pasted text) that could not be decoded, or an object in it that could not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceError {
    /// The path or name of the source, as given.
    pub source: String,
    /// One sentence; `object N (LABEL): ` first for a source of several objects.
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
    /// The kind and the kind's fields (flattened into the item's JSON).
    pub body: ItemBody,
    /// What is wrong or noteworthy about the item.
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
    /// An X.509 certificate.
    Certificate(Certificate),
    /// A PKCS#10 certificate signing request.
    Csr(Csr),
    /// An X.509 certificate revocation list.
    Crl(Crl),
    /// A private key (never its key material).
    PrivateKey(Key),
    /// A public key.
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
    /// The JSON `kind`: "certificate", "csr", "private_key", ...
    pub const fn kind(&self) -> &'static str {
        match self {
            ItemBody::Certificate(_) => "certificate",
            ItemBody::Csr(_) => "csr",
            ItemBody::Crl(_) => "crl",
            ItemBody::PrivateKey(_) => "private_key",
            ItemBody::PublicKey(_) => "public_key",
            ItemBody::EncryptedPrivateKey(_) => "encrypted_private_key",
            ItemBody::Pkcs12(_) => "pkcs12",
            ItemBody::Tls(_) => "tls",
            ItemBody::Capture(_) => "capture",
        }
    }
}
