//! Private and public keys: what they are and which certificate they belong to.
//!
//! A key is matched to a certificate by the SHA-256 of its DER SubjectPublicKeyInfo, the same
//! bytes `openssl pkey -pubout -outform DER` writes. So for a private key the public key is
//! derived (RSA from n and e, EC from the embedded point or the scalar, Ed25519 from the seed)
//! and encoded exactly as OpenSSL encodes it. The field tree shows structure and public parts;
//! private numbers are a node with a span and the value [`PRIVATE`], never their digits.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

mod private;

use super::public_key::describe;
use super::{Decoded, KeyFormat};
use crate::der::{self, Reader, Tlv, TAG_BIT_STRING, TAG_INTEGER, TAG_OID};
use crate::der::{TAG_NULL, TAG_SEQUENCE};
use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::objects::Key;
use crate::report::ItemBody;
use crate::span::Node;

/// The value shown for every private number of a key.
pub const PRIVATE: &str = "(private key material, not shown)";

use crate::oid::{curve_by_oid, curve_name};
pub use crate::oid::{
    DSA, EC_PUBLIC_KEY, ED25519, ED448, P256, P384, P521, RSASSA_PSS as RSASSA_PSS_KEY,
    RSA_ENCRYPTION, X25519, X448,
};

/// AlgorithmIdentifier { rsaEncryption, NULL }.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// OBJECT IDENTIFIER id-ecPublicKey.
const EC_OID_DER: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// AlgorithmIdentifier { id-Ed25519 }.
const ED25519_ALGORITHM: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];

/// The RSA modulus size below which a key is called weak.
const MIN_RSA_BITS: u32 = 2048;

/// A SubjectPublicKeyInfo, split into the parts a verifier needs.
#[derive(Clone, Debug)]
pub struct Spki<'a> {
    /// Dotted OID of the key algorithm.
    pub algorithm: String,
    /// The algorithm parameters, when present.
    pub params: Option<Tlv<'a>>,
    /// The dotted OID of a named curve given as parameters.
    pub named_curve: Option<String>,
    /// The subjectPublicKey BIT STRING's bits (without the unused-bits octet).
    pub key: &'a [u8],
}

impl Spki<'_> {
    /// The curve's name, for EC keys.
    pub fn curve(&self) -> Option<&str> {
        self.named_curve.as_deref()
    }
}

/// Splits a DER SubjectPublicKeyInfo.
pub fn parse_spki(der: &[u8]) -> Result<Spki<'_>, Error> {
    let seq = expect_single(der, TAG_SEQUENCE, "SubjectPublicKeyInfo")?;
    let mut r = Reader::new(seq.content);
    let alg = r.expect(TAG_SEQUENCE, "SubjectPublicKeyInfo algorithm")?;
    let bits = r.expect(TAG_BIT_STRING, "SubjectPublicKeyInfo subjectPublicKey")?;
    let (oid, params) = algorithm(&alg)?;
    Ok(Spki {
        named_curve: params.as_ref().and_then(oid_of),
        algorithm: oid,
        params,
        key: bit_string(&bits)?,
    })
}

/// The modulus and exponent magnitudes of a DER RSAPublicKey.
pub fn rsa_public_numbers(der: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let seq = expect_single(der, TAG_SEQUENCE, "RSAPublicKey")?;
    let mut r = Reader::new(seq.content);
    let n = uint(&r.read()?, "RSA modulus")?;
    let e = uint(&r.read()?, "RSA public exponent")?;
    if !r.is_empty() {
        return Err(Error::BadDer {
            what: "RSAPublicKey (extra fields)",
            offset: 0,
        });
    }
    Ok((n, e))
}

/// Decodes a private key in one of the three encodings the sniffer tells apart.
pub fn decode_private(der: &[u8], format: KeyFormat) -> Result<Decoded, Error> {
    let (parsed, format) = match format {
        KeyFormat::Pkcs8 => (private::pkcs8(der)?, "PKCS#8"),
        KeyFormat::Pkcs1 => {
            let top = expect_single(der, TAG_SEQUENCE, "RSAPrivateKey")?;
            (
                private::rsa_private(&top, RSA_ENCRYPTION, RSA_ALGORITHM)?,
                "PKCS#1",
            )
        }
        KeyFormat::Sec1 => {
            let top = expect_single(der, TAG_SEQUENCE, "ECPrivateKey")?;
            (private::ec_private(&top, None)?, "SEC1")
        }
    };
    Ok(parsed.into_decoded(format, true))
}

