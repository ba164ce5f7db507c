//! Key algorithms: ECDSA P-256 by default; P-384, Ed25519 and RSA 2048/3072/4096 by flag.

use std::fmt;
use std::str::FromStr;

use rcgen::{KeyPair, RsaKeySize};

use crate::error::Error;

/// The key algorithms `mtlskit pki` generates; P-256 unless asked otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256.
    #[default]
    P256,
    /// ECDSA on NIST P-384 with SHA-384.
    P384,
    /// Ed25519 (RFC 8410).
    Ed25519,
    /// RSA 2048 bits, PKCS#1 v1.5 signatures with SHA-256.
    Rsa2048,
    /// RSA 3072 bits.
    Rsa3072,
    /// RSA 4096 bits.
    Rsa4096,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order the help text lists them.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// The name on the command line (`p256`, `rsa2048`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::P256 => "p256",
            KeyAlgorithm::P384 => "p384",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::Rsa3072 => "rsa3072",
            KeyAlgorithm::Rsa4096 => "rsa4096",
        }
    }

    /// A new key pair of this algorithm.
    pub fn generate(self) -> Result<KeyPair, Error> {
        let key = match self {
            KeyAlgorithm::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?,
            KeyAlgorithm::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?,
            KeyAlgorithm::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519)?,
            KeyAlgorithm::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)?
            }
            KeyAlgorithm::Rsa3072 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_3072)?
            }
            KeyAlgorithm::Rsa4096 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_4096)?
            }
        };
        Ok(key)
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let wanted = s.to_ascii_lowercase().replace(['-', '_'], "");
        let alias = match wanted.as_str() {
            "ecdsa" | "ec" | "prime256v1" | "secp256r1" => "p256",
            "secp384r1" => "p384",
            "rsa" => "rsa2048",
            other => other,
        };
        Self::ALL
            .into_iter()
            .find(|a| a.name() == alias)
            .ok_or_else(|| Error::BadAlgorithm(s.to_string()))
    }
}

/// The PEM of a private key, in a form every peer reads.
///
/// aws-lc-rs writes Ed25519 keys as PKCS#8 v2 (RFC 5958, with the public key), which
/// OpenSSL 3.0 refuses ("unsupported"); those are rewritten as PKCS#8 v1 (RFC 8410), which
/// carries the same seed. Other keys are written as generated.
pub fn private_key_pem(key: &KeyPair) -> String {
    let der = key.serialize_der();
    let der = ed25519_pkcs8_v1(&der).unwrap_or(der);
    pem::encode(&pem::Pem::new("PRIVATE KEY", der))
}

/// PKCS#8 v2 Ed25519 prefix: SEQ, INTEGER 1, AlgorithmIdentifier{1.3.101.112}, OCTET STRING{OCTET STRING(32)}.
const ED25519_V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const ED25519_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn ed25519_pkcs8_v1(der: &[u8]) -> Option<Vec<u8>> {
    let seed = der.strip_prefix(&ED25519_V2_PREFIX[..])?.get(..32)?;
    let mut v1 = ED25519_V1_PREFIX.to_vec();
    v1.extend_from_slice(seed);
    Some(v1)
}
