//! Signature checks in pure Rust: a CSR's self-signature now, certificate chains later.
//!
//! The inputs are the raw pieces of an X.509 structure (the signature AlgorithmIdentifier,
//! the signer's SubjectPublicKeyInfo, the signed bytes and the signature), so any decoder can
//! call [`verify`] without building key objects first. Everything is RustCrypto, so the same
//! code runs in the browser. Hostile input gives [`Verification::Invalid`] or
//! [`Verification::Unsupported`], never a panic.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use signature::Verifier;

use super::key::{self, Spki};
use crate::der::{self, Reader, TAG_INTEGER, TAG_OID, TAG_SEQUENCE};

/// The outcome of a signature check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// The signature is the key's signature over the message.
    Valid,
    /// The signature does not verify (or the key or signature cannot be read).
    Invalid,
    /// The algorithm cannot be checked here; the reason is a sentence fragment.
    Unsupported(&'static str),
}

use crate::oid::{DSA_WITH_SHA1, MGF1};
pub use crate::oid::{
    ECDSA_WITH_SHA1, ECDSA_WITH_SHA224, ECDSA_WITH_SHA256, ECDSA_WITH_SHA384, ECDSA_WITH_SHA512,
    ED25519, ED448, RSASSA_PSS, SHA1_WITH_RSA, SHA224_WITH_RSA, SHA256_WITH_RSA, SHA384_WITH_RSA,
    SHA512_WITH_RSA,
};

/// The largest RSA modulus checked, in bits (RustCrypto's default stops at 4096). aws-lc, which
/// rustls verifies with, refuses RSA above 8192 bits too; a larger key costs a pure-Rust
/// verification tens of milliseconds, which a hostile chain multiplies.
pub const MAX_RSA_BITS: usize = 8192;
/// The largest RSA public exponent checked, in bits (65537 has 17): the cost of a verification
/// grows with it, and real keys use 3 or 65537.
pub const MAX_RSA_EXPONENT_BITS: usize = 32;

/// The hash functions signatures here are made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The hash of a digest AlgorithmIdentifier's OID.
    pub fn from_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            "1.3.14.3.2.26" => Hash::Sha1,
            "2.16.840.1.101.3.4.2.4" => Hash::Sha224,
            "2.16.840.1.101.3.4.2.1" => Hash::Sha256,
            "2.16.840.1.101.3.4.2.2" => Hash::Sha384,
            "2.16.840.1.101.3.4.2.3" => Hash::Sha512,
            _ => return None,
        })
    }

    /// The digest of `message`.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(message).to_vec(),
            Hash::Sha224 => Sha224::digest(message).to_vec(),
            Hash::Sha256 => Sha256::digest(message).to_vec(),
            Hash::Sha384 => Sha384::digest(message).to_vec(),
            Hash::Sha512 => Sha512::digest(message).to_vec(),
        }
    }

    /// The DER DigestInfo prefix that PKCS#1 v1.5 puts before the hash.
    const fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Hash::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Hash::Sha224 => &[
                0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x04, 0x05, 0x00, 0x04, 0x1c,
            ],
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    const fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha224 => 28,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// OpenSSL's long name of a signature algorithm (as `openssl x509 -text` prints it).
pub fn algorithm_name(oid: &str) -> Option<&'static str> {
    crate::oid::signature_name(oid)
}

/// Whether a signature algorithm hashes with SHA-1 (`params` matter for RSASSA-PSS).
pub fn uses_sha1(algorithm_oid: &str, algorithm_params: Option<&[u8]>) -> bool {
    match algorithm_oid {
        SHA1_WITH_RSA | ECDSA_WITH_SHA1 | DSA_WITH_SHA1 => true,
        RSASSA_PSS => pss_params(algorithm_params).is_ok_and(|p| p.hash == Hash::Sha1),
        _ => false,
    }
}

