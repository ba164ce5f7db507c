//! The one table of object identifiers this crate names: key algorithms, named curves and
//! signature algorithms, with the names OpenSSL prints for them.
//!
//! Certificates, CSRs, keys and the signature checks all read their names from here, so a
//! curve or an algorithm is called the same wherever it appears. Most of it serves the X.509
//! decoders, which the no_std build leaves out.
#![cfg_attr(not(feature = "std"), allow(dead_code))]

use alloc::format;
use alloc::string::{String, ToString};

/// rsaEncryption (RFC 8017 A.1).
pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// id-RSASSA-PSS (RFC 8017 A.2.3): a key algorithm and a signature algorithm.
pub const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// id-mgf1 (RFC 8017 B.2.1).
pub const MGF1: &str = "1.2.840.113549.1.1.8";
/// id-ecPublicKey (RFC 5480 2.1.1).
pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// id-dsa (RFC 3279 2.3.2).
pub const DSA: &str = "1.2.840.10040.4.1";
/// id-X25519 (RFC 8410 3).
pub const X25519: &str = "1.3.101.110";
/// id-X448 (RFC 8410 3).
pub const X448: &str = "1.3.101.111";
/// id-Ed25519 (RFC 8410 3): a key algorithm and a signature algorithm.
pub const ED25519: &str = "1.3.101.112";
/// id-Ed448 (RFC 8410 3): a key algorithm and a signature algorithm.
pub const ED448: &str = "1.3.101.113";

/// secp256r1 (RFC 5480 2.1.1.1).
pub const P256: &str = "1.2.840.10045.3.1.7";
/// secp384r1 (RFC 5480 2.1.1.1).
pub const P384: &str = "1.3.132.0.34";
/// secp521r1 (RFC 5480 2.1.1.1).
pub const P521: &str = "1.3.132.0.35";
/// secp256k1 (SEC 2).
pub const SECP256K1: &str = "1.3.132.0.10";

/// sha1WithRSAEncryption (RFC 8017 A.2.4).
pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
/// sha224WithRSAEncryption (RFC 8017 A.2.4).
pub const SHA224_WITH_RSA: &str = "1.2.840.113549.1.1.14";
/// sha256WithRSAEncryption (RFC 8017 A.2.4).
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// sha384WithRSAEncryption (RFC 8017 A.2.4).
pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
/// sha512WithRSAEncryption (RFC 8017 A.2.4).
pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
/// ecdsa-with-SHA1 (RFC 3279 2.2.3).
pub const ECDSA_WITH_SHA1: &str = "1.2.840.10045.4.1";
/// ecdsa-with-SHA224 (RFC 5758 3.2).
pub const ECDSA_WITH_SHA224: &str = "1.2.840.10045.4.3.1";
/// ecdsa-with-SHA256 (RFC 5758 3.2).
pub const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
/// ecdsa-with-SHA384 (RFC 5758 3.2).
pub const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
/// ecdsa-with-SHA512 (RFC 5758 3.2).
pub const ECDSA_WITH_SHA512: &str = "1.2.840.10045.4.3.4";
/// id-dsa-with-sha1 (RFC 3279 2.2.2).
pub const DSA_WITH_SHA1: &str = "1.2.840.10040.4.3";

/// A named elliptic curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Curve {
    /// The dotted OID.
    pub oid: &'static str,
    /// The name the report shows ("P-256", "brainpoolP256r1").
    pub name: &'static str,
    /// OpenSSL's short name ("prime256v1"), as `openssl asn1parse` prints it.
    pub openssl: &'static str,
    /// The size of the group order in bits.
    pub bits: u32,
}

const fn curve(oid: &'static str, name: &'static str, openssl: &'static str, bits: u32) -> Curve {
    Curve {
        oid,
        name,
        openssl,
        bits,
    }
}

/// Every named curve this crate names.
pub static CURVES: &[Curve] = &[
    curve(P256, "P-256", "prime256v1", 256),
    curve(P384, "P-384", "secp384r1", 384),
    curve(P521, "P-521", "secp521r1", 521),
    curve("1.3.132.0.33", "P-224", "secp224r1", 224),
    curve("1.2.840.10045.3.1.1", "P-192", "prime192v1", 192),
    curve(SECP256K1, "secp256k1", "secp256k1", 256),
    curve(
        "1.3.36.3.3.2.8.1.1.1",
        "brainpoolP160r1",
        "brainpoolP160r1",
        160,
    ),
    curve(
        "1.3.36.3.3.2.8.1.1.3",
        "brainpoolP192r1",
        "brainpoolP192r1",
        192,
    ),
    curve(
        "1.3.36.3.3.2.8.1.1.5",
        "brainpoolP224r1",
        "brainpoolP224r1",
        224,
    ),
    curve(
        "1.3.36.3.3.2.8.1.1.7",
        "brainpoolP256r1",
        "brainpoolP256r1",
        256,
    ),
    curve(
        "1.3.36.3.3.2.8.1.1.9",
        "brainpoolP320r1",
        "brainpoolP320r1",
        320,
    ),
    curve(
        "1.3.36.3.3.2.8.1.1.11",
        "brainpoolP384r1",
        "brainpoolP384r1",
        384,
    ),
    curve(
        "1.3.36.3.3.2.8.1.1.13",
        "brainpoolP512r1",
        "brainpoolP512r1",
        512,
    ),
    curve("1.2.156.10197.1.301", "SM2", "SM2", 256),
];

