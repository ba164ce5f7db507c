//! TLS bytes: one direction of a connection decoded record by record and message by message.
//!
//! This is the packet-by-packet reading of an mTLS handshake (docs/architecture.md, "The setup
//! mtlskit replaces", step 4) for any bytes a user has. [`decode`] never fails: it reports every
//! record, every handshake message it can read (reassembled across records, several per
//! record), alerts, certificates, fingerprints (JA3, JA3S, JA4), and findings for what is cut
//! short or malformed. Every record, message, field and extension has a node with its byte
//! span in the stream, for the hex view.
//!
//! Written by hand rather than with tls-parser: the report needs a span for every field
//! (tls-parser's typed values drop positions, e.g. cipher lists become `Vec<u16>`), partial
//! results from a hello cut short (a nom `Incomplete` yields nothing), and named errors; and
//! tls-parser 0.12 pulls in nom-derive and phf for what is a few hundred lines of reading.
//! The module is `no_std` + alloc; only certificate decoding inside Certificate messages and
//! CA names in CertificateRequest need the `std` feature (x509-parser).

use alloc::vec::Vec;

use crate::finding::Finding;
use crate::span::Node;
use crate::time::Timestamp;

mod appdata;
mod cache;
mod certificate;
mod codec;
mod decoder;
mod extension;
mod handshake;
mod hello;
pub mod iana;
mod ja3;
mod ja4;
mod key_exchange;
pub mod model;
pub mod names;
mod reassembly;
mod record;
mod suites;
mod summary;

pub use cache::CertificateCache;
pub use model::Tls;

/// What [`decode`] returns: the report object, the field tree and the findings.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// The report object of the direction.
    pub tls: model::Tls,
    /// One node per record; handshake messages are children of the record they start in.
    pub tree: Vec<Node>,
    /// What is cut short or malformed, and the certificates' findings.
    pub findings: Vec<Finding>,
    /// With keys: every decrypted record's plaintext, in order (the records' `decrypted.offset`
    /// and the spans of `plain_tree` index these bytes).
    pub plaintext: Vec<u8>,
    /// With keys: one node per decrypted record, named like the encrypted record it came from,
    /// with the messages and alerts decoded from its plaintext.
    pub plain_tree: Vec<Node>,
}

/// Decodes one direction of a TLS connection. `now` adds the certificates' validity findings.
pub fn decode(bytes: &[u8], now: Option<Timestamp>) -> Decoded {
    decode_keyed(bytes, now, None, true, &mut CertificateCache::default())
}

/// [`decode`], decrypting the encrypted records with this direction's keys; the field trees
/// only when `trees` is set (without them, no node is built and no value formatted for one);
/// certificates decoded before are taken from `certificates`.
pub(crate) fn decode_keyed(
    bytes: &[u8],
    now: Option<Timestamp>,
    keys: Option<crate::decrypt::Decrypter>,
    trees: bool,
    certificates: &mut CertificateCache,
) -> Decoded {
    let mut d = decoder::Decoder {
        now,
        trees,
        certificates: core::mem::take(certificates),
        // The client's direction has no ServerHello: the decrypted messages' formats follow
        // the version the server chose.
        version: keys.as_ref().map(crate::decrypt::Decrypter::version),
        decrypter: keys,
        ..decoder::Decoder::default()
    };
    d.run(bytes);
    *certificates = core::mem::take(&mut d.certificates);
    Decoded {
        tls: d.tls,
        tree: d.tree,
        findings: d.findings,
        plaintext: d.plaintext,
        plain_tree: d.plain_tree,
    }
}

/// `true` when the bytes start like one direction of a TLS connection (a record header with
/// a known content type and version, or an SSLv2-compatible ClientHello).
pub fn looks_like_tls(bytes: &[u8]) -> bool {
    record::looks_like_tls(bytes)
}