/// Checks `signature` over `message` with the key in `spki_der`.
///
/// `algorithm_params` is the DER of the AlgorithmIdentifier's parameters, when present.
pub fn verify(
    algorithm_oid: &str,
    algorithm_params: Option<&[u8]>,
    spki_der: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Verification {
    let Ok(spki) = key::parse_spki(spki_der) else {
        return Verification::Invalid;
    };
    let ok = match algorithm_oid {
        SHA1_WITH_RSA => rsa_pkcs1(&spki, Hash::Sha1, message, signature),
        SHA224_WITH_RSA => rsa_pkcs1(&spki, Hash::Sha224, message, signature),
        SHA256_WITH_RSA => rsa_pkcs1(&spki, Hash::Sha256, message, signature),
        SHA384_WITH_RSA => rsa_pkcs1(&spki, Hash::Sha384, message, signature),
        SHA512_WITH_RSA => rsa_pkcs1(&spki, Hash::Sha512, message, signature),
        RSASSA_PSS => {
            let Ok(params) = pss_params(algorithm_params) else {
                return Verification::Invalid;
            };
            if params.mgf1_hash != params.hash {
                return Verification::Unsupported(
                    "RSASSA-PSS with a MGF1 hash unlike the message hash is not checked",
                );
            }
            rsa_pss(&spki, params, message, signature)
        }
        ECDSA_WITH_SHA1 => ecdsa(&spki, Hash::Sha1, message, signature),
        ECDSA_WITH_SHA224 => ecdsa(&spki, Hash::Sha224, message, signature),
        ECDSA_WITH_SHA256 => ecdsa(&spki, Hash::Sha256, message, signature),
        ECDSA_WITH_SHA384 => ecdsa(&spki, Hash::Sha384, message, signature),
        ECDSA_WITH_SHA512 => ecdsa(&spki, Hash::Sha512, message, signature),
        ED25519 => ed25519(&spki, message, signature),
        ED448 => return Verification::Unsupported("Ed448 signatures are not checked"),
        _ => return Verification::Unsupported("this signature algorithm is not checked"),
    };
    match ok {
        Ok(true) => Verification::Valid,
        Ok(false) => Verification::Invalid,
        Err(reason) => Verification::Unsupported(reason),
    }
}

/// `Ok(valid)`, or `Err(reason)` when the key is of a kind this algorithm cannot be checked
/// with here.
type Checked = Result<bool, &'static str>;

/// Bits of a big-endian unsigned integer.
fn bit_len(be: &[u8]) -> usize {
    let be = &be[be.iter().take_while(|b| **b == 0).count()..];
    be.first().map_or(0, |top| {
        (be.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
    })
}

/// The RSA key of `spki`: `Ok(None)` when it is not one (or cannot be read), `Err` when it is
/// too large to be checked here (the sizes are looked at before any arithmetic).
fn rsa_public(spki: &Spki<'_>) -> Result<Option<rsa::RsaPublicKey>, &'static str> {
    if spki.algorithm != key::RSA_ENCRYPTION && spki.algorithm != key::RSASSA_PSS_KEY {
        return Ok(None);
    }
    let Ok((n, e)) = key::rsa_public_numbers(spki.key) else {
        return Ok(None);
    };
    if bit_len(n) > MAX_RSA_BITS {
        return Err("RSA keys above 8192 bits are not checked");
    }
    if bit_len(e) > MAX_RSA_EXPONENT_BITS {
        return Err("RSA public exponents above 32 bits are not checked");
    }
    let n = rsa::BigUint::from_bytes_be(n);
    let e = rsa::BigUint::from_bytes_be(e);
    Ok(rsa::RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS).ok())
}

fn rsa_pkcs1(spki: &Spki<'_>, hash: Hash, message: &[u8], signature: &[u8]) -> Checked {
    let Some(public) = rsa_public(spki)? else {
        return Ok(false);
    };
    let scheme = rsa::Pkcs1v15Sign {
        hash_len: Some(hash.len()),
        prefix: Box::from(hash.digest_info_prefix()),
    };
    Ok(public
        .verify(scheme, &hash.digest(message), signature)
        .is_ok())
}

fn rsa_pss(spki: &Spki<'_>, params: PssParams, message: &[u8], signature: &[u8]) -> Checked {
    let Some(public) = rsa_public(spki)? else {
        return Ok(false);
    };
    let salt = params.salt_len;
    let scheme = match params.hash {
        Hash::Sha1 => rsa::Pss::new_with_salt::<Sha1>(salt),
        Hash::Sha224 => rsa::Pss::new_with_salt::<Sha224>(salt),
        Hash::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt),
        Hash::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt),
        Hash::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt),
    };
    Ok(public
        .verify(scheme, &params.hash.digest(message), signature)
        .is_ok())
}

