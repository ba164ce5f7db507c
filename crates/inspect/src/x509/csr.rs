//! PKCS#10 certificate signing requests (RFC 2986): what is asked for, and whether the request
//! is signed by the key it carries.
//!
//! The structure is walked with the crate's DER reader, so every field keeps its span and an
//! attribute x509-parser does not know cannot make the whole request unreadable; x509-parser
//! reads the subject name and the requested extensions. The self-signature is checked with
//! [`signature::verify`] over the exact bytes of the CertificationRequestInfo.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::key::{self, algorithm_node, bit_string, expect_single, oid_of, shift};
use super::signature::{self, Verification};
use super::{extension, public_key, Decoded};
use crate::der::{self, Reader, Tlv, TAG_BIT_STRING, TAG_INTEGER, TAG_SEQUENCE, TAG_SET};
use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::name::{self, Name, San};
use crate::objects::{Attribute, Csr, Extension, PublicKeyInfo};
use crate::report::ItemBody;
use crate::span::Node;

const CHALLENGE_PASSWORD: &str = "1.2.840.113549.1.9.7";
const UNSTRUCTURED_NAME: &str = "1.2.840.113549.1.9.2";
const UNSTRUCTURED_ADDRESS: &str = "1.2.840.113549.1.9.8";
const EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";
const MS_EXTENSION_REQUEST: &str = "1.3.6.1.4.1.311.2.1.14";

fn malformed(reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "CSR",
        reason: reason.into(),
    }
}

/// Decodes one DER CertificationRequest and checks its self-signature.
pub fn decode(der: &[u8]) -> Result<Decoded, Error> {
    let top = expect_single(der, TAG_SEQUENCE, "CertificationRequest")?;
    let mut r = Reader::at(top.content, top.header_len());
    let info = r.expect(TAG_SEQUENCE, "CSR certificationRequestInfo")?;
    let sig_alg = r.expect(TAG_SEQUENCE, "CSR signatureAlgorithm")?;
    let sig = r.expect(TAG_BIT_STRING, "CSR signature")?;
    if !r.is_empty() {
        return Err(malformed("it has fields after the signature"));
    }

    let mut ir = Reader::at(info.content, info.offset + info.header_len());
    let version = ir.expect(TAG_INTEGER, "CSR version")?;
    let subject = ir.expect(TAG_SEQUENCE, "CSR subject")?;
    let spki = ir.expect(TAG_SEQUENCE, "CSR subjectPKInfo")?;
    let attrs = ir.expect(0xa0, "CSR attributes")?;
    if !ir.is_empty() {
        return Err(malformed(
            "the request info has fields after the attributes",
        ));
    }

    let (_, subject_name) =
        X509Name::from_der(subject.raw).map_err(|_| malformed("the subject is not a Name"))?;
    let public_key = public_key::describe(spki.raw)?;

    let mut requested = Requested::default();
    let mut attr_nodes = Vec::new();
    for attr in attrs.children()? {
        attr_nodes.push(attribute(der, &attr, &mut requested)?);
    }

    let (sig_node, sig_oid) = algorithm_node("signatureAlgorithm", &sig_alg)?;
    let (_, sig_params) = key::algorithm(&sig_alg)?;
    let sig_params = sig_params.map(|p| p.raw);
    let sig_bits = bit_string(&sig)?;
    let verification = signature::verify(&sig_oid, sig_params, spki.raw, info.raw, sig_bits);
    let signature_algorithm =
        signature::algorithm_name(&sig_oid).map_or_else(|| sig_oid.clone(), str::to_string);

    let mut findings = Vec::new();
    let signature_valid = match verification {
        Verification::Valid => Some(true),
        Verification::Invalid => {
            findings.push(
                Finding::error(
                    Code::BadSignature,
                    "the CSR's signature does not verify with the public key it holds",
                )
                .at(sig.span()),
            );
            Some(false)
        }
        Verification::Unsupported(reason) => {
            findings.push(Finding::info(
                Code::SignatureNotChecked,
                format!("the CSR's {signature_algorithm} signature was not checked: {reason}"),
            ));
            None
        }
    };
    if public_key.algorithm.starts_with("RSA") {
        if let Some(bits) = public_key.bits.filter(|b| *b < 2048) {
            findings.push(
                Finding::warning(
                    Code::WeakKey,
                    format!("the CSR's RSA key has {bits} bits; 2048 is the least to use"),
                )
                .at(spki.span()),
            );
        }
    }
    if signature::uses_sha1(&sig_oid, sig_params) {
        findings.push(
            Finding::warning(
                Code::Sha1Signature,
                format!("the CSR is signed with {signature_algorithm}, which uses SHA-1"),
            )
            .at(sig_alg.span()),
        );
    }

    let mut spki_node = match key::decode_public(spki.raw, false) {
        Ok(d) => {
            let mut tree = d.tree;
            shift(&mut tree, spki.offset);
            tree.into_iter()
                .next()
                .unwrap_or_else(|| Node::new("", "", spki.span()))
        }
        Err(_) => Node::new("", der::hex(spki.raw), spki.span()),
    };
    spki_node.name = String::from("subjectPKInfo");
    spki_node.value = describe_key(&public_key);

    let mut attrs_node = Node::new("attributes", "", attrs.span());
    attrs_node.children = attr_nodes;
    let info_node =
        Node::new("certificationRequestInfo", "", info.span()).with_children(alloc::vec![
            key::int_node("version", &version),
            name::node("subject", der, subject.raw),
            spki_node,
            attrs_node,
        ]);
    let tree = Node::new("CertificationRequest", "", top.span()).with_children(alloc::vec![
        info_node,
        sig_node,
        Node::new("signature", der::hex(sig_bits), sig.span()),
    ]);

    let csr = Csr {
        subject: Name::from_der_lossy(subject_name.as_raw()),
        spki_sha256: public_key::spki_sha256(spki.raw),
        public_key,
        san: requested.san,
        signature_algorithm,
        signature_algorithm_oid: sig_oid,
        signature_valid,
        attributes: requested.attributes,
        extensions: requested.extensions,
    };
    Ok(Decoded {
        body: ItemBody::Csr(csr),
        tree: alloc::vec![tree],
        findings,
    })
}

