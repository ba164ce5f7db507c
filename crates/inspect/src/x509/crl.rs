//! X.509 certificate revocation lists (RFC 5280 5): the report's `crl` item, its field tree and
//! findings, the signature check against an issuer, and the [`Revocation`] fact.
//!
//! x509-parser reads the list, as it reads certificates in [`super::certificate`]; the field tree
//! is walked with [`crate::der`] so every field (each entry included) keeps its byte span. Time
//! never comes from a clock: `crl_expired` appears only when the caller passes `now`. The
//! signature is checked with [`signature::verify`], the function certificates' and CSRs'
//! signatures go through.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::certificate::{
    algorithm_node, extensions_node, serial_text, signature_nodes, signed, time_text, Signed,
};
use super::signature::{self, Verification};
use super::{extension, Decoded};
use crate::der::{self, Tlv};
use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::name::{self, Name};
use crate::objects::{self, RevocationReason, RevokedEntry};
use crate::oid::signature_name;
use crate::report::ItemBody;
use crate::span::{Node, Span};
use crate::time::{relative_days, Timestamp};

/// Reads the DER of one CRL (trailing bytes allowed).
fn parse(der: &[u8]) -> Result<CertificateRevocationList<'_>, Error> {
    CertificateRevocationList::from_der(der)
        .map(|(_, crl)| crl)
        .map_err(|e| Error::Malformed {
            what: "CRL",
            reason: e.to_string(),
        })
}

/// Decodes one DER CertificateList; `now` adds the `crl_expired` finding.
pub fn decode(der: &[u8], now: Option<Timestamp>) -> Result<Decoded, Error> {
    let crl = parse(der)?;
    let tbs = &crl.tbs_cert_list;
    let fields = Fields::walk(der).unwrap_or_default();
    let sig_oid = crl.signature_algorithm.algorithm.to_id_string();
    let mut body = objects::Crl {
        version: tbs.version.map_or(1, |v| {
            u8::try_from(v.0.saturating_add(1)).unwrap_or(u8::MAX)
        }),
        issuer: Name::from_der_lossy(tbs.issuer.as_raw()),
        this_update: Timestamp(tbs.this_update.timestamp()).to_rfc3339(),
        next_update: tbs
            .next_update
            .map(|t| Timestamp(t.timestamp()).to_rfc3339()),
        crl_number: crl.crl_number().map(ToString::to_string),
        authority_key_id: None,
        revoked: crl.iter_revoked_certificates().map(entry).collect(),
        signature_algorithm: signature_name(&sig_oid)
            .map_or_else(|| sig_oid.clone(), ToString::to_string),
        signature_algorithm_oid: sig_oid,
        signature_valid: None,
        signed_by: None,
        sha256: der::hex(&Sha256::digest(crl.as_raw())),
        extensions: Vec::new(),
        this_update_unix: tbs.this_update.timestamp(),
        next_update_unix: tbs.next_update.map(|t| t.timestamp()),
    };
    let mut findings = Vec::new();
    for ext in crl.extensions() {
        if let ParsedExtension::AuthorityKeyIdentifier(aki) = ext.parsed_extension() {
            body.authority_key_id = aki
                .key_identifier
                .as_ref()
                .map(|k| extension::colon_hex(k.0));
        }
        body.extensions.push(extension::describe(ext));
        critical_findings(ext, fields.extensions, &mut findings);
    }
    for (entry, span) in crl.iter_revoked_certificates().zip(&fields.entries) {
        for ext in entry.extensions() {
            critical_findings(ext, *span, &mut findings);
        }
    }
    if let Some(now) = now {
        if let Some(f) = expiry(&body, now, &fields) {
            findings.push(f);
        }
    }
    let tree = tree(der, &crl);
    Ok(Decoded {
        body: ItemBody::Crl(body),
        tree,
        findings,
    })
}