/// The named curve with this dotted OID.
pub fn curve_by_oid(oid: &str) -> Option<&'static Curve> {
    CURVES.iter().find(|c| c.oid == oid)
}

/// The report's name of a curve, else the dotted OID.
pub fn curve_name(oid: &str) -> &str {
    curve_by_oid(oid).map_or(oid, |c| c.name)
}

/// OpenSSL's long name of a signature algorithm, as `openssl x509 -text` prints it on the
/// "Signature Algorithm:" line.
pub fn signature_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        SHA1_WITH_RSA => "sha1WithRSAEncryption",
        RSASSA_PSS => "rsassaPss",
        SHA256_WITH_RSA => "sha256WithRSAEncryption",
        SHA384_WITH_RSA => "sha384WithRSAEncryption",
        SHA512_WITH_RSA => "sha512WithRSAEncryption",
        SHA224_WITH_RSA => "sha224WithRSAEncryption",
        "1.3.14.3.2.29" => "shaWithRSAEncryption",
        ECDSA_WITH_SHA1 => "ecdsa-with-SHA1",
        ECDSA_WITH_SHA224 => "ecdsa-with-SHA224",
        ECDSA_WITH_SHA256 => "ecdsa-with-SHA256",
        ECDSA_WITH_SHA384 => "ecdsa-with-SHA384",
        ECDSA_WITH_SHA512 => "ecdsa-with-SHA512",
        DSA_WITH_SHA1 => "dsaWithSHA1",
        "2.16.840.1.101.3.4.3.1" => "dsa_with_SHA224",
        "2.16.840.1.101.3.4.3.2" => "dsa_with_SHA256",
        "2.16.840.1.101.3.4.3.10" => "ecdsa_with_SHA3-256",
        "2.16.840.1.101.3.4.3.11" => "ecdsa_with_SHA3-384",
        "2.16.840.1.101.3.4.3.12" => "ecdsa_with_SHA3-512",
        "2.16.840.1.101.3.4.3.13" => "RSA-SHA3-224",
        "2.16.840.1.101.3.4.3.14" => "RSA-SHA3-256",
        "2.16.840.1.101.3.4.3.15" => "RSA-SHA3-384",
        "2.16.840.1.101.3.4.3.16" => "RSA-SHA3-512",
        ED25519 => "ED25519",
        ED448 => "ED448",
        "1.2.156.10197.1.501" => "SM2-with-SM3",
        _ => return None,
    })
}

/// OpenSSL's name of a public key algorithm ("rsaEncryption", "id-ecPublicKey").
pub fn key_algorithm_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        RSA_ENCRYPTION => "rsaEncryption",
        RSASSA_PSS => "rsassaPss",
        EC_PUBLIC_KEY => "id-ecPublicKey",
        DSA => "dsaEncryption",
        ED25519 => "ED25519",
        ED448 => "ED448",
        X25519 => "X25519",
        X448 => "X448",
        _ => return None,
    })
}

/// "name (dotted)" for a key algorithm, curve or signature algorithm a person may know by
/// name (curves by OpenSSL's short name); the dotted OID alone otherwise.
pub fn label(oid: &str) -> String {
    let name = key_algorithm_name(oid)
        .or_else(|| curve_by_oid(oid).map(|c| c.openssl))
        .or_else(|| signature_name(oid));
    match name {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_name_per_curve_everywhere() {
        assert_eq!(curve_name(P256), "P-256");
        assert_eq!(curve_name("1.3.36.3.3.2.8.1.1.7"), "brainpoolP256r1");
        assert_eq!(curve_name("1.2.3"), "1.2.3");
        assert_eq!(label(P256), "prime256v1 (1.2.840.10045.3.1.7)");
        assert_eq!(
            label(SHA256_WITH_RSA),
            "sha256WithRSAEncryption (1.2.840.113549.1.1.11)"
        );
        assert_eq!(label(RSASSA_PSS), "rsassaPss (1.2.840.113549.1.1.10)");
    }
}