/// Decodes a SubjectPublicKeyInfo, or a PKCS#1 RSAPublicKey when `pkcs1` is set.
pub fn decode_public(der: &[u8], pkcs1: bool) -> Result<Decoded, Error> {
    if pkcs1 {
        let top = expect_single(der, TAG_SEQUENCE, "RSAPublicKey")?;
        let mut r = Reader::new(top.content);
        let n_tlv = r.read()?;
        let e_tlv = r.read()?;
        let (n, _) = rsa_public_numbers(der)?;
        let tree = Node::new("RSAPublicKey", "", top.span()).with_children(vec![
            int_node("modulus", &n_tlv),
            int_node("publicExponent", &e_tlv),
        ]);
        let parsed = Parsed {
            info: Info::rsa(RSA_ENCRYPTION, n),
            spki: Some(rsa_spki(RSA_ALGORITHM, top.raw)),
            tree,
        };
        return Ok(parsed.into_decoded("PKCS#1", false));
    }
    let top = expect_single(der, TAG_SEQUENCE, "SubjectPublicKeyInfo")?;
    let spki = parse_spki(der)?;
    let mut r = Reader::new(top.content);
    let alg = r.read()?;
    let bits = r.read()?;
    let (alg_node, _) = algorithm_node("algorithm", &alg)?;
    let mut key_node = Node::new("subjectPublicKey", "", bits.span());
    let info = match spki.algorithm.as_str() {
        RSA_ENCRYPTION | RSASSA_PSS_KEY => {
            let (n, _) = rsa_public_numbers(spki.key)?;
            let inner = Reader::at(spki.key, bits.offset + bits.header_len() + 1).read()?;
            let mut rsa = Node::new("RSAPublicKey", "", inner.span());
            for (child, name) in inner.children()?.iter().zip(["modulus", "publicExponent"]) {
                rsa.push(int_node(name, child));
            }
            key_node.push(rsa);
            Info::rsa(&spki.algorithm, n)
        }
        _ => {
            key_node.value = der::hex(spki.key);
            Info::from_algorithm(&spki.algorithm, spki.params.as_ref(), spki.curve())
        }
    };
    let tree =
        Node::new("SubjectPublicKeyInfo", "", top.span()).with_children(vec![alg_node, key_node]);
    let parsed = Parsed {
        info,
        spki: Some(der.to_vec()),
        tree,
    };
    Ok(parsed.into_decoded("SubjectPublicKeyInfo", false))
}

/// Algorithm, size and curve of a key, as the report names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Info {
    pub algorithm: String,
    pub bits: Option<u32>,
    pub curve: Option<String>,
}

impl Info {
    pub fn rsa(oid: &str, modulus: &[u8]) -> Self {
        Self {
            algorithm: String::from(if oid == RSASSA_PSS_KEY {
                "RSA-PSS"
            } else {
                "RSA"
            }),
            bits: Some(bit_len(modulus)),
            curve: None,
        }
    }

    /// For keys whose size follows from the algorithm (and its parameters).
    pub fn from_algorithm(oid: &str, params: Option<&Tlv<'_>>, curve: Option<&str>) -> Self {
        let (algorithm, bits) = match oid {
            EC_PUBLIC_KEY => ("EC", curve.and_then(curve_bits)),
            ED25519 => ("Ed25519", Some(256)),
            ED448 => ("Ed448", Some(456)),
            X25519 => ("X25519", Some(253)),
            X448 => ("X448", Some(448)),
            DSA => ("DSA", params.and_then(dsa_bits)),
            other => {
                return Self {
                    algorithm: other.to_string(),
                    bits: None,
                    curve: None,
                }
            }
        };
        Self {
            algorithm: algorithm.to_string(),
            bits,
            curve: if oid == EC_PUBLIC_KEY {
                curve.map(|c| curve_name(c).to_string())
            } else {
                None
            },
        }
    }
}