fn ecdsa(spki: &Spki<'_>, hash: Hash, message: &[u8], signature: &[u8]) -> Checked {
    if spki.algorithm != key::EC_PUBLIC_KEY {
        return Ok(false);
    }
    let digest = hash.digest(message);
    // A hash shorter than the curve's order is the same integer with leading zeros; RustCrypto
    // wants at least half the field size, OpenSSL takes any (SHA-1 on P-384 and P-521).
    let field: usize = match spki.curve() {
        Some(key::P384) => 48,
        Some(key::P521) => 66,
        _ => 32,
    };
    let mut prehash = vec![0u8; field.saturating_sub(digest.len())];
    prehash.extend_from_slice(&digest);
    let valid = match spki.curve() {
        Some(key::P256) => {
            let (Ok(k), Ok(s)) = (
                p256::ecdsa::VerifyingKey::from_sec1_bytes(spki.key),
                p256::ecdsa::Signature::from_der(signature),
            ) else {
                return Ok(false);
            };
            k.verify_prehash(&prehash, &s).is_ok()
        }
        Some(key::P384) => {
            let (Ok(k), Ok(s)) = (
                p384::ecdsa::VerifyingKey::from_sec1_bytes(spki.key),
                p384::ecdsa::Signature::from_der(signature),
            ) else {
                return Ok(false);
            };
            k.verify_prehash(&prehash, &s).is_ok()
        }
        Some(key::P521) => {
            let (Ok(k), Ok(s)) = (
                p521::ecdsa::VerifyingKey::from_sec1_bytes(spki.key),
                p521::ecdsa::Signature::from_der(signature),
            ) else {
                return Ok(false);
            };
            k.verify_prehash(&prehash, &s).is_ok()
        }
        _ => return Err("ECDSA on this curve is not checked"),
    };
    Ok(valid)
}

fn ed25519(spki: &Spki<'_>, message: &[u8], signature: &[u8]) -> Checked {
    if spki.algorithm != ED25519 {
        return Ok(false);
    }
    let Ok(bytes) = <&[u8; 32]>::try_from(spki.key) else {
        return Ok(false);
    };
    let (Ok(k), Ok(s)) = (
        ed25519_dalek::VerifyingKey::from_bytes(bytes),
        ed25519_dalek::Signature::from_slice(signature),
    ) else {
        return Ok(false);
    };
    Ok(k.verify(message, &s).is_ok())
}

/// The parts of RSASSA-PSS-params (RFC 4055) that a check needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PssParams {
    /// The message digest.
    pub hash: Hash,
    /// The digest MGF1 uses.
    pub mgf1_hash: Hash,
    /// Salt length in bytes.
    pub salt_len: usize,
}

/// Decodes RSASSA-PSS-params; absent parameters and fields take the RFC 4055 defaults.
pub fn pss_params(params: Option<&[u8]>) -> Result<PssParams, crate::Error> {
    const WHAT: &str = "RSASSA-PSS parameters";
    let bad = |reason: &str| crate::Error::Malformed {
        what: WHAT,
        reason: reason.into(),
    };
    let mut out = PssParams {
        hash: Hash::Sha1,
        mgf1_hash: Hash::Sha1,
        salt_len: 20,
    };
    let Some(params) = params else {
        return Ok(out);
    };
    let seq = der::single(params)?;
    if seq.tag != TAG_SEQUENCE {
        return Err(bad("not a SEQUENCE"));
    }
    for field in seq.children()? {
        let inner = der::single(field.content)?;
        match field.tag {
            0xa0 => out.hash = hash_of(&inner).ok_or_else(|| bad("unknown hash"))?,
            0xa1 => {
                let mut r = Reader::new(inner.content);
                let oid = r.expect(TAG_OID, WHAT)?;
                if der::oid_to_string(oid.content).as_deref() != Some(MGF1) {
                    return Err(bad("the mask generation function is not MGF1"));
                }
                let hash = r.read()?;
                out.mgf1_hash = hash_of(&hash).ok_or_else(|| bad("unknown MGF1 hash"))?;
            }
            0xa2 => {
                if inner.tag != TAG_INTEGER {
                    return Err(bad("the salt length is not an INTEGER"));
                }
                out.salt_len = small_uint(inner.content).ok_or_else(|| bad("bad salt length"))?;
            }
            0xa3 => {
                if inner.tag != TAG_INTEGER || inner.content != [1] {
                    return Err(bad("the trailer field is not 1"));
                }
            }
            _ => return Err(bad("unknown field")),
        }
    }
    Ok(out)
}

/// The hash named by a digest AlgorithmIdentifier element.
fn hash_of(alg: &der::Tlv<'_>) -> Option<Hash> {
    if alg.tag != TAG_SEQUENCE {
        return None;
    }
    let oid = Reader::new(alg.content).expect(TAG_OID, "hash").ok()?;
    Hash::from_oid(&der::oid_to_string(oid.content)?)
}