fn entry(r: &x509_parser::revocation_list::RevokedCertificate<'_>) -> RevokedEntry {
    RevokedEntry {
        serial: serial_text(r.raw_serial()),
        revocation_date: Timestamp(r.revocation_date.timestamp()).to_rfc3339(),
        reason: r
            .reason_code()
            .map(|(_, c)| RevocationReason::from_code(c.0)),
        invalidity_date: r
            .invalidity_date()
            .map(|(_, t)| Timestamp(t.timestamp()).to_rfc3339()),
        revocation_date_unix: r.revocation_date.timestamp(),
    }
}

/// A CRL whose nextUpdate is past: verifiers that check expiry refuse to use it (RFC 5280
/// 6.3.3 (a)(2) lets them; rustls-webpki, nginx and `openssl verify -crl_check` do).
fn expiry(body: &objects::Crl, now: Timestamp, fields: &Fields) -> Option<Finding> {
    let next = Timestamp(body.next_update_unix?);
    (now > next).then(|| {
        Finding::error(
            Code::CrlExpired,
            format!(
                "the CRL of {} expired {} (nextUpdate {}); the CA must publish a new one",
                body.issuer,
                relative_days(now.days_until(next)),
                next
            ),
        )
        .at(fields.next_update)
    })
}

/// RFC 5280 5.2 and 5.3: a CRL or entry extension marked critical that is not understood
/// makes the list unusable for the certificates it covers.
fn critical_findings(ext: &X509Extension<'_>, span: Span, out: &mut Vec<Finding>) {
    let oid = ext.oid.to_id_string();
    let known = matches!(
        oid.as_str(),
        "2.5.29.20" | "2.5.29.21" | "2.5.29.24" | "2.5.29.35" | "2.5.29.18"
    );
    if ext.critical && (!known || ext.parsed_extension().error().is_some()) {
        let name = extension::extension_name(&oid).unwrap_or(&oid);
        out.push(
            Finding::error(
                Code::UnknownCriticalExtension,
                format!("the critical CRL extension {name} is not understood, so verifiers must not use this CRL"),
            )
            .at(span),
        );
    }
}

/// Spans of the fields findings point at.
#[derive(Clone, Debug, Default)]
struct Fields {
    next_update: Span,
    extensions: Span,
    signature: Span,
    /// Each revoked entry's SEQUENCE, in order.
    entries: Vec<Span>,
}

