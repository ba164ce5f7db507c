//! X.509 v3 extensions as the report lists them, and the contract's SAN / key usage names.
//!
//! Certificates and CSRs (in their extensionRequest) carry the same extensions; both decoders
//! call [`describe`], [`general_name`], [`key_usage_names`] and [`eku_names`] so that a name
//! reads the same wherever it appears. Texts follow `openssl x509 -text` where the contract
//! does not fix them; unknown extensions show the hex of their extnValue.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use x509_parser::extensions::{
    AccessDescription, DistributionPointName, GeneralName, KeyUsage, ParsedExtension, X509Extension,
};

use crate::der::{self, Reader};
use crate::name::{Name, San};
use crate::objects::Extension;
use crate::span::{Node, Span};

/// The extension as a report entry: OID, short name, criticality and a readable value.
pub fn describe(ext: &X509Extension<'_>) -> Extension {
    let oid = ext.oid.to_id_string();
    Extension {
        name: extension_name(&oid).map_or_else(|| oid.clone(), ToString::to_string),
        oid,
        critical: ext.critical,
        value: value_text(ext),
    }
}

/// RFC 5280 (or OpenSSL short) name of an extension OID.
pub fn extension_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.29.9" => "subjectDirectoryAttributes",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.16" => "privateKeyUsagePeriod",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "cRLReason",
        "2.5.29.24" => "invalidityDate",
        "2.5.29.27" => "deltaCRLIndicator",
        "2.5.29.28" => "issuingDistributionPoint",
        "2.5.29.29" => "certificateIssuer",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.33" => "policyMappings",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.37" => "extKeyUsage",
        "2.5.29.46" => "freshestCRL",
        "2.5.29.54" => "inhibitAnyPolicy",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.1.3" => "qcStatements",
        "1.3.6.1.5.5.7.1.11" => "subjectInfoAccess",
        "1.3.6.1.5.5.7.1.24" => "tlsfeature",
        "1.3.6.1.5.5.7.48.1.5" => "noCheck",
        "1.3.6.1.4.1.11129.2.4.2" => "ct_precert_scts",
        "1.3.6.1.4.1.11129.2.4.3" => "ct_precert_poison",
        "2.16.840.1.113730.1.1" => "nsCertType",
        "2.16.840.1.113730.1.13" => "nsComment",
        "1.3.6.1.4.1.311.20.2" => "msCertificateTemplateName",
        "1.3.6.1.4.1.311.21.7" => "msCertificateTemplate",
        "1.3.6.1.4.1.311.21.10" => "msApplicationPolicies",
        _ => return None,
    })
}

/// A GeneralName as the report has it (its text is the contract's: `DNS:x`, `IP:2001:db8::1`...).
pub fn general_name(gn: &GeneralName<'_>) -> San {
    match gn {
        GeneralName::DNSName(s) => San::Dns(s.to_string()),
        GeneralName::RFC822Name(s) => San::Email(s.to_string()),
        GeneralName::URI(s) => San::Uri(s.to_string()),
        GeneralName::IPAddress(b) => San::ip(b),
        GeneralName::DirectoryName(n) => San::DirName(Name::from_der_lossy(n.as_raw())),
        GeneralName::RegisteredID(oid) => San::Rid(oid.to_id_string()),
        GeneralName::OtherName(oid, value) => {
            let dotted = oid.to_id_string();
            San::OtherName {
                label: other_name_label(&dotted).map_or(dotted, ToString::to_string),
                value: other_value(value),
            }
        }
        GeneralName::X400Address(_) => San::X400Address,
        GeneralName::EDIPartyName(_) => San::EdiPartyName,
        GeneralName::Invalid(tag, data) => San::Invalid {
            tag: tag.0,
            bytes: data.to_vec(),
        },
    }
}

/// OpenSSL's label of the otherName types it knows (`GENERAL_NAME_print`).
fn other_name_label(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.3.6.1.4.1.311.20.2.3" => "UPN",
        "1.3.6.1.5.5.7.8.5" => "XmppAddr",
        "1.3.6.1.5.5.7.8.7" => "SRVName",
        "1.3.6.1.5.5.7.8.8" => "NAIRealm",
        "1.3.6.1.5.5.7.8.9" => "SmtpUTF8Mailbox",
        _ => return None,
    })
}

