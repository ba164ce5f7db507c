//! Revoking certificates a CA folder issued, and writing that folder's CRLs (RFC 5280 §5).
//!
//! A CA folder (`pki init`) holds `ca.pem`/`ca.key` and, with an intermediate,
//! `intermediate.pem`/`intermediate.key`. [`revoke`] records a certificate's serial in
//! `revoked.txt` under the CA that issued it (one line each: CA file stem, serial in hex, Unix
//! time, reason; readable with `cat`), [`crl`] writes one CRL per CA of the folder, all in one
//! PEM file, numbered from `crlnumber` (hex, as `openssl ca` keeps it), with the authority key
//! identifier of the CA's own subject key identifier, so nginx, OpenSSL and rustls all find
//! the issuer. The output file is replaced atomically (written beside it, then renamed): a
//! proxy that polls it never reads half a CRL.

use std::path::{Path, PathBuf};

use rcgen::{
    CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams, SerialNumber,
};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use crate::error::Error;
use crate::issue::Ca;

/// The file of revocations in a CA folder.
pub const REVOKED_FILE: &str = "revoked.txt";
/// The file holding the next CRL number (hex), as `openssl ca` keeps it.
pub const CRL_NUMBER_FILE: &str = "crlnumber";

/// Why a certificate was revoked: RFC 5280 §5.3.1's `CRLReason`, the inspect crate's table
/// (spelled as there, `keyCompromise`, and as OpenSSL's `-crl_reason` accepts it). [`revoke`]
/// takes every reason but `removeFromCRL`, which belongs to delta CRLs only.
pub use mtlskit_inspect::RevocationReason as Reason;

/// The reason named `text` (RFC 5280's names, any case, with or without `-`/`_`:
/// `key-compromise` works too), when [`revoke`] can record it.
pub fn parse_reason(text: &str) -> Result<Reason, Error> {
    Reason::from_name(text)
        .filter(|r| rcgen_reason(*r).is_some())
        .ok_or_else(|| Error::BadInput {
            what: "revocation reason",
            reason: format!(
                "\"{text}\" is not one of {}",
                Reason::ALL
                    .iter()
                    .filter(|r| rcgen_reason(**r).is_some())
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// rcgen's value of a reason a full CRL may hold; `None` for removeFromCRL and unknown codes.
fn rcgen_reason(reason: Reason) -> Option<RevocationReason> {
    Some(match reason {
        Reason::Unspecified => RevocationReason::Unspecified,
        Reason::KeyCompromise => RevocationReason::KeyCompromise,
        Reason::CaCompromise => RevocationReason::CaCompromise,
        Reason::AffiliationChanged => RevocationReason::AffiliationChanged,
        Reason::Superseded => RevocationReason::Superseded,
        Reason::CessationOfOperation => RevocationReason::CessationOfOperation,
        Reason::CertificateHold => RevocationReason::CertificateHold,
        Reason::PrivilegeWithdrawn => RevocationReason::PrivilegeWithdrawn,
        Reason::AaCompromise => RevocationReason::AaCompromise,
        _ => return None,
    })
}

/// One line of `revoked.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The issuing CA's file stem in the folder: `ca` or `intermediate`.
    pub issuer: String,
    /// The certificate's serial number, big-endian bytes as in the certificate.
    pub serial: Vec<u8>,
    /// When it was revoked, Unix seconds.
    pub at: i64,
    /// Why.
    pub reason: Reason,
}

/// What [`revoke`] did.
#[derive(Clone, Debug)]
pub struct Revocation {
    /// The entry (the earlier one when the certificate was revoked already).
    pub entry: Revoked,
    /// The certificate's subject, RFC 4514.
    pub subject: String,
    /// True when the certificate was revoked already; nothing was written.
    pub already: bool,
}

/// The serial as `0a:1b:...`, as OpenSSL and the proxy's logs print it.
pub fn serial_hex(serial: &[u8]) -> String {
    serial
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A CA of the folder: its file stem, certificate PEM and DER.
struct FolderCa {
    stem: &'static str,
    pem: String,
    der: Vec<u8>,
}

fn folder_cas(dir: &Path) -> Result<Vec<FolderCa>, Error> {
    let mut out = Vec::new();
    for stem in ["ca", "intermediate"] {
        let path = dir.join(format!("{stem}.pem"));
        let pem_text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && stem != "ca" => continue,
            Err(e) => return Err(io(&path)(e)),
        };
        let der = first_certificate(&pem_text).ok_or_else(|| Error::BadInput {
            what: "CA certificate",
            reason: format!("{} holds no CERTIFICATE block", path.display()),
        })?;
        out.push(FolderCa {
            stem,
            pem: pem_text,
            der,
        });
    }
    Ok(out)
}

fn first_certificate(text: &str) -> Option<Vec<u8>> {
    pem::parse_many(text)
        .ok()?
        .into_iter()
        .find(|p| p.tag() == "CERTIFICATE")
        .map(|p| p.into_contents())
}

fn parse<'a>(der: &'a [u8], what: &'static str) -> Result<X509Certificate<'a>, Error> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| Error::BadInput {
            what,
            reason: e.to_string(),
        })
}

fn subject_key_id(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
}

fn authority_key_id(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
}

/// Reads `revoked.txt` (empty when there is none).
pub fn revoked(dir: &Path) -> Result<Vec<Revoked>, Error> {
    let path = dir.join(REVOKED_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&path)(e)),
    };
    let bad = |n: usize, why: &str| Error::BadInput {
        what: "revocation list",
        reason: format!("{} line {n}: {why}", path.display()),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [issuer, serial, at, reason] = fields[..] else {
            return Err(bad(i + 1, "expected: CA serial time reason"));
        };
        let serial = serial
            .split(':')
            .map(|b| u8::from_str_radix(b, 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| bad(i + 1, "the serial is not hex bytes"))?;
        out.push(Revoked {
            issuer: issuer.to_string(),
            serial,
            at: at
                .parse()
                .map_err(|_| bad(i + 1, "the time is not a number"))?,
            reason: parse_reason(reason)?,
        });
    }
    Ok(out)
}

