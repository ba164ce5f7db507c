//! Issuing: CAs, intermediates, server and client certificates, CSRs, and signing CSRs.
//!
//! Each role gets the extensions verifiers check: a CA gets basicConstraints CA:TRUE (critical)
//! and keyCertSign/cRLSign; a server certificate digitalSignature (+ keyEncipherment for RSA)
//! and serverAuth; a client certificate the same with clientAuth. Every certificate carries
//! subject and authority key identifiers so chains build unambiguously.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::algorithm::KeyAlgorithm;
use crate::error::Error;
use crate::names::{to_rcgen, San};

/// Choices shared by every issued certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The key algorithm.
    pub algorithm: KeyAlgorithm,
    /// Validity in days from now (backdated by one hour for clock skew).
    pub days: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            algorithm: KeyAlgorithm::P256,
            days: 365,
        }
    }
}

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// serverAuth, for TLS servers.
    Server,
    /// clientAuth, for TLS clients (mTLS).
    Client,
}

/// A certificate and its private key, both PEM. `Debug` never shows the key.
#[derive(Clone)]
pub struct Issued {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PKCS#8 PEM.
    pub key_pem: String,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"(not shown)")
            .finish()
    }
}

/// A CA that can sign: its certificate and key.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate (PEM), for chain files.
    pub cert_pem: String,
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// A CA from its PEM certificate and PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, Error> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| Error::BadInput {
            what: "CA key",
            reason: e.to_string(),
        })?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key).map_err(|e| Error::BadInput {
            what: "CA certificate",
            reason: e.to_string(),
        })?;
        Ok(Self {
            issuer,
            cert_pem: cert_pem.to_string(),
        })
    }

    /// rcgen's signer, for the CRLs of [`crate::revoke`].
    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    fn from_issued(issued: &Issued) -> Result<Self, Error> {
        Self::from_pem(&issued.cert_pem, &issued.key_pem)
    }
}

/// A self-signed root CA; `path_len` limits how many intermediates may follow.
pub fn new_ca(common_name: &str, path_len: Option<u8>, opts: Options) -> Result<Issued, Error> {
    let mut params = base_params(common_name, opts)?;
    params.is_ca = IsCa::Ca(path_len.map_or(
        BasicConstraints::Unconstrained,
        BasicConstraints::Constrained,
    ));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = opts.algorithm.generate()?;
    let cert = params.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: crate::algorithm::private_key_pem(&key),
    })
}

/// An intermediate CA signed by `ca`, allowed to sign leaves only (path length 0).
pub fn new_intermediate(ca: &Ca, common_name: &str, opts: Options) -> Result<(Issued, Ca), Error> {
    let mut params = base_params(common_name, opts)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    let key = opts.algorithm.generate()?;
    let cert = params.signed_by(&key, &ca.issuer)?;
    let issued = Issued {
        cert_pem: cert.pem(),
        key_pem: crate::algorithm::private_key_pem(&key),
    };
    let signer = Ca::from_issued(&issued)?;
    Ok((issued, signer))
}

/// A server or client certificate for `sans`, signed by `ca`.
pub fn new_leaf(
    ca: &Ca,
    role: Role,
    common_name: &str,
    sans: &[San],
    opts: Options,
) -> Result<Issued, Error> {
    let mut params = base_params(common_name, opts)?;
    params.subject_alt_names = sans.iter().map(to_rcgen).collect::<Result<_, _>>()?;
    let key = opts.algorithm.generate()?;
    leaf_profile(&mut params, role, opts.algorithm);
    let cert = params.signed_by(&key, &ca.issuer)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: crate::algorithm::private_key_pem(&key),
    })
}

/// A new key and a CSR for it (PEM), requesting `sans`.
pub fn new_csr(
    common_name: &str,
    sans: &[San],
    algorithm: KeyAlgorithm,
) -> Result<(String, String), Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(common_name);
    params.subject_alt_names = sans.iter().map(to_rcgen).collect::<Result<_, _>>()?;
    let key = algorithm.generate()?;
    let csr = params.serialize_request(&key)?;
    Ok((csr.pem()?, crate::algorithm::private_key_pem(&key)))
}

/// Issues a certificate from a CSR for `role`: the subject and the requested SANs are kept;
/// key usage, EKU and basic constraints come from the role, never from the request.
pub fn sign_csr(ca: &Ca, csr_pem: &str, role: Role, days: u32) -> Result<String, Error> {
    let request =
        CertificateSigningRequestParams::from_pem(csr_pem).map_err(|e| Error::BadInput {
            what: "CSR",
            reason: e.to_string(),
        })?;
    let requested = request.params;
    let algorithm = algorithm_of(&request.public_key);
    let mut params = base_params("", Options { algorithm, days })?;
    params.distinguished_name = requested.distinguished_name;
    params.subject_alt_names = requested.subject_alt_names;
    leaf_profile(&mut params, role, algorithm);
    let cert = params.signed_by(&request.public_key, &ca.issuer)?;
    Ok(cert.pem())
}

/// Only the RSA-ness of the requested key matters for the key usage of the certificate.
fn algorithm_of(key: &rcgen::PublicKey) -> KeyAlgorithm {
    let rsa = [
        &rcgen::PKCS_RSA_SHA256,
        &rcgen::PKCS_RSA_SHA384,
        &rcgen::PKCS_RSA_SHA512,
    ];
    if rsa.contains(&key.algorithm()) {
        KeyAlgorithm::Rsa2048
    } else {
        KeyAlgorithm::P256
    }
}

fn leaf_profile(params: &mut CertificateParams, role: Role, algorithm: KeyAlgorithm) {
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if matches!(
        algorithm,
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096
    ) {
        // TLS 1.2 RSA key exchange encrypts to the key; harmless elsewhere.
        params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    params.extended_key_usages = vec![match role {
        Role::Server => ExtendedKeyUsagePurpose::ServerAuth,
        Role::Client => ExtendedKeyUsagePurpose::ClientAuth,
    }];
    params.use_authority_key_identifier_extension = true;
}

fn base_params(common_name: &str, opts: Options) -> Result<CertificateParams, Error> {
    if opts.days == 0 || opts.days > 36_500 {
        return Err(Error::BadValidity(opts.days));
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(common_name);
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(opts.days));
    params.serial_number = Some(random_serial());
    Ok(params)
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if !common_name.is_empty() {
        dn.push(DnType::CommonName, common_name);
    }
    dn
}

/// 16 random bytes, positive. The randomness is std's per-process random hasher keys (seeded
/// from the OS); serials need uniqueness, not secrecy, and this avoids another dependency.
fn random_serial() -> SerialNumber {
    let mut bytes = Vec::with_capacity(16);
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(OffsetDateTime::now_utc().unix_timestamp_nanos() as u128);
        bytes.extend_from_slice(&h.finish().to_be_bytes());
    }
    bytes[0] = (bytes[0] & 0x7f) | 0x40; // positive and a full 16 bytes
    SerialNumber::from(bytes)
}