/// The `[0] EXPLICIT` value of an otherName: `:text` for a string (as OpenSSL prints
/// `1.2.3.4::hello`), else hex of the DER.
fn other_value(value: &[u8]) -> String {
    let inner = der::single(value)
        .ok()
        .filter(|t| t.tag == 0xa0)
        .and_then(|t| der::single(t.content).ok());
    match inner {
        Some(t) if matches!(t.tag, 0x0c | 0x13 | 0x16 | 0x1a) => {
            format!(":{}", String::from_utf8_lossy(t.content))
        }
        _ => der::hex(value),
    }
}

const KEY_USAGE: [(&str, &str); 9] = [
    ("digitalSignature", "Digital Signature"),
    ("nonRepudiation", "Non Repudiation"),
    ("keyEncipherment", "Key Encipherment"),
    ("dataEncipherment", "Data Encipherment"),
    ("keyAgreement", "Key Agreement"),
    ("keyCertSign", "Certificate Sign"),
    ("cRLSign", "CRL Sign"),
    ("encipherOnly", "Encipher Only"),
    ("decipherOnly", "Decipher Only"),
];

/// The RFC 5280 names of the bits set in a keyUsage, in bit order.
pub fn key_usage_names(ku: &KeyUsage) -> Vec<String> {
    KEY_USAGE
        .iter()
        .enumerate()
        .filter(|(i, _)| (ku.flags >> i) & 1 == 1)
        .map(|(_, (name, _))| name.to_string())
        .collect()
}

/// The contract names of an extKeyUsage extension's purposes, in the order they are encoded.
///
/// Returns nothing for an extension that is not a (well-formed) extKeyUsage.
pub fn eku_names(ext: &X509Extension<'_>) -> Vec<String> {
    eku_oids(ext.value)
        .iter()
        .map(|oid| eku_name(oid).map_or_else(|| oid.clone(), ToString::to_string))
        .collect()
}

fn eku_oids(value: &[u8]) -> Vec<String> {
    der::single(value)
        .ok()
        .filter(|t| t.tag == der::TAG_SEQUENCE)
        .and_then(|t| t.children().ok())
        .unwrap_or_default()
        .iter()
        .filter(|t| t.tag == der::TAG_OID)
        .filter_map(|t| der::oid_to_string(t.content))
        .collect()
}

/// The contract name of a key purpose.
pub fn eku_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        _ => return None,
    })
}

/// OpenSSL's long name of a key purpose, for the readable value.
fn eku_long_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.3.6.1.5.5.7.3.1" => "TLS Web Server Authentication",
        "1.3.6.1.5.5.7.3.2" => "TLS Web Client Authentication",
        "1.3.6.1.5.5.7.3.3" => "Code Signing",
        "1.3.6.1.5.5.7.3.4" => "E-mail Protection",
        "1.3.6.1.5.5.7.3.5" => "IPSec End System",
        "1.3.6.1.5.5.7.3.6" => "IPSec Tunnel",
        "1.3.6.1.5.5.7.3.7" => "IPSec User",
        "1.3.6.1.5.5.7.3.8" => "Time Stamping",
        "1.3.6.1.5.5.7.3.9" => "OCSP Signing",
        "2.5.29.37.0" => "Any Extended Key Usage",
        "1.3.6.1.4.1.311.10.3.3" => "Microsoft Server Gated Crypto",
        "2.16.840.1.113730.4.1" => "Netscape Server Gated Crypto",
        _ => return None,
    })
}

/// Uppercase, colon-separated hex, as OpenSSL prints key identifiers.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