/// Records `cert_pem`'s certificate as revoked at `now` (Unix seconds) in `dir`, under the CA
/// of the folder that issued it (matched by issuer name and key identifier). Revoking a
/// certificate twice keeps the first entry.
pub fn revoke(dir: &Path, cert_pem: &str, reason: Reason, now: i64) -> Result<Revocation, Error> {
    if rcgen_reason(reason).is_none() {
        return Err(Error::BadInput {
            what: "revocation reason",
            reason: format!("{reason} cannot be recorded in a full CRL"),
        });
    }
    let der = first_certificate(cert_pem).ok_or_else(|| Error::BadInput {
        what: "certificate",
        reason: "holds no CERTIFICATE block".into(),
    })?;
    let cert = parse(&der, "certificate")?;
    if cert.subject().as_raw() == cert.issuer().as_raw() {
        return Err(Error::BadInput {
            what: "certificate",
            reason: format!(
                "{} is self-signed: no CRL can revoke it; remove it from the CA bundles that trust it",
                cert.subject()
            ),
        });
    }
    let aki = authority_key_id(&cert);
    let cas = folder_cas(dir)?;
    let mut issuer = None;
    for ca in &cas {
        let c = parse(&ca.der, "CA certificate")?;
        let key_matches = match (&aki, subject_key_id(&c)) {
            (Some(a), Some(s)) => *a == s,
            _ => true,
        };
        if c.subject().as_raw() == cert.issuer().as_raw() && key_matches {
            issuer = Some(ca.stem);
        }
    }
    let Some(issuer) = issuer else {
        return Err(Error::BadInput {
            what: "certificate",
            reason: format!(
                "it was issued by {}, not by a CA in {}",
                cert.issuer(),
                dir.display()
            ),
        });
    };
    let serial = cert.raw_serial().to_vec();
    let subject = cert.subject().to_string();
    let existing = revoked(dir)?;
    if let Some(e) = existing
        .iter()
        .find(|e| e.issuer == issuer && e.serial == serial)
    {
        return Ok(Revocation {
            entry: e.clone(),
            subject,
            already: true,
        });
    }
    let entry = Revoked {
        issuer: issuer.to_string(),
        serial,
        at: now,
        reason,
    };
    let path = dir.join(REVOKED_FILE);
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Revoked certificates: issuing CA (file stem), serial, Unix time, reason (RFC 5280).\n# Written by `mtlskit pki revoke`; `mtlskit pki crl` makes the CRLs from it.\n".to_string()
        }
        Err(e) => return Err(io(&path)(e)),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "{} {} {} {}\n",
        entry.issuer,
        serial_hex(&entry.serial),
        entry.at,
        entry.reason
    ));
    replace(&path, &text)?;
    Ok(Revocation {
        entry,
        subject,
        already: false,
    })
}

