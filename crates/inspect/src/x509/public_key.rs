//! Public keys: algorithm, size and curve of a SubjectPublicKeyInfo, and its fingerprint.
//!
//! Certificates, CSRs and keys all carry a SubjectPublicKeyInfo; matching a key to its
//! certificate, and pinning, use the SHA-256 of its DER (`spki_sha256`). Sizes are what
//! `openssl ... -text` prints as "Public-Key: (N bit)". Read with [`crate::der`] rather than
//! x509-parser so that every field keeps its span and unknown algorithms still describe.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

use crate::der::{self, Reader, Tlv};
use crate::error::Error;
use crate::objects::PublicKeyInfo;
use crate::span::{Node, Span};

use crate::oid::{
    curve_by_oid, key_algorithm_name, DSA as OID_DSA, EC_PUBLIC_KEY as OID_EC,
    ED25519 as OID_ED25519, ED448 as OID_ED448, RSASSA_PSS as OID_RSA_PSS,
    RSA_ENCRYPTION as OID_RSA, X25519 as OID_X25519, X448 as OID_X448,
};

/// The parts of a SubjectPublicKeyInfo, as sub-slices of its DER.
struct Spki<'a> {
    whole: Tlv<'a>,
    algorithm: Tlv<'a>,
    oid: Tlv<'a>,
    dotted: String,
    params: Option<Tlv<'a>>,
    key: Tlv<'a>,
}

fn split(spki_der: &[u8], base: usize) -> Result<Spki<'_>, Error> {
    let whole = Reader::at(spki_der, base).expect(der::TAG_SEQUENCE, "SubjectPublicKeyInfo")?;
    let mut r = Reader::at(whole.content, whole.offset + whole.header_len());
    let algorithm = r.expect(der::TAG_SEQUENCE, "SubjectPublicKeyInfo algorithm")?;
    let key = r.expect(der::TAG_BIT_STRING, "SubjectPublicKeyInfo subjectPublicKey")?;
    let mut a = Reader::at(algorithm.content, algorithm.offset + algorithm.header_len());
    let oid = a.expect(der::TAG_OID, "public key algorithm")?;
    let params = if a.is_empty() { None } else { Some(a.read()?) };
    let dotted = der::oid_to_string(oid.content).ok_or(Error::BadDer {
        what: "public key algorithm",
        offset: oid.offset,
    })?;
    Ok(Spki {
        whole,
        algorithm,
        oid,
        dotted,
        params,
        key,
    })
}

/// The bytes of a BIT STRING without its unused-bits octet.
fn bits_of<'a>(key: &Tlv<'a>) -> &'a [u8] {
    key.content.get(1..).unwrap_or(&[])
}

/// Number of significant bits of a big-endian unsigned INTEGER's content.
fn int_bits(content: &[u8]) -> u32 {
    let mut bytes = content;
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    match bytes.first() {
        None => 0,
        Some(b) => (bytes.len() as u32 - 1) * 8 + (8 - b.leading_zeros()),
    }
}

/// Algorithm, size and curve, as `openssl pkey -pubin -text` reports them.
pub fn describe(spki_der: &[u8]) -> Result<PublicKeyInfo, Error> {
    let spki = split(spki_der, 0)?;
    describe_parts(&spki)
}

fn describe_parts(spki: &Spki<'_>) -> Result<PublicKeyInfo, Error> {
    let info = |algorithm: &str, bits: Option<u32>, curve: Option<String>| PublicKeyInfo {
        algorithm: algorithm.to_string(),
        bits,
        curve,
    };
    Ok(match spki.dotted.as_str() {
        OID_RSA | OID_RSA_PSS => {
            let name = if spki.dotted == OID_RSA {
                "RSA"
            } else {
                "RSA-PSS"
            };
            let rsa = der::single(bits_of(&spki.key))
                .and_then(|seq| Reader::new(seq.content).expect(der::TAG_INTEGER, "RSA modulus"));
            let modulus = rsa.map_err(|_| Error::Malformed {
                what: "RSA public key",
                reason: "the key is not an RSAPublicKey".to_string(),
            })?;
            info(name, Some(int_bits(modulus.content)), None)
        }
        OID_EC => {
            let (curve, bits) = match &spki.params {
                Some(p) if p.tag == der::TAG_OID => {
                    let dotted = der::oid_to_string(p.content).unwrap_or_default();
                    match curve_by_oid(&dotted) {
                        Some(c) => (c.name.to_string(), Some(c.bits)),
                        None => (dotted, None),
                    }
                }
                Some(p) if p.tag == der::TAG_SEQUENCE => {
                    // Explicit ECParameters: the size is that of the group order.
                    let order = p.children().ok().and_then(|c| c.get(4).copied());
                    let bits = order.filter(|o| o.tag == der::TAG_INTEGER);
                    (
                        "explicit parameters".to_string(),
                        bits.map(|o| int_bits(o.content)),
                    )
                }
                _ => ("implicit parameters".to_string(), None),
            };
            info("EC", bits, Some(curve))
        }
        OID_ED25519 => info("Ed25519", Some(256), None),
        OID_ED448 => info("Ed448", Some(456), None),
        OID_X25519 => info("X25519", Some(253), None),
        OID_X448 => info("X448", Some(448), None),
        OID_DSA => {
            let p = spki
                .params
                .and_then(|params| params.children().ok())
                .and_then(|c| c.first().copied())
                .filter(|p| p.tag == der::TAG_INTEGER);
            info("DSA", p.map(|p| int_bits(p.content)), None)
        }
        other => info(other, None, None),
    })
}