fn names(list: &[GeneralName<'_>]) -> String {
    list.iter()
        .map(|gn| general_name(gn).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn access_method(oid: &str) -> String {
    match oid {
        "1.3.6.1.5.5.7.48.1" => "OCSP".to_string(),
        "1.3.6.1.5.5.7.48.2" => "CA Issuers".to_string(),
        "1.3.6.1.5.5.7.48.3" => "Time Stamping".to_string(),
        "1.3.6.1.5.5.7.48.5" => "CA Repository".to_string(),
        other => other.to_string(),
    }
}

/// The access descriptions of authorityInfoAccess or subjectInfoAccess: "OCSP - URI:x, ...".
fn access(descriptions: &[AccessDescription<'_>]) -> String {
    descriptions
        .iter()
        .map(|d| {
            let m = access_method(&d.access_method.to_id_string());
            format!("{m} - {}", general_name(&d.access_location))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The readable value of an extension, like the body `openssl x509 -text` prints, on one line.
fn value_text(ext: &X509Extension<'_>) -> String {
    let oid = ext.oid.to_id_string();
    match ext.parsed_extension() {
        ParsedExtension::BasicConstraints(bc) => {
            let mut s = String::from(if bc.ca { "CA:TRUE" } else { "CA:FALSE" });
            if let Some(n) = bc.path_len_constraint {
                let _ = write!(s, ", pathlen:{n}");
            }
            s
        }
        ParsedExtension::KeyUsage(ku) => KEY_USAGE
            .iter()
            .enumerate()
            .filter(|(i, _)| (ku.flags >> i) & 1 == 1)
            .map(|(_, (_, long))| *long)
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::ExtendedKeyUsage(_) => eku_oids(ext.value)
            .iter()
            .map(|o| eku_long_name(o).map_or_else(|| o.clone(), ToString::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::SubjectKeyIdentifier(id) => colon_hex(id.0),
        ParsedExtension::AuthorityKeyIdentifier(aki) => {
            let mut parts = Vec::new();
            if let Some(id) = &aki.key_identifier {
                parts.push(colon_hex(id.0));
            }
            if let Some(issuer) = &aki.authority_cert_issuer {
                parts.push(names(issuer));
            }
            if let Some(serial) = aki.authority_cert_serial {
                parts.push(format!("serial:{}", colon_hex(serial)));
            }
            parts.join(", ")
        }
        ParsedExtension::SubjectAlternativeName(san) => names(&san.general_names),
        ParsedExtension::IssuerAlternativeName(ian) => names(&ian.general_names),
        ParsedExtension::CRLDistributionPoints(points) => points
            .points
            .iter()
            .map(|p| match &p.distribution_point {
                Some(DistributionPointName::FullName(list)) => names(list),
                Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => {
                    "Relative Name".to_string()
                }
                None => p
                    .crl_issuer
                    .as_deref()
                    .map_or_else(String::new, |l| format!("CRL Issuer: {}", names(l))),
            })
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::AuthorityInfoAccess(aia) => access(&aia.accessdescs),
        ParsedExtension::SubjectInfoAccess(sia) => access(&sia.accessdescs),
        ParsedExtension::CertificatePolicies(policies) => policies
            .iter()
            .map(|p| format!("Policy: {}", p.policy_id.to_id_string()))
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::NameConstraints(nc) => {
            let list = |t: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                t.as_deref().map(|v| {
                    v.iter()
                        .map(|s| general_name(&s.base).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
            };
            let mut parts = Vec::new();
            if let Some(p) = list(&nc.permitted_subtrees) {
                parts.push(format!("Permitted: {p}"));
            }
            if let Some(e) = list(&nc.excluded_subtrees) {
                parts.push(format!("Excluded: {e}"));
            }
            parts.join("; ")
        }
        ParsedExtension::PolicyConstraints(pc) => {
            let mut parts = Vec::new();
            if let Some(n) = pc.require_explicit_policy {
                parts.push(format!("Require Explicit Policy:{n}"));
            }
            if let Some(n) = pc.inhibit_policy_mapping {
                parts.push(format!("Inhibit Policy Mapping:{n}"));
            }
            parts.join(", ")
        }
        ParsedExtension::InhibitAnyPolicy(i) => i.skip_certs.to_string(),
        ParsedExtension::PolicyMappings(pm) => pm
            .mappings
            .iter()
            .map(|m| {
                format!(
                    "{}:{}",
                    m.issuer_domain_policy.to_id_string(),
                    m.subject_domain_policy.to_id_string()
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::SCT(list) => match list.len() {
            1 => "1 signed certificate timestamp".to_string(),
            n => format!("{n} signed certificate timestamps"),
        },
        ParsedExtension::NsCertComment(s) => s.to_string(),
        ParsedExtension::CRLNumber(n) => n.to_string(),
        ParsedExtension::ReasonCode(code) => {
            crate::objects::RevocationReason::from_code(code.0).to_string()
        }
        ParsedExtension::InvalidityDate(t) => crate::time::Timestamp(t.timestamp()).to_rfc3339(),
        ParsedExtension::ParseError { .. } => format!("invalid: {}", der::hex(ext.value)),
        _ if oid == "1.3.6.1.4.1.11129.2.4.3" => "NULL".to_string(),
        _ => der::hex(ext.value),
    }
}

/// The field tree of one extension: `raw` is its whole `Extension` SEQUENCE inside `whole`.
///
/// Children: extnID, critical (when encoded), extnValue; the value has one child per SAN
/// entry or key purpose, and a generic DER tree for other extensions.
pub fn node(whole: &[u8], raw: &[u8], ext: &X509Extension<'_>) -> Node {
    let described = describe(ext);
    let span = Span::of(whole, raw).unwrap_or_default();
    let mut node = Node::new(described.name.clone(), described.value.clone(), span);
    let Ok(seq) = Reader::at(raw, span.offset).read() else {
        return node;
    };
    for part in seq.children().unwrap_or_default() {
        match part.tag {
            der::TAG_OID => node.push(Node::new("extnID", described.oid.clone(), part.span())),
            der::TAG_BOOLEAN => node.push(Node::new(
                "critical",
                der::primitive_value(&part),
                part.span(),
            )),
            der::TAG_OCTET_STRING => {
                let mut value = Node::new("extnValue", described.value.clone(), part.span());
                value.children = value_children(ext, part.content, part.offset + part.header_len());
                node.push(value);
            }
            _ => {}
        }
    }
    node
}

fn value_children(ext: &X509Extension<'_>, value: &[u8], at: usize) -> Vec<Node> {
    let Ok(seq) = Reader::at(value, at).read() else {
        return Vec::new();
    };
    let items = seq.children().unwrap_or_default();
    let names = match ext.parsed_extension() {
        ParsedExtension::SubjectAlternativeName(s) => Some(&s.general_names),
        ParsedExtension::IssuerAlternativeName(s) => Some(&s.general_names),
        _ => None,
    };
    if let Some(names) = names {
        if names.len() == items.len() {
            return items
                .iter()
                .zip(names.iter())
                .map(|(t, gn)| Node::new("GeneralName", general_name(gn).to_string(), t.span()))
                .collect();
        }
    }
    if matches!(ext.parsed_extension(), ParsedExtension::ExtendedKeyUsage(_)) {
        return items
            .iter()
            .filter(|t| t.tag == der::TAG_OID)
            .map(|t| {
                let oid = der::oid_to_string(t.content).unwrap_or_default();
                let label = eku_name(&oid).map_or_else(|| oid.clone(), ToString::to_string);
                Node::new("KeyPurposeId", label, t.span())
            })
            .collect();
    }
    let mut tree = der::tree(value);
    shift(&mut tree, at);
    tree
}

/// Moves the spans of a tree built over a sub-slice to the item's offsets.
pub(crate) fn shift(nodes: &mut [Node], by: usize) {
    for n in nodes {
        n.span.offset += by;
        shift(&mut n.children, by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bits() {
        let ku = KeyUsage {
            flags: 0b1_0010_0001,
        };
        assert_eq!(
            key_usage_names(&ku),
            ["digitalSignature", "keyCertSign", "decipherOnly"]
        );
    }

    #[test]
    fn eku_in_wire_order() {
        // SEQUENCE { clientAuth, 1.2.3 }
        let v = [
            0x30, 0x0d, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02, 0x06, 0x01,
            0x2a,
        ];
        let names: Vec<String> = eku_oids(&v)
            .iter()
            .map(|o| eku_name(o).map_or_else(|| o.clone(), ToString::to_string))
            .collect();
        assert_eq!(names, ["clientAuth", "1.2"]);
    }
}