/// One CRL [`crl`] wrote.
#[derive(Clone, Debug)]
pub struct CrlWritten {
    /// The CA's subject, RFC 4514.
    pub issuer: String,
    /// Revoked certificates listed.
    pub entries: usize,
}

/// What [`crl`] wrote.
#[derive(Clone, Debug)]
pub struct Crls {
    /// The file.
    pub path: PathBuf,
    /// The CRL number every CRL of this run carries.
    pub number: u64,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: i64,
    /// One per CA of the folder, the root's first.
    pub crls: Vec<CrlWritten>,
}

/// Writes to `out` the CRLs of every CA in `dir` (PEM, one after another), valid from `now`
/// for `days` days, with the next number of `crlnumber` (which is then increased).
pub fn crl(dir: &Path, days: u32, now: i64, out: &Path) -> Result<Crls, Error> {
    if days == 0 {
        return Err(Error::BadValidity(days));
    }
    let this = OffsetDateTime::from_unix_timestamp(now).map_err(|_| Error::BadValidity(days))?;
    let next = this
        .checked_add(time::Duration::days(i64::from(days)))
        .ok_or(Error::BadValidity(days))?;
    let number_path = dir.join(CRL_NUMBER_FILE);
    let number = match std::fs::read_to_string(&number_path) {
        Ok(t) => u64::from_str_radix(t.trim(), 16).map_err(|_| Error::BadInput {
            what: "CRL number",
            reason: format!("{} does not hold a hex number", number_path.display()),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 1,
        Err(e) => return Err(io(&number_path)(e)),
    };
    let revoked = revoked(dir)?;
    let mut pem_out = String::new();
    let mut written = Vec::new();
    for ca in folder_cas(dir)? {
        let key_path = dir.join(format!("{}.key", ca.stem));
        let key = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
        let cert = parse(&ca.der, "CA certificate")?;
        let signer = Ca::from_pem(&ca.pem, &key)?;
        let revoked_certs: Vec<RevokedCertParams> = revoked
            .iter()
            .filter(|r| r.issuer == ca.stem)
            .map(|r| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&r.serial),
                    revocation_time: OffsetDateTime::from_unix_timestamp(r.at)
                        .map_err(|_| Error::BadValidity(days))?,
                    reason_code: rcgen_reason(r.reason),
                    invalidity_date: None,
                })
            })
            .collect::<Result<_, Error>>()?;
        let params = CertificateRevocationListParams {
            this_update: this,
            next_update: next,
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            // RFC 5280 5.2.1: the AKI is the CA's own subject key identifier, so verifiers
            // that match a CRL to its issuer by key (OpenSSL, webpki) find it.
            key_identifier_method: match subject_key_id(&cert) {
                Some(ski) => KeyIdMethod::PreSpecified(ski),
                None => KeyIdMethod::Sha256,
            },
        };
        let list = params.signed_by(signer.issuer())?;
        pem_out.push_str(&list.pem()?);
        written.push(CrlWritten {
            issuer: cert.subject().to_string(),
            entries: revoked.iter().filter(|r| r.issuer == ca.stem).count(),
        });
    }
    replace(out, &pem_out)?;
    replace(&number_path, &format!("{:02X}\n", number + 1))?;
    Ok(Crls {
        path: out.to_path_buf(),
        number,
        this_update: now,
        next_update: next.unix_timestamp(),
        crls: written,
    })
}

/// Replaces `path` with `text` atomically: written to a file beside it, then renamed.
fn replace(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_openssl_and_rfc_spell_them() {
        for r in Reason::ALL {
            let parsed = parse_reason(r.as_str()).ok();
            if r == Reason::RemoveFromCrl {
                assert_eq!(parsed, None, "removeFromCRL is for delta CRLs");
            } else {
                assert_eq!(parsed, Some(r));
            }
        }
        assert_eq!(
            parse_reason("key-compromise").ok(),
            Some(Reason::KeyCompromise)
        );
        assert_eq!(
            parse_reason("CACompromise").ok(),
            Some(Reason::CaCompromise)
        );
        assert!(parse_reason("stolen").is_err());
        assert!(parse_reason("").is_err());
    }
}
