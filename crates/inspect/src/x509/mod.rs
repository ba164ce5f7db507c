//! X.509 objects: certificates, CRLs, CSRs, keys and PKCS#7 bundles (needs std, via x509-parser).
//!
//! Each decoder takes the DER bytes of one object and returns its report body, its field tree
//! (spans relative to those bytes) and the findings that need no other input than "now".

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Error;
use crate::finding::Finding;
use crate::name::{Name, San};
use crate::report::ItemBody;
use crate::span::Node;
use crate::time::Timestamp;

// Private modules: x509-parser's types stay inside; callers get the functions and types below.
pub(crate) mod certificate;
pub(crate) mod crl;
mod csr;
pub(crate) mod extension;
pub(crate) mod key;
mod pkcs7;
mod public_key;
pub(crate) mod signature;

pub use crl::{revocation, Revocation};
pub use key::PRIVATE;
pub use signature::Verification;

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

/// The facts of a certificate that a server needs for each connection (its identity headers,
/// logs and authorization rules), read by [`certificate_facts`]: the same values as the report's
/// `certificate` item, without its field tree, findings, SHA-1 and extension texts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateFacts {
    /// The subject.
    pub subject: Name,
    /// The issuer.
    pub issuer: Name,
    /// Lowercase hex, no leading zeros ("0" for 0), as the report's `serial`.
    pub serial: String,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// The subjectAltName entries, in order.
    pub san: Vec<San>,
    /// extendedKeyUsage: serverAuth, clientAuth, ..., else the dotted OID; empty when absent.
    pub extended_key_usage: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// SHA-256 of the certificate's DER.
    pub sha256: [u8; 32],
    /// SHA-256 of its SubjectPublicKeyInfo (what `spki` pins compare).
    pub spki_sha256: [u8; 32],
}

/// The facts of a CRL that a server checks when it loads one, read by [`crl_facts`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CrlFacts {
    /// The issuer.
    pub issuer: Name,
    /// The issuer's DER `Name`, to find its CA by subject.
    pub issuer_der: Vec<u8>,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate; `None` when absent (RFC 5280 5.1.2.5 requires it).
    pub next_update: Option<Timestamp>,
    /// How many revoked certificates it lists.
    pub entries: usize,
    /// Whether it is a version 2 CRL (RFC 5280 5.1.2.1: required with extensions).
    pub v2: bool,
}

/// Reads the [`CertificateFacts`] of a DER certificate: cheaper than [`decode_certificate`],
/// for a caller that needs them once per connection.
pub fn certificate_facts(der: &[u8]) -> Result<CertificateFacts, Error> {
    certificate::facts(der)
}

/// Reads the [`CrlFacts`] of a DER CRL.
pub fn crl_facts(der: &[u8]) -> Result<CrlFacts, Error> {
    crl::facts(der)
}

/// Checks the signature of the DER CRL `crl` with the key of the DER certificate `ca` (only
/// the cryptography: whether `ca` is the CRL's issuer is the caller's question).
pub fn verify_crl(crl: &[u8], ca: &[u8]) -> Result<Verification, Error> {
    crl::verify_with_certificate(crl, ca)
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
