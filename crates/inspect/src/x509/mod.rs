//! X.509 objects: certificates, CRLs, CSRs, keys and PKCS#7 bundles (needs std, via x509-parser).
//!
//! Each decoder takes the DER bytes of one object and returns its report body, its field tree
//! (spans relative to those bytes) and the findings that need no other input than "now".

use alloc::vec::Vec;

use crate::error::Error;
use crate::finding::Finding;
use crate::report::ItemBody;
use crate::span::Node;
use crate::time::Timestamp;

// certificate, extension and name stay public for the proxy's per-connection facts
// (proxy/src/certinfo.rs) and signature for the tests' signature checks: both still pass
// x509-parser types or internals and are to be replaced by DER-taking functions.
pub mod certificate;
pub mod crl;
mod csr;
pub mod extension;
pub(crate) mod key;
pub mod name;
mod pkcs7;
mod public_key;
pub mod signature;

pub use crl::{revocation, Revocation};
pub use key::PRIVATE;
pub use name::rfc4514_der;

/// What a decoder returns for one object.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The report body.
    pub body: ItemBody,
    /// Every field with its span in the DER.
    pub tree: Vec<Node>,
    /// The findings that need nothing but the object and "now".
    pub findings: Vec<Finding>,
}

/// The private key encodings the sniffer tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    /// PKCS#8 PrivateKeyInfo / OneAsymmetricKey (`PRIVATE KEY`).
    Pkcs8,
    /// PKCS#1 RSAPrivateKey (`RSA PRIVATE KEY`).
    Pkcs1,
    /// SEC1 ECPrivateKey (`EC PRIVATE KEY`).
    Sec1,
}

/// Decodes one certificate; `now` adds the validity findings.
pub fn decode_certificate(der: &[u8], now: Option<Timestamp>) -> Result<Decoded, Error> {
    certificate::decode(der, now)
}

/// Decodes one certificate revocation list; `now` adds the `crl_expired` finding.
pub fn decode_crl(der: &[u8], now: Option<Timestamp>) -> Result<Decoded, Error> {
    crl::decode(der, now)
}

/// Decodes one PKCS#10 certificate signing request and checks its self-signature.
pub fn decode_csr(der: &[u8]) -> Result<Decoded, Error> {
    csr::decode(der)
}

/// Decodes a private key: algorithm, size, curve and the fingerprint of its public key.
pub fn decode_private_key(der: &[u8], format: KeyFormat) -> Result<Decoded, Error> {
    key::decode_private(der, format)
}

/// Decodes a SubjectPublicKeyInfo, or a PKCS#1 RSAPublicKey when `pkcs1` is set.
pub fn decode_public_key(der: &[u8], pkcs1: bool) -> Result<Decoded, Error> {
    key::decode_public(der, pkcs1)
}

/// The certificates of a PKCS#7 / CMS SignedData bundle (`.p7b`), as sub-slices of `der`.
pub fn pkcs7_certificates(der: &[u8]) -> Result<Vec<&[u8]>, Error> {
    pkcs7::certificates(der)
}
