//! Private key encodings: PKCS#8 (RFC 5958), PKCS#1 RSAPrivateKey and SEC1 ECPrivateKey.
//!
//! Split from [`super`] because each encoding nests the others: a PKCS#8 key wraps an
//! RSAPrivateKey or an ECPrivateKey. Every decoder returns the derived public key's SPKI and a
//! tree in which private numbers are only a span and [`PRIVATE`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{
    algorithm, algorithm_node, bit_string, ec_spki, ed25519_spki, encode, expect_single, int_node,
    oid_label, oid_of, private_node, rsa_spki, shift, single_at, spki, uint, Info, Parsed,
    EC_PUBLIC_KEY, ED25519, P256, P384, P521, PRIVATE, RSASSA_PSS_KEY, RSA_ALGORITHM,
    RSA_ENCRYPTION,
};
use crate::der::{self, Reader, Tlv, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};
use crate::error::Error;
use crate::span::Node;

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958).
pub(super) fn pkcs8(der: &[u8]) -> Result<Parsed, Error> {
    let top = expect_single(der, TAG_SEQUENCE, "PrivateKeyInfo")?;
    let mut r = Reader::at(top.content, top.header_len());
    let version = r.expect(TAG_INTEGER, "PrivateKeyInfo version")?;
    let alg = r.expect(TAG_SEQUENCE, "PrivateKeyInfo privateKeyAlgorithm")?;
    let key = r.expect(TAG_OCTET_STRING, "PrivateKeyInfo privateKey")?;
    let (alg_node, oid) = algorithm_node("privateKeyAlgorithm", &alg)?;
    let (_, params) = algorithm(&alg)?;
    let mut tail = Vec::new();
    let mut public_key = None;
    while !r.is_empty() {
        let t = r.read()?;
        match t.tag {
            0xa0 => {
                let mut n = Node::new("attributes", "", t.span());
                n.children = der::tree(t.content);
                shift(&mut n.children, t.offset + t.header_len());
                tail.push(n);
            }
            0x81 => {
                let bits = match t.content.split_first() {
                    Some((0, bits)) => bits,
                    _ => {
                        return Err(Error::BadDer {
                            what: "OneAsymmetricKey publicKey",
                            offset: t.offset,
                        })
                    }
                };
                public_key = Some(bits);
                tail.push(Node::new("publicKey", der::hex(bits), t.span()));
            }
            _ => {
                return Err(Error::BadDer {
                    what: "PrivateKeyInfo (unknown field)",
                    offset: t.offset,
                })
            }
        }
    }
    let inner_at = key.offset + key.header_len();
    let mut key_node = Node::new("privateKey", "", key.span());
    let parsed = match oid.as_str() {
        RSA_ENCRYPTION | RSASSA_PSS_KEY => {
            let inner = single_at(key.content, inner_at, TAG_SEQUENCE, "RSAPrivateKey")?;
            let spki_alg = if oid == RSA_ENCRYPTION {
                RSA_ALGORITHM
            } else {
                alg.raw
            };
            rsa_private(&inner, &oid, spki_alg)?
        }
        EC_PUBLIC_KEY => {
            let inner = single_at(key.content, inner_at, TAG_SEQUENCE, "ECPrivateKey")?;
            ec_private(&inner, params.filter(|p| p.tag == TAG_OID))?
        }
        ED25519 => {
            let inner = single_at(key.content, inner_at, TAG_OCTET_STRING, "CurvePrivateKey")?;
            let seed = <[u8; 32]>::try_from(inner.content).map_err(|_| Error::Malformed {
                what: "Ed25519 private key",
                reason: format!("the seed has {} bytes, not 32", inner.content.len()),
            })?;
            let public = ed25519_dalek::SigningKey::from_bytes(&seed)
                .verifying_key()
                .to_bytes();
            Parsed {
                info: Info::from_algorithm(ED25519, None, None),
                spki: Some(ed25519_spki(&public)),
                tree: private_node("CurvePrivateKey", &inner),
            }
        }
        other => {
            key_node.value = String::from(PRIVATE);
            let curve = params.as_ref().and_then(oid_of);
            Parsed {
                info: Info::from_algorithm(other, params.as_ref(), curve.as_deref()),
                spki: public_key.map(|pk| spki(alg.raw, pk)),
                tree: Node::default(),
            }
        }
    };
    if !parsed.tree.name.is_empty() {
        key_node.push(parsed.tree);
    }
    let mut root = Node::new("PrivateKeyInfo", "", top.span());
    root.push(int_node("version", &version));
    root.push(alg_node);
    root.push(key_node);
    root.children.extend(tail);
    Ok(Parsed {
        tree: root,
        ..parsed
    })
}