impl Fields {
    fn walk(der: &[u8]) -> Result<Self, Error> {
        let (_, tbs, _, sig) = top(der)?;
        let mut f = Fields {
            signature: sig.span(),
            ..Fields::default()
        };
        for part in Parts::of(&tbs)? {
            match part {
                Part::NextUpdate(t) => f.next_update = t.span(),
                Part::Revoked(t) => {
                    f.entries = t.children()?.iter().map(Tlv::span).collect();
                }
                Part::Extensions(t) => f.extensions = t.span(),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// The CertificateList SEQUENCE, tbsCertList, signatureAlgorithm and signatureValue.
fn top(der: &[u8]) -> Result<Signed<'_>, Error> {
    signed(
        der,
        [
            "CertificateList",
            "tbsCertList",
            "CRL signatureAlgorithm",
            "CRL signatureValue",
        ],
    )
}

/// The fields of a TBSCertList, told apart by their position and tag (RFC 5280 5.1).
enum Part<'a> {
    Version(Tlv<'a>),
    Signature(Tlv<'a>),
    Issuer(Tlv<'a>),
    ThisUpdate(Tlv<'a>),
    NextUpdate(Tlv<'a>),
    Revoked(Tlv<'a>),
    Extensions(Tlv<'a>),
    Other(Tlv<'a>),
}

struct Parts;

impl Parts {
    fn of<'a>(tbs: &Tlv<'a>) -> Result<Vec<Part<'a>>, Error> {
        let mut out = Vec::new();
        let (mut algs, mut names, mut times) = (0, 0, 0);
        for t in tbs.children()? {
            let part = match t.tag {
                der::TAG_INTEGER if out.is_empty() => Part::Version(t),
                der::TAG_SEQUENCE if algs == 0 => {
                    algs += 1;
                    Part::Signature(t)
                }
                der::TAG_SEQUENCE if names == 0 => {
                    names += 1;
                    Part::Issuer(t)
                }
                0x17 | 0x18 if times == 0 => {
                    times += 1;
                    Part::ThisUpdate(t)
                }
                0x17 | 0x18 if times == 1 => {
                    times += 1;
                    Part::NextUpdate(t)
                }
                der::TAG_SEQUENCE => Part::Revoked(t),
                0xa0 => Part::Extensions(t),
                _ => Part::Other(t),
            };
            out.push(part);
        }
        Ok(out)
    }
}

/// The RFC 5280 field tree; parts that do not walk are left out rather than failing.
fn tree(der: &[u8], crl: &CertificateRevocationList<'_>) -> Vec<Node> {
    let Ok((whole, tbs, alg, sig)) = top(der) else {
        return Vec::new();
    };
    let mut root = Node::new("CertificateList", "", whole.span());
    let mut tbs_node = Node::new("tbsCertList", "", tbs.span());
    let time = |field: &str, t: &Tlv<'_>| {
        let text = time_text(t).unwrap_or_else(|| der::primitive_value(t));
        Node::new(field, text, t.span())
    };
    for part in Parts::of(&tbs).unwrap_or_default() {
        let node = match part {
            Part::Version(t) => Node::new("version", format!("v{}", version_of(&t)), t.span()),
            Part::Signature(t) => algorithm_node("signature", &t),
            Part::Issuer(t) => name::node("issuer", der, t.raw),
            Part::ThisUpdate(t) => time("thisUpdate", &t),
            Part::NextUpdate(t) => time("nextUpdate", &t),
            Part::Revoked(t) => revoked_node(der, &t, crl),
            Part::Extensions(t) => extensions_node(der, &t, crl.extensions()),
            Part::Other(t) => Node::new(der::tag_name(t.tag), der::primitive_value(&t), t.span()),
        };
        tbs_node.push(node);
    }
    root.push(tbs_node);
    root.children.extend(signature_nodes(&alg, &sig));
    alloc::vec![root]
}

fn version_of(t: &Tlv<'_>) -> u64 {
    t.content
        .iter()
        .take(8)
        .fold(0u64, |a, b| (a << 8) | u64::from(*b))
        .saturating_add(1)
}

fn revoked_node(der: &[u8], t: &Tlv<'_>, crl: &CertificateRevocationList<'_>) -> Node {
    let entries: Vec<_> = crl.iter_revoked_certificates().collect();
    let mut node = Node::new(
        "revokedCertificates",
        format!("{} entries", entries.len()),
        t.span(),
    );
    for (raw, parsed) in t.children().unwrap_or_default().iter().zip(entries) {
        let e = entry(parsed);
        let reason = e.reason.map(|r| format!(" ({r})")).unwrap_or_default();
        let mut entry_node = Node::new(
            "entry",
            format!("serial {} revoked {}{reason}", e.serial, e.revocation_date),
            raw.span(),
        );
        for part in raw.children().unwrap_or_default() {
            let child = match part.tag {
                der::TAG_INTEGER => {
                    Node::new("userCertificate", serial_text(part.content), part.span())
                }
                0x17 | 0x18 => Node::new(
                    "revocationDate",
                    time_text(&part).unwrap_or_else(|| der::primitive_value(&part)),
                    part.span(),
                ),
                der::TAG_SEQUENCE => {
                    let exts = parsed.extensions();
                    let mut list = Node::new(
                        "crlEntryExtensions",
                        format!("{} extensions", exts.len()),
                        part.span(),
                    );
                    for (raw_ext, ext) in part.children().unwrap_or_default().iter().zip(exts) {
                        list.push(extension::node(der, raw_ext.raw, ext));
                    }
                    list
                }
                _ => Node::new(
                    der::tag_name(part.tag),
                    der::primitive_value(&part),
                    part.span(),
                ),
            };
            entry_node.push(child);
        }
        node.push(entry_node);
    }
    node
}

/// The facts of [`super::CrlFacts`], read from the DER without the rest of [`decode`].
pub fn facts(der: &[u8]) -> Result<super::CrlFacts, Error> {
    let crl = parse(der)?;
    let tbs = &crl.tbs_cert_list;
    Ok(super::CrlFacts {
        issuer: Name::from_der_lossy(tbs.issuer.as_raw()),
        issuer_der: tbs.issuer.as_raw().to_vec(),
        this_update: Timestamp(tbs.this_update.timestamp()),
        next_update: tbs.next_update.map(|t| Timestamp(t.timestamp())),
        entries: crl.iter_revoked_certificates().count(),
        v2: tbs.version.is_some_and(|v| v.0 == 1),
    })
}

/// Checks the CRL's signature with the key of the CA certificate `ca_der`: see [`verify`].
pub fn verify_with_certificate(crl_der: &[u8], ca_der: &[u8]) -> Result<Verification, Error> {
    let (_, ca) = X509Certificate::from_der(ca_der).map_err(|e| Error::Malformed {
        what: "certificate",
        reason: e.to_string(),
    })?;
    verify(crl_der, ca.tbs_certificate.subject_pki.raw)
}

/// Checks the CRL's signature with the key of `issuer_spki` (a DER SubjectPublicKeyInfo).
///
/// Whether that issuer is the right one (its name, its keyUsage cRLSign) is the caller's
/// question; this is only the cryptography, as [`signature::verify`] does it for certificates.
pub fn verify(crl_der: &[u8], issuer_spki: &[u8]) -> Result<Verification, Error> {
    let crl = parse(crl_der)?;
    let params = top(crl_der)
        .ok()
        .and_then(|(_, _, alg, _)| alg.children().ok())
        .and_then(|c| c.get(1).map(|p| p.raw));
    Ok(signature::verify(
        &crl.signature_algorithm.algorithm.to_id_string(),
        params,
        issuer_spki,
        crl.tbs_cert_list.as_ref(),
        &crl.signature_value.data,
    ))
}

/// The DER Name of the CRL's issuer (to compare with a certificate's issuer or subject).
pub fn issuer_der(crl_der: &[u8]) -> Result<&[u8], Error> {
    Ok(parse(crl_der)?.tbs_cert_list.issuer.as_raw())
}

/// The spans of the signatureValue, the nextUpdate and each revoked entry in a CRL's DER, for
/// findings that point into it.
pub(crate) fn spans(crl_der: &[u8]) -> (Span, Span, Vec<Span>) {
    let f = Fields::walk(crl_der).unwrap_or_default();
    (f.signature, f.next_update, f.entries)
}

/// Why a certificate is revoked: what a CRL says about it, computed once for every front end.
///
/// The proxy writes it when it refuses a revoked client ("client certificate CN=x serial 0a:1b
/// was revoked on ..."), `diagnose` makes it its `revoked` finding, and `inspect` attaches it to
/// a certificate given with the CRL of its issuer. [`fmt::Display`] is that sentence, without
/// the role ("certificate CN=x serial ... was revoked on ... (keyCompromise) by the CRL of
/// CN=CA (number 3, issued ..., next update ...)").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The certificate's subject, RFC 4514.
    pub subject: Name,
    /// The certificate's serial number: lowercase hex without leading zeros, as the report.
    pub serial: String,
    /// The serial as colon-separated lowercase byte pairs ("0a:1b"), as the proxy logs it.
    pub serial_colon: String,
    /// The entry's revocationDate.
    pub revoked_at: Timestamp,
    /// The entry's cRLReason, when it has one.
    pub reason: Option<RevocationReason>,
    /// The entry's invalidityDate, when it has one.
    pub invalidity_date: Option<Timestamp>,
    /// The CRL's issuer, RFC 4514.
    pub crl_issuer: Name,
    /// The CRL's thisUpdate.
    pub this_update: Timestamp,
    /// The CRL's nextUpdate, when present.
    pub next_update: Option<Timestamp>,
    /// The CRL's cRLNumber in decimal.
    pub crl_number: Option<String>,
    /// The position of the CRL in the slice given to [`revocation`].
    pub crl_index: usize,
    /// The position of the entry in that CRL's revokedCertificates.
    pub entry_index: usize,
}

impl fmt::Display for Revocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate {} serial {} was revoked on {}",
            self.subject, self.serial_colon, self.revoked_at
        )?;
        if let Some(reason) = self.reason {
            write!(f, " ({reason})")?;
        }
        write!(f, " by the CRL of {} (", self.crl_issuer)?;
        if let Some(n) = &self.crl_number {
            write!(f, "number {n}, ")?;
        }
        write!(f, "issued {}", self.this_update)?;
        match self.next_update {
            Some(next) => write!(f, ", next update {next})"),
            None => f.write_str(", no next update)"),
        }
    }
}

/// Whether the CRLs revoke a certificate: the first entry with its serial in a CRL whose issuer
/// is the certificate's issuer (RFC 5280 6.3.3: same issuer name, serial on the list).
///
/// `cert_der` is the DER certificate, `crls` DER CertificateLists (PEM goes through
/// [`crate::diagnose::crls_in`] first). Unreadable CRLs are skipped; CRL signatures and expiry
/// are NOT checked here (the proxy's verifier, or [`super::verify_crl`] and `diagnose`, do
/// that): this says what a CRL the caller already trusts says. `Err` only when the certificate cannot be
/// read; `Ok(None)` when no CRL lists it.
pub fn revocation(cert_der: &[u8], crls: &[&[u8]]) -> Result<Option<Revocation>, Error> {
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| Error::Malformed {
        what: "certificate",
        reason: e.to_string(),
    })?;
    let serial = cert.tbs_certificate.raw_serial();
    for (crl_index, der) in crls.iter().enumerate() {
        let Ok(crl) = parse(der) else { continue };
        let tbs = &crl.tbs_cert_list;
        if tbs.issuer.as_raw() != cert.issuer().as_raw() {
            continue;
        }
        let found = crl
            .iter_revoked_certificates()
            .enumerate()
            .find(|(_, r)| r.raw_serial() == serial);
        if let Some((entry_index, r)) = found {
            return Ok(Some(Revocation {
                subject: Name::from_der_lossy(cert.subject().as_raw()),
                serial: serial_text(serial),
                serial_colon: colon_serial(serial),
                revoked_at: Timestamp(r.revocation_date.timestamp()),
                reason: r
                    .reason_code()
                    .map(|(_, c)| RevocationReason::from_code(c.0)),
                invalidity_date: r.invalidity_date().map(|(_, t)| Timestamp(t.timestamp())),
                crl_issuer: Name::from_der_lossy(tbs.issuer.as_raw()),
                this_update: Timestamp(tbs.this_update.timestamp()),
                next_update: tbs.next_update.map(|t| Timestamp(t.timestamp())),
                crl_number: crl.crl_number().map(ToString::to_string),
                crl_index,
                entry_index,
            }));
        }
    }
    Ok(None)
}

/// "0a:1b": the serial's bytes without a leading sign byte, lowercase, colon-separated.
fn colon_serial(raw: &[u8]) -> String {
    let trimmed = match raw {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    };
    extension::colon_hex(trimmed).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[0x30, 0x03, 0x02, 0x01, 0x01], None).is_err());
        assert!(decode(&[], None).is_err());
        assert!(verify(&[0x30, 0x00], &[]).is_err());
        assert!(revocation(&[0x30, 0x00], &[&[0x30, 0x00]]).is_err());
    }

    #[test]
    fn colon_serials() {
        assert_eq!(colon_serial(&[0x0a, 0x1b]), "0a:1b");
        assert_eq!(colon_serial(&[0x00, 0x80]), "80");
        assert_eq!(colon_serial(&[0x00]), "00");
    }

    #[test]
    fn reasons_keep_unknown_values() {
        assert_eq!(RevocationReason::from_code(1).as_str(), "keyCompromise");
        assert_eq!(RevocationReason::from_code(7), RevocationReason::Unknown(7));
    }
}
