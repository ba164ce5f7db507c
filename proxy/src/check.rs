//! `mtlskit check --config FILE`: what `nginx -t` does for the block it replaces, and more.
//!
//! Reads the config and every file it names, then checks what would make `serve` fail or
//! clients be refused: files readable, each key matches its certificate, CA bundles hold CAs,
//! the server certificate is for serverAuth and covers the server names, the upstream client
//! certificate is for clientAuth, certificates are in their validity period, cipher names are
//! offered by rustls. One line per problem on stderr; exit 1 when there is an error.

use std::path::Path;

use rustls::crypto::aws_lc_rs;
use x509_parser::prelude::{FromDer, X509Certificate};

use mtlskit_pki::load;

use crate::certinfo::{self, human};
use crate::config::{Config, VerifyClient};

/// The problems found, errors and warnings apart.
#[derive(Debug, Default)]
pub struct Findings {
    /// What would make `serve` fail or clients be refused, one sentence each naming the file.
    pub errors: Vec<String>,
    /// What works but is likely a mistake (a certificate expiring soon, a cipher left out).
    pub warnings: Vec<String>,
}

impl Findings {
    fn error(&mut self, path: &Path, msg: impl std::fmt::Display) {
        self.errors.push(format!("{}: {msg}", path.display()));
    }
    fn warn(&mut self, path: &Path, msg: impl std::fmt::Display) {
        self.warnings.push(format!("{}: {msg}", path.display()));
    }
}

/// Checks a loaded config and the files it names.
pub fn check(config: &Config) -> Findings {
    let mut f = Findings::default();
    let s = &config.server;
    let unsupported = config.cipher_codes().unsupported;
    if !unsupported.is_empty() {
        f.warn(
            Path::new(&config.path),
            format!(
                "server.ciphers: not offered by rustls, left out: {}",
                unsupported.join(", ")
            ),
        );
    }
    let cert = config.resolve(&s.certificate);
    if let Some(leaf) = pair(&mut f, &cert, &config.resolve(&s.key)) {
        purpose(&mut f, &cert, &leaf, "serverAuth", "server");
        for name in &s.server_names {
            if !mtlskit_inspect::diagnose::hostname::certificate_covers(&leaf, name) {
                f.error(&cert, format!("does not cover the server name {name:?}"));
            }
        }
    }
    if let (Some(ca), true) = (&s.client_ca, s.verify_client != VerifyClient::Off) {
        ca_bundle(&mut f, &config.resolve(ca));
    }
    for l in &config.locations {
        if let (Some(c), Some(k)) = (&l.client_certificate, &l.client_key) {
            let c = config.resolve(c);
            if let Some(leaf) = pair(&mut f, &c, &config.resolve(k)) {
                purpose(&mut f, &c, &leaf, "clientAuth", "client");
            }
        }
        match (&l.trusted_ca, l.verify, l.upstream.starts_with("https:")) {
            (Some(ca), true, _) => ca_bundle(&mut f, &config.resolve(ca)),
            (None, true, true) => f.error(
                Path::new(&config.path),
                format!(
                    "location {}: no trusted_ca, so the upstream {} can never be verified",
                    l.path, l.upstream
                ),
            ),
            (_, false, true) => f.warn(
                Path::new(&config.path),
                format!(
                    "location {}: verify = false: the upstream's certificate is not checked",
                    l.path
                ),
            ),
            _ => {}
        }
    }
    f
}

/// Reads a certificate chain and its key, checks they match and the leaf's validity; returns
/// the leaf's DER.
fn pair(f: &mut Findings, cert: &Path, key: &Path) -> Option<Vec<u8>> {
    let chain = match load::certificates(cert) {
        Ok(c) => c,
        Err(e) => {
            f.errors.push(e.to_string());
            return None;
        }
    };
    let leaf = chain.first()?.as_ref().to_vec();
    validity(f, cert, &leaf);
    match load::private_key(key) {
        Err(e) => f.errors.push(e.to_string()),
        Ok(k) => match aws_lc_rs::default_provider()
            .key_provider
            .load_private_key(k)
        {
            Err(e) => f.error(key, format!("is not a usable private key ({e})")),
            Ok(signing) => {
                let spki = X509Certificate::from_der(&leaf)
                    .ok()
                    .map(|(_, c)| c.tbs_certificate.subject_pki.raw.to_vec());
                let ours = signing.public_key().map(|p| p.as_ref().to_vec());
                if spki.is_some() && ours.is_some() && spki != ours {
                    f.error(
                        key,
                        format!("does not match the certificate in {}", cert.display()),
                    );
                }
            }
        },
    }
    Some(leaf)
}

fn validity(f: &mut Findings, path: &Path, der: &[u8]) {
    let Some(info) = certinfo::read(der) else {
        f.error(path, "holds a certificate that cannot be decoded");
        return;
    };
    let now = mtlskit_inspect::Timestamp::now().0;
    if info.not_after < now {
        f.error(
            path,
            format!(
                "{} expired {} ago",
                info.subject,
                human(now - info.not_after)
            ),
        );
    } else if info.not_before > now {
        f.error(
            path,
            format!(
                "{} is not valid yet (starts in {})",
                info.subject,
                human(info.not_before - now)
            ),
        );
    } else if info.not_after - now < 14 * 86_400 {
        f.warn(
            path,
            format!(
                "{} expires in {}",
                info.subject,
                human(info.not_after - now)
            ),
        );
    }
}

fn purpose(f: &mut Findings, path: &Path, der: &[u8], eku: &str, role: &str) {
    if let Some(info) = certinfo::read(der) {
        let ok = info.extended_key_usage.is_empty()
            || info
                .extended_key_usage
                .iter()
                .any(|e| e == eku || e == certinfo::ANY_EKU);
        if !ok {
            f.error(
                path,
                format!(
                    "{} is not a {role} certificate: its extended key usage is {} and lacks {eku}",
                    info.subject,
                    info.extended_key_usage.join(", ")
                ),
            );
        }
        if info.is_ca {
            f.warn(
                path,
                format!(
                    "{} is a CA certificate used as a {role} certificate",
                    info.subject
                ),
            );
        }
    }
}

fn ca_bundle(f: &mut Findings, path: &Path) {
    let certs = match load::certificates(path) {
        Ok(c) => c,
        Err(e) => {
            f.errors.push(e.to_string());
            return;
        }
    };
    for c in &certs {
        match certinfo::read(c.as_ref()) {
            Some(info) if !info.is_ca => f.error(
                path,
                format!(
                    "{} is not a CA (basicConstraints CA:FALSE or absent)",
                    info.subject
                ),
            ),
            Some(_) => validity(f, path, c.as_ref()),
            None => f.error(path, "holds a certificate that cannot be decoded"),
        }
    }
}
