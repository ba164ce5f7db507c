//! The inspection pipeline: sources in, one [`Report`] out.
//!
//! Sniffs each source, decodes every object in it, keeps going past bad objects (each becomes
//! an error naming the source and the object), then links items across sources: a private key
//! is matched to the certificates and CSRs given with it by public-key fingerprint.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::Error;
use crate::finding::{Code, Finding};
#[cfg(feature = "std")]
use crate::objects::Certificate;
use crate::objects::{ItemRef, Opaque};
use crate::report::{Item, ItemBody, Report, SourceError};
use crate::sniff::{self, Blob, Object};
use crate::time::Timestamp;

/// One source to inspect: a name for messages (a path, "stdin", "pasted text") and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The path or name of the source, as the report repeats it.
    pub source: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Inspects one source. `now` adds the findings that depend on time (expiry).
pub fn inspect(source: &str, bytes: &[u8], now: Option<Timestamp>) -> Report {
    inspect_many(&[Input { source, bytes }], now)
}

/// Inspects several sources together, so keys can be matched to certificates across them.
pub fn inspect_many(inputs: &[Input<'_>], now: Option<Timestamp>) -> Report {
    inspect_with(inputs, now, Options::default())
}

/// What to build beyond the report fields, and the secrets to decrypt captures with.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Options<'a> {
    /// Keep each item's bytes and field tree (the hex view needs them; a CLI printing the
    /// report does not, and a large capture's tree costs more than its report).
    pub trees: bool,
    /// A key log (`SSLKEYLOGFILE`) to decrypt the TLS of captures with: see
    /// [`crate::decrypt`]. The report names the secrets found, never their values.
    pub key_log: Option<&'a crate::decrypt::KeyLog>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self {
            trees: true,
            key_log: None,
        }
    }
}