/// A non-negative INTEGER's content that fits in a `usize` below 2^24.
fn small_uint(content: &[u8]) -> Option<usize> {
    if content.is_empty() || content.len() > 4 || content.first()? & 0x80 != 0 {
        return None;
    }
    let v = content.iter().fold(0usize, |a, b| (a << 8) | *b as usize);
    (v < 1 << 24).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An rsaEncryption SPKI with modulus `n` and exponent `e` (big-endian magnitudes).
    fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
        let int = |v: &[u8]| {
            let mut c = vec![0u8];
            c.extend_from_slice(v);
            key::encode(TAG_INTEGER, &c)
        };
        let mut numbers = int(n);
        numbers.extend(int(e));
        let alg = [
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ];
        key::rsa_spki(&alg, &key::encode(TAG_SEQUENCE, &numbers))
    }

    #[test]
    fn oversized_rsa_keys_are_not_computed_with() {
        let big = vec![0xffu8; 1025]; // 8200 bits
        let v = verify(
            SHA256_WITH_RSA,
            None,
            &rsa_spki(&big, &[1, 0, 1]),
            b"m",
            &big,
        );
        assert_eq!(
            v,
            Verification::Unsupported("RSA keys above 8192 bits are not checked")
        );
        let n = vec![0xffu8; 256];
        let e = [1, 0xff, 0xff, 0xff, 0xff]; // 2^33 - 1
        let v = verify(SHA256_WITH_RSA, None, &rsa_spki(&n, &e), b"m", &n);
        assert_eq!(
            v,
            Verification::Unsupported("RSA public exponents above 32 bits are not checked")
        );
        // At the limits the key is used (and this signature simply does not verify).
        let n = vec![0xffu8; 1024];
        let v = verify(SHA256_WITH_RSA, None, &rsa_spki(&n, &[1, 0, 1]), b"m", &n);
        assert_eq!(v, Verification::Invalid);
        assert_eq!(bit_len(&[0, 0, 1, 0]), 9);
    }

    /// `hex` as bytes, for the fixed vectors below.
    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_default())
            .collect()
    }

    /// Made with openssl 3: `genpkey` P-256 and Ed25519 keys, `pkey -pubout -outform DER`,
    /// and `dgst -sha256 -sign` of the message "hello" with the P-256 key.
    const EC_SPKI: &str = "3059301306072a8648ce3d020106082a8648ce3d03010703420004eca85feb9d1734e5b9fba35aed269f050df2292d840cd62a7057becadb6c668249377ca4047c1d6a531f7bab5ffbd829115172a9bd6a4deca715ee88aae3b452";
    const ED25519_SPKI: &str =
        "302a300506032b657003210075365be3b6c5321b50ec6019c0e68fabf152c9a512a0661a3a9f372b9ed0fb53";
    const EC_SIG_HELLO: &str = "3046022100d77488b5527e71887cbaf0c3c820c382b3b2f118380d0a963b9250dcde325b0b022100fd82a84d29dbf70cec4a046f9f4ac86d000011120be204d570ebbd641625c934";

    #[test]
    fn mismatched_inputs_are_invalid_without_panicking() {
        let (ec, ed, sig) = (unhex(EC_SPKI), unhex(ED25519_SPKI), unhex(EC_SIG_HELLO));
        let v = |oid, spki: &[u8], msg: &[u8], sig: &[u8]| verify(oid, None, spki, msg, sig);
        use Verification::{Invalid, Unsupported, Valid};
        assert_eq!(v(ECDSA_WITH_SHA256, &ec, b"hello", &sig), Valid);
        assert_eq!(v(ECDSA_WITH_SHA256, &ec, b"hellO", &sig), Invalid);
        assert_eq!(v(ECDSA_WITH_SHA384, &ec, b"hello", &sig), Invalid);
        assert_eq!(v(ECDSA_WITH_SHA256, &ed, b"hello", &sig), Invalid);
        assert_eq!(v(SHA256_WITH_RSA, &ec, b"hello", &sig), Invalid);
        assert_eq!(v(ED25519, &ec, b"hello", &sig), Invalid);
        assert_eq!(v(ED25519, &ed, b"hello", &sig[..10]), Invalid);
        assert_eq!(v(ECDSA_WITH_SHA256, b"\x30\x00", b"hello", &sig), Invalid);
        assert!(matches!(v("1.2.3.4", &ec, b"hello", &sig), Unsupported(_)));
        assert!(matches!(v(ED448, &ed, b"hello", &sig), Unsupported(_)));
        for len in 0..sig.len() {
            assert_eq!(v(ECDSA_WITH_SHA256, &ec, b"hello", &sig[..len]), Invalid);
        }
        for len in 0..ec.len() {
            assert_eq!(v(ECDSA_WITH_SHA256, &ec[..len], b"hello", &sig), Invalid);
        }
        let garbage_params = verify(RSASSA_PSS, Some(b"\x30\x03\xa0\x01"), &ec, b"", &sig);
        assert_eq!(garbage_params, Invalid);
    }
}