/// "RSA 2048 bits", "EC P-256", as the key line of the tree.
fn describe_key(info: &PublicKeyInfo) -> String {
    let mut s = info.algorithm.clone();
    if let Some(curve) = &info.curve {
        s.push(' ');
        s.push_str(curve);
    } else if let Some(bits) = info.bits {
        s.push_str(&format!(" {bits} bits"));
    }
    s
}

/// What the attributes of a request ask for.
#[derive(Default)]
struct Requested {
    attributes: Vec<Attribute>,
    extensions: Vec<Extension>,
    san: Vec<San>,
}

/// One Attribute { type, values SET }: its report entry, its tree node, and for an
/// extensionRequest the requested extensions and SANs. `whole` is the CSR's DER.
fn attribute(whole: &[u8], attr: &Tlv<'_>, requested: &mut Requested) -> Result<Node, Error> {
    if attr.tag != TAG_SEQUENCE {
        return Err(malformed("an attribute is not a SEQUENCE"));
    }
    let mut r = Reader::at(attr.content, attr.offset + attr.header_len());
    let type_tlv = r.read()?;
    let oid = oid_of(&type_tlv).ok_or_else(|| malformed("an attribute has no type"))?;
    let values = r.expect(TAG_SET, "CSR attribute values")?;
    if !r.is_empty() {
        return Err(malformed("an attribute has fields after its values"));
    }
    let values = values.children()?;
    let name = attribute_name(&oid);
    let mut node = Node::new(name.clone(), "", attr.span());
    let label = if name == oid {
        oid.clone()
    } else {
        format!("{name} ({oid})")
    };
    node.push(Node::new("type", label, type_tlv.span()));
    let value = match oid.as_str() {
        EXTENSION_REQUEST | MS_EXTENSION_REQUEST => {
            let mut names = Vec::new();
            for v in &values {
                let mut ext_node = Node::new("extensions", "", v.span());
                for ext in v.children()? {
                    let (_, parsed) = X509Extension::from_der(ext.raw)
                        .map_err(|_| malformed("a requested extension cannot be read"))?;
                    if let ParsedExtension::SubjectAlternativeName(san) = parsed.parsed_extension()
                    {
                        requested
                            .san
                            .extend(san.general_names.iter().map(extension::general_name));
                    }
                    let described = extension::describe(&parsed);
                    names.push(described.name.clone());
                    ext_node.push(extension::node(whole, ext.raw, &parsed));
                    requested.extensions.push(described);
                }
                node.push(ext_node);
            }
            names.join(", ")
        }
        _ => {
            let texts: Vec<String> = values.iter().map(value_text).collect();
            for (v, t) in values.iter().zip(&texts) {
                node.push(Node::new("value", t.clone(), v.span()));
            }
            texts.join(", ")
        }
    };
    node.value.clone_from(&value);
    requested.attributes.push(Attribute { oid, name, value });
    Ok(node)
}

/// OpenSSL's short names of the PKCS#9 attributes a CSR carries, else the dotted OID.
fn attribute_name(oid: &str) -> String {
    match oid {
        CHALLENGE_PASSWORD => "challengePassword",
        UNSTRUCTURED_NAME => "unstructuredName",
        UNSTRUCTURED_ADDRESS => "unstructuredAddress",
        EXTENSION_REQUEST => "extensionRequest",
        MS_EXTENSION_REQUEST => "msExtReq",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.3" => "contentType",
        "1.3.6.1.4.1.311.13.2.3" => "msOsVersion",
        other => other,
    }
    .to_string()
}

/// The text of an attribute value: strings decoded, anything else as hex of its DER.
fn value_text(v: &Tlv<'_>) -> String {
    match v.tag {
        // UTF8String, PrintableString, IA5String, VisibleString, NumericString
        0x0c | 0x13 | 0x16 | 0x1a | 0x12 => String::from_utf8_lossy(v.content).into_owned(),
        // T61String: in practice Latin-1
        0x14 => v.content.iter().map(|b| char::from(*b)).collect(),
        // BMPString: UTF-16BE
        0x1e => {
            let units = v
                .content
                .chunks(2)
                .map(|c| c.iter().fold(0u16, |a, b| (a << 8) | u16::from(*b)));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        // UniversalString: UTF-32BE
        0x1c => v
            .content
            .chunks(4)
            .map(|c| {
                let u = c.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
                char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
        _ => der::hex(v.raw),
    }
}