/// What the private and public decoders share before the report body is built.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub info: Info,
    /// The DER SubjectPublicKeyInfo of the (derived) public key.
    pub spki: Option<Vec<u8>>,
    pub tree: Node,
}

impl Parsed {
    fn into_decoded(mut self, format: &str, private: bool) -> Decoded {
        // Name the key exactly as a certificate with the same SPKI names it.
        if let Some(described) = self.spki.as_deref().and_then(|s| describe(s).ok()) {
            self.info = Info {
                algorithm: described.algorithm,
                bits: described.bits,
                curve: described.curve,
            };
        }
        let mut findings = Vec::new();
        if self.info.algorithm.starts_with("RSA") {
            if let Some(bits) = self.info.bits.filter(|b| *b < MIN_RSA_BITS) {
                findings.push(Finding::warning(
                    Code::WeakKey,
                    format!("the RSA key has {bits} bits; {MIN_RSA_BITS} is the least to use"),
                ));
            }
        }
        let key = Key {
            algorithm: self.info.algorithm,
            bits: self.info.bits,
            curve: self.info.curve,
            spki_sha256: self.spki.as_deref().map(|s| der::hex(&Sha256::digest(s))),
            format: format.to_string(),
            matches: Vec::new(),
        };
        Decoded {
            body: if private {
                ItemBody::PrivateKey(key)
            } else {
                ItemBody::PublicKey(key)
            },
            tree: vec![self.tree],
            findings,
        }
    }
}

fn curve_bits(oid: &str) -> Option<u32> {
    curve_by_oid(oid).map(|c| c.bits)
}

/// The size of a DSA key: the bits of p in Dss-Parms { p, q, g }.
fn dsa_bits(params: &Tlv<'_>) -> Option<u32> {
    let p = Reader::new(params.content).read().ok()?;
    uint(&p, "DSA p").ok().map(bit_len)
}

/// Reads exactly one element spanning `buf`, which lies at `base` in the item.
/// A `tag` of 0 accepts any tag.
pub(crate) fn single_at<'a>(
    buf: &'a [u8],
    base: usize,
    tag: u8,
    what: &'static str,
) -> Result<Tlv<'a>, Error> {
    let mut r = Reader::at(buf, base);
    let tlv = r.read()?;
    if !r.is_empty() || (tag != 0 && tlv.tag != tag) {
        return Err(Error::BadDer { what, offset: base });
    }
    Ok(tlv)
}

/// Reads exactly one element of the expected tag spanning `der`.
pub(crate) fn expect_single<'a>(
    der: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<Tlv<'a>, Error> {
    let tlv = der::single(der)?;
    if tlv.tag != tag {
        return Err(Error::BadDer { what, offset: 0 });
    }
    Ok(tlv)
}

/// The OID and the parameters of an AlgorithmIdentifier.
pub(crate) fn algorithm<'a>(alg: &Tlv<'a>) -> Result<(String, Option<Tlv<'a>>), Error> {
    let mut r = Reader::at(alg.content, alg.offset + alg.header_len());
    let oid = r.expect(TAG_OID, "algorithm identifier")?;
    let oid = der::oid_to_string(oid.content).ok_or(Error::BadDer {
        what: "algorithm OID",
        offset: oid.offset,
    })?;
    let params = if r.is_empty() { None } else { Some(r.read()?) };
    Ok((oid, params))
}

/// A tree node for an AlgorithmIdentifier, with the OID and the parameters.
pub(crate) fn algorithm_node(name: &str, alg: &Tlv<'_>) -> Result<(Node, String), Error> {
    let (oid, params) = algorithm(alg)?;
    let mut node = Node::new(name, oid_label(&oid), alg.span());
    let mut r = Reader::at(alg.content, alg.offset + alg.header_len());
    let oid_tlv = r.read()?;
    node.push(Node::new("algorithm", oid_label(&oid), oid_tlv.span()));
    if let Some(p) = params {
        let value = match p.tag {
            TAG_OID => oid_of(&p).map_or_else(|| der::hex(p.content), |o| oid_label(&o)),
            TAG_NULL => String::from("NULL"),
            _ => String::new(),
        };
        let mut pn = Node::new("parameters", value, p.span());
        if p.is_constructed() {
            pn.children = der::tree(p.raw);
            shift(&mut pn.children, p.offset);
        }
        node.push(pn);
    }
    Ok((node, oid))
}