/// [`inspect_many`] with [`Options`].
pub fn inspect_with(inputs: &[Input<'_>], now: Option<Timestamp>, options: Options<'_>) -> Report {
    let mut report = Report::default();
    for input in inputs {
        inspect_source(input, now, options, &mut report);
    }
    link_keys(&mut report.items);
    #[cfg(feature = "std")]
    link_crls(&mut report.items);
    if !options.trees {
        for item in &mut report.items {
            item.bytes = Vec::new();
        }
    }
    report
}

fn inspect_source(
    input: &Input<'_>,
    now: Option<Timestamp>,
    options: Options<'_>,
    report: &mut Report,
) {
    let error = |message: String| SourceError {
        source: input.source.to_string(),
        message,
    };
    let blobs = match sniff::sniff(input.bytes) {
        Ok(blobs) => blobs,
        Err(e) => return report.errors.push(error(e.to_string())),
    };
    let single = blobs.len() == 1;
    let mut index = 0;
    for blob in blobs {
        let blob = match blob {
            Ok(blob) => blob,
            Err(e) => {
                report
                    .errors
                    .push(error(format!("object {}: {e}", index + 1)));
                index += 1;
                continue;
            }
        };
        if blob.object == Object::EcParameters {
            continue; // openssl ecparam -genkey writes these before the key; nothing to show.
        }
        let encoding = blob.encoding.clone();
        match decode(blob, now, options) {
            Ok(decoded) => {
                for (body, mut tree, findings, mut bytes) in decoded {
                    if !options.trees {
                        tree = Vec::new();
                        // Certificates and CRLs keep their DER until the CRLs are linked.
                        if !matches!(body, ItemBody::Certificate(_) | ItemBody::Crl(_)) {
                            bytes = Vec::new();
                        }
                    }
                    report.items.push(Item {
                        source: input.source.to_string(),
                        index,
                        body,
                        findings,
                        encoding: encoding.clone(),
                        bytes,
                        tree,
                    });
                    index += 1;
                }
            }
            Err(e) if single => {
                report.errors.push(error(e.to_string()));
                index += 1;
            }
            Err(e) => {
                report
                    .errors
                    .push(error(format!("object {} ({encoding}): {e}", index + 1)));
                index += 1;
            }
        }
    }
}

type Parts = (ItemBody, Vec<crate::span::Node>, Vec<Finding>, Vec<u8>);

/// Decodes one blob into items (a PKCS#7 bundle gives several).
fn decode(blob: Blob, now: Option<Timestamp>, options: Options<'_>) -> Result<Vec<Parts>, Error> {
    let opaque = |format: &str, reason: &str| {
        let finding = Finding::info(Code::NotDecoded, reason);
        (
            ItemBody::EncryptedPrivateKey(Opaque {
                format: format.to_string(),
            }),
            Vec::new(),
            alloc::vec![finding],
        )
    };
    match blob.object {
        Object::EncryptedPrivateKey => {
            let (body, tree, findings) = opaque(
                if blob.encoding.starts_with("PEM") && !blob.encoding.contains("ENCRYPTED") {
                    "PEM with Proc-Type: 4,ENCRYPTED"
                } else {
                    "PKCS#8 EncryptedPrivateKeyInfo"
                },
                "the key is encrypted with a passphrase and is not decrypted here; \
                 `openssl pkey -in FILE -out plain.key` decrypts it",
            );
            Ok(alloc::vec![(body, tree, findings, blob.bytes)])
        }
        Object::Pkcs12 => {
            let finding = Finding::info(
                Code::NotDecoded,
                "PKCS#12 files are password-protected and not decoded here; \
                 `openssl pkcs12 -in FILE -nodes` extracts the certificates",
            );
            let body = ItemBody::Pkcs12(Opaque {
                format: "PKCS#12".to_string(),
            });
            Ok(alloc::vec![(
                body,
                Vec::new(),
                alloc::vec![finding],
                blob.bytes
            )])
        }
        Object::TlsStream => {
            let d = crate::tls::decode(&blob.bytes, now);
            Ok(alloc::vec![(
                ItemBody::Tls(alloc::boxed::Box::new(d.tls)),
                d.tree,
                d.findings,
                blob.bytes
            )])
        }
        Object::Capture => {
            // The capture reader diagnoses each handshake (why it failed, from both directions).
            let mut d =
                crate::capture::decode_keyed(&blob.bytes, now, options.trees, options.key_log)?;
            // The plaintext goes with the capture for the hex view (only built with trees).
            d.capture.decrypted = core::mem::take(&mut d.decrypted);
            let body = ItemBody::Capture(alloc::boxed::Box::new(d.capture));
            Ok(alloc::vec![(body, d.tree, d.findings, blob.bytes)])
        }
        Object::Unknown | Object::EcParameters => Err(Error::UnknownFormat),
        object => decode_x509(object, blob.bytes, now),
    }
}

#[cfg(feature = "std")]
fn decode_x509(
    object: Object,
    bytes: Vec<u8>,
    now: Option<Timestamp>,
) -> Result<Vec<Parts>, Error> {
    use crate::x509::{self, KeyFormat};
    // The object is the first DER element; what follows (the aux data of an OpenSSL TRUSTED
    // CERTIFICATE) is not part of it.
    let first = crate::der::Reader::new(&bytes).read()?;
    let der = first.raw;
    let trailing = bytes.len() - der.len();
    let decoded = match object {
        Object::Certificate => x509::decode_certificate(der, now)?,
        Object::Crl => x509::decode_crl(der, now)?,
        Object::Csr => x509::decode_csr(der)?,
        Object::PublicKey => x509::decode_public_key(der, false)?,
        Object::RsaPublicKey => x509::decode_public_key(der, true)?,
        Object::Pkcs8 => x509::decode_private_key(der, KeyFormat::Pkcs8)?,
        Object::RsaPrivateKey => x509::decode_private_key(der, KeyFormat::Pkcs1)?,
        Object::EcPrivateKey => x509::decode_private_key(der, KeyFormat::Sec1)?,
        Object::Pkcs7 => {
            let mut out = Vec::new();
            for cert in x509::pkcs7_certificates(der)? {
                let d = x509::decode_certificate(cert, now)?;
                out.push((d.body, d.tree, d.findings, cert.to_vec()));
            }
            return Ok(out);
        }
        _ => return Err(Error::UnknownFormat),
    };
    let mut findings = decoded.findings;
    if trailing > 0 && object != Object::Certificate {
        findings.push(Finding::warning(
            Code::TrailingBytes,
            format!("{trailing} bytes follow the object and were ignored"),
        ));
    }
    let der = der.to_vec();
    Ok(alloc::vec![(decoded.body, decoded.tree, findings, der)])
}

#[cfg(not(feature = "std"))]
fn decode_x509(
    object: Object,
    _bytes: Vec<u8>,
    _now: Option<Timestamp>,
) -> Result<Vec<Parts>, Error> {
    Err(Error::NotDecoded {
        what: object.name(),
        reason: "X.509 decoding needs the std feature",
    })
}

/// Matches private keys to the certificates and CSRs of the same call.
fn link_keys(items: &mut [Item]) {
    let holders: Vec<(usize, String, String)> = items
        .iter()
        .enumerate()
        .filter_map(|(pos, item)| match &item.body {
            ItemBody::Certificate(c) => Some((
                pos,
                c.spki_sha256.clone(),
                format!("certificate {}", c.subject),
            )),
            ItemBody::Csr(c) => Some((pos, c.spki_sha256.clone(), format!("CSR {}", c.subject))),
            _ => None,
        })
        .collect();
    if holders.is_empty() {
        return;
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (key_pos, item) in items.iter().enumerate() {
        if let ItemBody::PrivateKey(key) = &item.body {
            let found = holders
                .iter()
                .filter(|(_, spki, _)| key.spki_sha256.as_ref() == Some(spki));
            pairs.extend(found.map(|(pos, _, _)| (key_pos, *pos)));
        }
    }
    let name = |item: &Item| format!("{} #{}", item.source, item.index);
    for (key_pos, holder_pos) in &pairs {
        let (holder, subject) = (
            name(&items[*holder_pos]),
            &holders.iter().find(|h| h.0 == *holder_pos),
        );
        let subject = subject.map(|h| h.2.clone()).unwrap_or_default();
        let key_name = name(&items[*key_pos]);
        let r = ItemRef {
            source: items[*holder_pos].source.clone(),
            index: items[*holder_pos].index,
        };
        let key = &mut items[*key_pos];
        if let ItemBody::PrivateKey(k) = &mut key.body {
            k.matches.push(r);
        }
        key.findings.push(Finding::info(
            Code::KeyMatches,
            format!("this key belongs to the {subject} ({holder})"),
        ));
        items[*holder_pos].findings.push(Finding::info(
            Code::KeyMatches,
            format!("the private key {key_name} belongs to it"),
        ));
    }
    for (pos, item) in items.iter_mut().enumerate() {
        let is_key = matches!(&item.body, ItemBody::PrivateKey(k) if k.spki_sha256.is_some());
        if is_key && !pairs.iter().any(|(k, _)| *k == pos) {
            item.findings.push(Finding::error(
                Code::KeyMismatch,
                format!(
                    "this key matches none of the {} certificates and CSRs given with it",
                    holders.len()
                ),
            ));
        }
    }
}

/// Checks each CRL's signature with the CA certificates of the same call named as its issuer,
/// and marks the certificates of the call that a CRL of their issuer lists as revoked.
#[cfg(feature = "std")]
fn link_crls(items: &mut [Item]) {
    use crate::x509::crl;
    use crate::x509::signature::Verification;
    use x509_parser::prelude::{FromDer, X509Certificate};
    let crls: Vec<usize> = (0..items.len())
        .filter(|p| matches!(items[*p].body, ItemBody::Crl(_)))
        .collect();
    if crls.is_empty() {
        return;
    }
    let name = |item: &Item| format!("{} #{}", item.source, item.index);
    for &pos in &crls {
        let Ok(issuer) = crl::issuer_der(&items[pos].bytes).map(<[u8]>::to_vec) else {
            continue;
        };
        // CA certificates named as the issuer: the first whose key verifies the signature.
        let mut outcome: Option<(usize, Verification)> = None;
        for (ca_pos, ca) in items.iter().enumerate() {
            if !matches!(&ca.body, ItemBody::Certificate(c) if c.is_ca) {
                continue;
            }
            let Ok((_, x)) = X509Certificate::from_der(&ca.bytes) else {
                continue;
            };
            if x.subject().as_raw() != issuer.as_slice() {
                continue;
            }
            let Ok(v) = crl::verify(&items[pos].bytes, x.public_key().raw) else {
                continue;
            };
            let better = matches!(
                (&outcome, v),
                (None, _)
                    | (Some((_, Verification::Invalid)), _)
                    | (Some((_, Verification::Unsupported(_))), Verification::Valid)
            );
            if better {
                outcome = Some((ca_pos, v));
            }
        }
        let Some((ca_pos, verification)) = outcome else {
            continue;
        };
        let ca_name = name(&items[ca_pos]);
        let r = ItemRef {
            source: items[ca_pos].source.clone(),
            index: items[ca_pos].index,
        };
        let (sig_span, _, _) = crl::spans(&items[pos].bytes);
        let item = &mut items[pos];
        let ItemBody::Crl(c) = &mut item.body else {
            continue;
        };
        match verification {
            Verification::Valid => {
                c.signature_valid = Some(true);
                c.signed_by = Some(r);
            }
            Verification::Invalid => {
                c.signature_valid = Some(false);
                item.findings.push(
                    Finding::error(
                        Code::CrlNotSignedByIssuer,
                        format!(
                            "the CRL names {} as its issuer, but its signature does not verify with the key of {ca_name}: it was altered, or another CA of that name signed it",
                            c.issuer
                        ),
                    )
                    .at(sig_span),
                );
            }
            Verification::Unsupported(reason) => item.findings.push(Finding::info(
                Code::SignatureNotChecked,
                format!(
                    "the CRL's {} signature was not checked: {reason}",
                    c.signature_algorithm
                ),
            )),
        }
    }
    // Certificates of the call that a CRL of their issuer lists (a CRL whose signature failed
    // with its issuer's key says nothing).
    let crls: Vec<usize> = crls
        .into_iter()
        .filter(
            |p| !matches!(&items[*p].body, ItemBody::Crl(c) if c.signature_valid == Some(false)),
        )
        .collect();
    let crl_ders: Vec<Vec<u8>> = crls.iter().map(|p| items[*p].bytes.clone()).collect();
    let crl_names: Vec<String> = crls.iter().map(|p| name(&items[*p])).collect();
    let refs: Vec<&[u8]> = crl_ders.iter().map(Vec::as_slice).collect();
    for item in items.iter_mut() {
        if !matches!(item.body, ItemBody::Certificate(_)) {
            continue;
        }
        if let Ok(Some(r)) = crl::revocation(&item.bytes, &refs) {
            let from = crl_names.get(r.crl_index).cloned().unwrap_or_default();
            item.findings
                .push(Finding::error(Code::Revoked, format!("the {r}, in {from}")));
        }
    }
}

/// A certificate's issuer among the items of one report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerLink {
    /// The CA certificate at `issuer` issued the certificate at `cert` (positions in
    /// `report.items`): its subject is the certificate's issuer and its key verifies the
    /// certificate's signature, as the diagnosis's path builder checks it (RFC 5280 6.1.3).
    IssuedBy {
        /// The issued certificate.
        cert: usize,
        /// The CA certificate.
        issuer: usize,
    },
    /// The certificate at `cert` is not self-issued and no CA certificate of the report is
    /// named as its issuer.
    Missing {
        /// The certificate.
        cert: usize,
    },
    /// The CA certificate at `ca` has the name of the issuer of the certificate at `cert`, but
    /// its key does not verify the certificate's signature (same name, different key), and no
    /// other CA certificate of the report does: the chain builder will not use it.
    SameNameOtherKey {
        /// The certificate.
        cert: usize,
        /// The CA certificate of the same name.
        ca: usize,
    },
}

/// Links each certificate of a report to the CA certificates of the same report that issued
/// it, next to the key matching [`inspect_many`] does: only links the chain builder verifies.
#[cfg(feature = "std")]
pub fn link_issuers(items: &[Item]) -> Vec<IssuerLink> {
    use crate::diagnose::Cert;
    let certs: Vec<(usize, &Certificate, Cert<'_>)> = items
        .iter()
        .enumerate()
        .filter_map(|(pos, item)| match &item.body {
            ItemBody::Certificate(c) => {
                let parsed = Cert::parse(&item.bytes, format!("{} #{}", item.source, item.index));
                parsed.ok().map(|p| (pos, c, p))
            }
            _ => None,
        })
        .collect();
    let (positions, parsed): (Vec<(usize, &Certificate)>, Vec<Cert<'_>>) =
        certs.into_iter().map(|(pos, c, p)| ((pos, c), p)).unzip();
    let mut out = Vec::new();
    for (child, (pos, cert)) in positions.iter().enumerate() {
        if cert.subject == cert.issuer {
            continue;
        }
        let named = positions
            .iter()
            .any(|(other, ca)| other != pos && ca.is_ca && ca.subject == cert.issuer);
        if !named {
            out.push(IssuerLink::Missing { cert: *pos });
            continue;
        }
        let before = out.len();
        for issuer in crate::diagnose::issuers(&parsed, child) {
            if let Some((issuer_pos, ca)) = positions.get(issuer) {
                if ca.is_ca && issuer_pos != pos {
                    out.push(IssuerLink::IssuedBy {
                        cert: *pos,
                        issuer: *issuer_pos,
                    });
                }
            }
        }
        if out.len() == before {
            out.extend(
                positions
                    .iter()
                    .filter(|(other, ca)| other != pos && ca.is_ca && ca.subject == cert.issuer)
                    .map(|(other, _)| IssuerLink::SameNameOtherKey {
                        cert: *pos,
                        ca: *other,
                    }),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_sources_are_errors_and_others_still_reported() {
        let report = inspect_many(
            &[
                Input {
                    source: "a.txt",
                    bytes: b"garbage",
                },
                Input {
                    source: "b.pem",
                    bytes: b"",
                },
            ],
            None,
        );
        assert!(report.items.is_empty());
        assert_eq!(report.errors.len(), 2);
        assert_eq!(report.errors[0].source, "a.txt");
        assert_eq!(report.errors[1].message, "the input is empty");
    }
}