/// PKCS#1 RSAPrivateKey: n and e are public, everything else is not shown.
pub(super) fn rsa_private(top: &Tlv<'_>, oid: &str, spki_alg: &[u8]) -> Result<Parsed, Error> {
    let fields = top.children()?;
    let [version, n, e, private @ ..] = fields.as_slice() else {
        return Err(Error::Malformed {
            what: "RSA private key",
            reason: String::from("it has fewer than three fields"),
        });
    };
    if private.len() < 6 {
        return Err(Error::Malformed {
            what: "RSA private key",
            reason: String::from("it lacks the private exponent or primes"),
        });
    }
    let modulus = uint(n, "RSA modulus")?;
    uint(e, "RSA public exponent")?;
    let mut public = n.raw.to_vec();
    public.extend_from_slice(e.raw);
    let mut node = Node::new("RSAPrivateKey", "", top.span());
    node.push(int_node("version", version));
    node.push(int_node("modulus", n));
    node.push(int_node("publicExponent", e));
    let names = [
        "privateExponent",
        "prime1",
        "prime2",
        "exponent1",
        "exponent2",
        "coefficient",
        "otherPrimeInfos",
    ];
    for (i, field) in private.iter().enumerate() {
        node.push(private_node(
            names.get(i).copied().unwrap_or("field"),
            field,
        ));
    }
    Ok(Parsed {
        info: Info::rsa(oid, modulus),
        spki: Some(rsa_spki(spki_alg, &encode(TAG_SEQUENCE, &public))),
        tree: node,
    })
}

/// SEC1 ECPrivateKey; `outer_curve` is the namedCurve of an enclosing PKCS#8.
pub(super) fn ec_private(top: &Tlv<'_>, outer_curve: Option<Tlv<'_>>) -> Result<Parsed, Error> {
    let mut r = Reader::at(top.content, top.offset + top.header_len());
    let version = r.expect(TAG_INTEGER, "ECPrivateKey version")?;
    let scalar_tlv = r.expect(TAG_OCTET_STRING, "ECPrivateKey privateKey")?;
    let mut node = Node::new("ECPrivateKey", "", top.span());
    node.push(int_node("version", &version));
    node.push(private_node("privateKey", &scalar_tlv));
    let mut curve = outer_curve;
    let mut point = None;
    while !r.is_empty() {
        let t = r.read()?;
        let inner = single_at(
            t.content,
            t.offset + t.header_len(),
            0,
            "ECPrivateKey field",
        )?;
        match t.tag {
            0xa0 => {
                let mut n = Node::new("parameters", "", t.span());
                if inner.tag == TAG_OID {
                    let label = oid_of(&inner).map(|o| oid_label(&o)).unwrap_or_default();
                    n.value.clone_from(&label);
                    n.push(Node::new("namedCurve", label, inner.span()));
                    curve = Some(inner);
                } else {
                    n.value = String::from("explicit curve parameters");
                }
                node.push(n);
            }
            0xa1 => {
                let bits = bit_string(&inner)?;
                point = Some(bits);
                let mut n = Node::new("publicKey", "", t.span());
                n.push(Node::new("subjectPublicKey", der::hex(bits), inner.span()));
                node.push(n);
            }
            _ => {
                return Err(Error::BadDer {
                    what: "ECPrivateKey (unknown field)",
                    offset: t.offset,
                })
            }
        }
    }
    let curve_oid = curve.as_ref().and_then(oid_of);
    let info = Info::from_algorithm(EC_PUBLIC_KEY, None, curve_oid.as_deref());
    let point = match (point, curve_oid.as_deref()) {
        (Some(p), _) => Some(p.to_vec()),
        (None, Some(c)) => ec_derive(c, scalar_tlv.content),
        (None, None) => None,
    };
    let spki = match (curve, point) {
        (Some(c), Some(p)) => Some(ec_spki(c.raw, &p)),
        _ => None,
    };
    Ok(Parsed {
        info,
        spki,
        tree: node,
    })
}

/// The uncompressed public point of a private scalar on a NIST curve.
fn ec_derive(curve: &str, scalar: &[u8]) -> Option<Vec<u8>> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let point = match curve {
        P256 => p256::SecretKey::from_slice(scalar)
            .ok()?
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        P384 => p384::SecretKey::from_slice(scalar)
            .ok()?
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        P521 => p521::SecretKey::from_slice(scalar)
            .ok()?
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        _ => return None,
    };
    Some(point)
}
