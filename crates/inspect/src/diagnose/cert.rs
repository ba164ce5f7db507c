//! A certificate as chain building sees it: the parsed fields that path validation reads,
//! borrowed from the DER, plus the names and fingerprints messages quote.

use alloc::string::String;
use alloc::vec::Vec;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, NameConstraints, ParsedExtension};
use x509_parser::prelude::FromDer;

use crate::der::hex;
use crate::error::Error;
use crate::name::Name;

/// What path validation needs of one certificate.
#[derive(Debug)]
pub struct Cert<'a> {
    pub der: &'a [u8],
    pub x509: X509Certificate<'a>,
    pub sha256: String,
    pub subject: Name,
    pub issuer: Name,
    /// The source it came from, as given ("ca.pem #0"), for messages.
    pub origin: String,
}

impl<'a> Cert<'a> {
    pub fn parse(der: &'a [u8], origin: String) -> Result<Self, Error> {
        let (_, x509) = X509Certificate::from_der(der).map_err(|e| Error::Malformed {
            what: "certificate",
            reason: alloc::format!("{e}"),
        })?;
        let subject = Name::from_der_lossy(x509.subject().as_raw());
        let issuer = Name::from_der_lossy(x509.issuer().as_raw());
        Ok(Self {
            der,
            sha256: sha256_hex(der),
            subject,
            issuer,
            origin,
            x509,
        })
    }

    /// "CN=foo" (client.pem #0): how a message names it.
    pub fn label(&self) -> String {
        let name = if self.subject.is_empty() {
            "(empty subject)"
        } else {
            self.subject.as_str()
        };
        alloc::format!("{name} ({})", self.origin)
    }

    pub fn subject_raw(&self) -> &[u8] {
        self.x509.subject().as_raw()
    }

    pub fn issuer_raw(&self) -> &[u8] {
        self.x509.issuer().as_raw()
    }

    /// Subject and issuer are the same name (a root, or a self-issued key rollover).
    pub fn self_issued(&self) -> bool {
        self.subject_raw() == self.issuer_raw()
    }

    pub fn spki(&self) -> &[u8] {
        self.x509.public_key().raw
    }

    /// The DER of the outer signatureAlgorithm's parameters (RSA-PSS needs them), if any.
    pub fn signature_params(&self) -> Option<&'a [u8]> {
        let top = crate::der::Reader::new(self.der).read().ok()?;
        let alg = top.children().ok()?.into_iter().nth(1)?;
        alg.children().ok()?.into_iter().nth(1).map(|p| p.raw)
    }

    /// Signed with SHA-1 (or MD5): collisions make such signatures forgeable.
    pub fn weak_hash(&self) -> Option<&'static str> {
        let oid = self.x509.signature_algorithm.algorithm.to_id_string();
        if crate::x509::signature::uses_sha1(&oid, self.signature_params()) {
            Some("SHA-1")
        } else if oid == "1.2.840.113549.1.1.4" || oid == "1.2.840.113549.1.1.2" {
            Some("MD5")
        } else {
            None
        }
    }

    /// RSA modulus size in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self.x509.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
            _ => None,
        }
    }

    pub fn not_before(&self) -> i64 {
        self.x509.validity().not_before.timestamp()
    }

    pub fn not_after(&self) -> i64 {
        self.x509.validity().not_after.timestamp()
    }

    /// basicConstraints CA flag and path length.
    pub fn ca(&self) -> (bool, Option<u32>) {
        match self.x509.basic_constraints() {
            Ok(Some(bc)) => (bc.value.ca, bc.value.path_len_constraint),
            _ => (false, None),
        }
    }

    /// keyUsage bits, `None` when the extension is absent (any use allowed).
    pub fn key_usage(&self) -> Option<u16> {
        match self.x509.key_usage() {
            Ok(Some(ku)) => Some(ku.value.flags),
            _ => None,
        }
    }

    /// (serverAuth, clientAuth, anyExtendedKeyUsage), `None` when EKU is absent.
    pub fn eku(&self) -> Option<(bool, bool, bool)> {
        match self.x509.extended_key_usage() {
            Ok(Some(e)) => Some((e.value.server_auth, e.value.client_auth, e.value.any)),
            _ => None,
        }
    }

    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.x509
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                _ => None,
            })
    }

    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.x509
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| k.0)
                }
                _ => None,
            })
    }

    pub fn name_constraints(&self) -> Option<&NameConstraints<'_>> {
        self.x509
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::NameConstraints(nc) => Some(nc),
                _ => None,
            })
    }

    pub fn sans(&self) -> Vec<&GeneralName<'a>> {
        match self.x509.subject_alternative_name() {
            Ok(Some(san)) => san.value.general_names.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The caIssuers URL of authorityInfoAccess: where the issuer can be fetched.
    pub fn ca_issuers_url(&self) -> Option<String> {
        self.x509
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityInfoAccess(aia) => aia.accessdescs.iter().find_map(|d| {
                    match (&d.access_method.to_id_string()[..], &d.access_location) {
                        ("1.3.6.1.5.5.7.48.2", GeneralName::URI(u)) => Some(String::from(*u)),
                        _ => None,
                    }
                }),
                _ => None,
            })
    }

    /// The organisation (O=) of a name, used to guess whether an unknown issuer belongs to a
    /// trusted CA's hierarchy.
    pub fn organisation(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
        name.iter_organization()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(String::from)
    }
}

impl Cert<'_> {
    /// The span of a named field (`notAfter`, `extKeyUsage`, `signatureValue`, ...) in this
    /// certificate's DER, from the certificate decoder's field tree: the bytes a finding about
    /// that field points at. Only findings pay for building the tree.
    pub fn span_of(&self, field: &str) -> Option<crate::span::Span> {
        fn find(nodes: &[crate::span::Node], field: &str) -> Option<crate::span::Span> {
            nodes.iter().find_map(|n| {
                if n.name == field {
                    Some(n.span)
                } else {
                    find(&n.children, field)
                }
            })
        }
        let tree = crate::x509::decode_certificate(self.der, None).ok()?.tree;
        find(&tree, field)
    }

    /// `finding`, pointing at `field` of this certificate.
    pub fn proves(&self, finding: crate::finding::Finding, field: &str) -> crate::finding::Finding {
        finding.in_certificate(&self.sha256, self.span_of(field))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}