/// Moves spans of a tree built over a sub-slice to the item's coordinates.
pub(crate) fn shift(nodes: &mut [Node], by: usize) {
    for n in nodes {
        n.span.offset += by;
        shift(&mut n.children, by);
    }
}

/// "name (dotted)" for OIDs a person may know by name.
pub fn oid_label(oid: &str) -> String {
    crate::oid::label(oid)
}

/// The dotted text of an OBJECT IDENTIFIER element.
pub(crate) fn oid_of(tlv: &Tlv<'_>) -> Option<String> {
    (tlv.tag == TAG_OID)
        .then(|| der::oid_to_string(tlv.content))
        .flatten()
}

/// The bits of a BIT STRING with no unused bits.
pub(crate) fn bit_string<'a>(tlv: &Tlv<'a>) -> Result<&'a [u8], Error> {
    match tlv.content.split_first() {
        Some((0, bits)) if tlv.tag == TAG_BIT_STRING => Ok(bits),
        _ => Err(Error::BadDer {
            what: "BIT STRING",
            offset: tlv.offset,
        }),
    }
}

/// The magnitude of a non-negative INTEGER, without leading zero octets.
pub(crate) fn uint<'a>(tlv: &Tlv<'a>, what: &'static str) -> Result<&'a [u8], Error> {
    let bad = Error::BadDer {
        what,
        offset: tlv.offset,
    };
    if tlv.tag != TAG_INTEGER || tlv.content.first().is_none_or(|b| b & 0x80 != 0) {
        return Err(bad);
    }
    let zeros = tlv.content.iter().take_while(|b| **b == 0).count();
    Ok(tlv.content.get(zeros..).unwrap_or_default())
}

/// The number of significant bits of a big-endian magnitude.
pub(crate) fn bit_len(magnitude: &[u8]) -> u32 {
    match magnitude.iter().position(|b| *b != 0) {
        None => 0,
        Some(i) => {
            let rest = (magnitude.len() - i - 1) as u32;
            let lead = magnitude.get(i).copied().unwrap_or(0);
            rest * 8 + (8 - lead.leading_zeros())
        }
    }
}

/// A node for a public INTEGER: decimal when small, else its hex.
pub(crate) fn int_node(name: &str, tlv: &Tlv<'_>) -> Node {
    let value = match uint(tlv, "INTEGER") {
        Ok(m) if m.len() <= 8 => {
            let v = m.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
            format!("{v} (0x{v:x})")
        }
        Ok(m) => format!("{} bits: {}", bit_len(m), der::primitive_value(tlv)),
        Err(_) => der::primitive_value(tlv),
    };
    Node::new(name, value, tlv.span())
}

/// A node for private bytes: the span, never the value.
pub(crate) fn private_node(name: &str, tlv: &Tlv<'_>) -> Node {
    Node::new(name, PRIVATE, tlv.span())
}

/// DER of one element.
pub(crate) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// SubjectPublicKeyInfo { algorithm, BIT STRING { key } }.
pub(crate) fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut body = algorithm.to_vec();
    body.extend(encode(TAG_BIT_STRING, &bits));
    encode(TAG_SEQUENCE, &body)
}

/// The SPKI of an RSA key, given its algorithm and the DER RSAPublicKey.
pub(crate) fn rsa_spki(algorithm: &[u8], rsa_public_key: &[u8]) -> Vec<u8> {
    spki(algorithm, rsa_public_key)
}

/// The SPKI of an EC key on a named curve.
pub(crate) fn ec_spki(curve_oid_der: &[u8], point: &[u8]) -> Vec<u8> {
    let mut alg = EC_OID_DER.to_vec();
    alg.extend_from_slice(curve_oid_der);
    spki(&encode(TAG_SEQUENCE, &alg), point)
}

/// The SPKI of an Ed25519 key.
pub(crate) fn ed25519_spki(public: &[u8]) -> Vec<u8> {
    spki(ED25519_ALGORITHM, public)
}