/// Lowercase hex of the SHA-256 of the DER SubjectPublicKeyInfo.
pub fn spki_sha256(spki_der: &[u8]) -> String {
    der::hex(&Sha256::digest(spki_der))
}

/// The field tree of a SubjectPublicKeyInfo found at `spki_der` inside `whole`.
///
/// Public keys only: this never sees private key material.
pub fn spki_node(whole: &[u8], spki_der: &[u8]) -> Result<Node, Error> {
    let base = Span::of(whole, spki_der).map_or(0, |s| s.offset);
    let spki = split(spki_der, base)?;
    let info = describe_parts(&spki)?;
    let mut summary = info.algorithm.clone();
    if let Some(curve) = &info.curve {
        summary = format!("{summary} {curve}");
    }
    if let Some(bits) = info.bits {
        summary = format!("{summary} ({bits} bit)");
    }
    let label = algorithm_label(&spki.dotted);
    let mut alg = Node::new("algorithm", label.clone(), spki.algorithm.span());
    alg.push(Node::new("algorithm", label, spki.oid.span()));
    if let Some(p) = &spki.params {
        alg.push(Node::new("parameters", param_text(p), p.span()));
    }
    let mut key = Node::new("subjectPublicKey", summary.clone(), spki.key.span());
    key.children = key_fields(&spki);
    Ok(
        Node::new("subjectPublicKeyInfo", summary, spki.whole.span())
            .with_children(alloc::vec![alg, key]),
    )
}

/// A short text for AlgorithmIdentifier parameters: `NULL`, a curve name, or the DER value.
pub fn param_text(p: &Tlv<'_>) -> String {
    match p.tag {
        der::TAG_NULL => "NULL".to_string(),
        der::TAG_OID => {
            let dotted = der::oid_to_string(p.content).unwrap_or_default();
            curve_by_oid(&dotted).map_or(dotted.clone(), |c| format!("{} ({dotted})", c.name))
        }
        _ => der::primitive_value(p),
    }
}

/// `RSA (1.2.840.113549.1.1.1)`: the name and the OID of a key algorithm.
fn algorithm_label(dotted: &str) -> String {
    let Some(name) = key_algorithm_name(dotted) else {
        return dotted.to_string();
    };
    format!("{name} ({dotted})")
}

/// The inside of the key BIT STRING: modulus and exponent for RSA, the point for the others.
fn key_fields(spki: &Spki<'_>) -> Vec<Node> {
    let inner = bits_of(&spki.key);
    let at = spki.key.offset + spki.key.header_len() + 1;
    let mut out = Vec::new();
    if matches!(spki.dotted.as_str(), OID_RSA | OID_RSA_PSS) {
        let Ok(seq) = Reader::at(inner, at).expect(der::TAG_SEQUENCE, "RSAPublicKey") else {
            return out;
        };
        let fields = seq.children().unwrap_or_default();
        for (tlv, name) in fields.iter().zip(["modulus", "publicExponent"]) {
            let value = if name == "publicExponent" {
                exponent_text(tlv.content)
            } else {
                format!("{} bit", int_bits(tlv.content))
            };
            out.push(Node::new(name, value, tlv.span()));
        }
    } else if !inner.is_empty() {
        out.push(Node::new(
            "publicKey",
            der::hex(inner),
            Span::new(at, inner.len()),
        ));
    }
    out
}

fn exponent_text(content: &[u8]) -> String {
    if content.len() <= 8 {
        let v = content
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        format!("{v} (0x{v:x})")
    } else {
        der::hex(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(int_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(int_bits(&[0x01]), 1);
        assert_eq!(int_bits(&[0x00]), 0);
    }

    #[test]
    fn ed25519_spki() {
        let mut der =
            alloc::vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        der.extend([7u8; 32]);
        let info = describe(&der);
        assert_eq!(info.as_ref().map(|i| i.algorithm.as_str()), Ok("Ed25519"));
        assert_eq!(info.map(|i| i.bits), Ok(Some(256)));
        let node = spki_node(&der, &der);
        assert_eq!(node.map(|n| n.children.len()), Ok(2));
        assert!(describe(&der[..20]).is_err());
    }
}
