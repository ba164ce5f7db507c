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

/// Checks a loaded config and the files it names, every site (server block) of it.
pub fn check(config: &Config) -> Findings {
    let mut all = Findings::default();
    for site in config.sites() {
        let f = check_site(&site);
        for e in f.errors {
            if !all.errors.contains(&e) {
                all.errors.push(e);
            }
        }
        for w in f.warnings {
            if !all.warnings.contains(&w) {
                all.warnings.push(w);
            }
        }
    }
    all
}

/// Checks one site: its config has only that site's server block and locations.
fn check_site(config: &Config) -> Findings {
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
    ticket_keys(&mut f, config);
    inspector(&mut f, config);
    if s.verify_client != VerifyClient::Off {
        let bundles: Vec<_> = s
            .client_ca
            .iter()
            .chain(config.trust_domains.iter().map(|t| &t.bundle))
            .map(|p| config.resolve(p))
            .collect();
        for b in &bundles {
            ca_bundle(&mut f, b);
        }
        if !s.crl.is_empty() {
            crls(&mut f, config, &bundles);
        }
        spiffe_rules(&mut f, config);
    }
    for l in &config.locations {
        if let (Some(c), Some(k)) = (&l.client_certificate, &l.client_key) {
            let c = config.resolve(c);
            if let Some(leaf) = pair(&mut f, &c, &config.resolve(k)) {
                purpose(&mut f, &c, &leaf, "clientAuth", "client");
            }
        }
        if l.upstream.starts_with("http:") && !loopback(&l.upstream) {
            f.warn(
                Path::new(&config.path),
                format!(
                    "location {}: upstream {} is plain http://: the client's identity headers (X-SSL-Client-*) and its requests cross the network in clear; use https:// unless that network is trusted",
                    l.path, l.upstream
                ),
            );
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
    key_mode(f, key);
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

/// Whether an upstream URL's host is this machine (127.0.0.0/8, ::1, localhost).
fn loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let host = uri.host().unwrap_or("").trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The shared ticket keys: readable, of nginx's sizes, secret, with distinct names.
fn ticket_keys(f: &mut Findings, config: &Config) {
    let s = &config.server;
    if s.ticket_key_file.is_empty() {
        return;
    }
    if !s.session_tickets {
        f.warn(
            Path::new(&config.path),
            "server.ticket_key_file is not used: session_tickets = false",
        );
    }
    let paths: Vec<_> = s
        .ticket_key_file
        .iter()
        .map(|p| config.resolve(p))
        .collect();
    for p in &paths {
        key_mode(f, p);
    }
    match crate::serve::ticket_keys::FileTicketer::load(&paths, 0) {
        Ok(keys) => {
            for p in keys.repeated_names(&paths) {
                f.warn(
                    &p,
                    "has the key name of an earlier ticket key file, so its tickets cannot be decrypted; make each key with openssl rand 80",
                );
            }
        }
        Err(e) => f.errors.push(e.to_string()),
    }
}

/// `[admin] inspector`: a page to serve.
fn inspector(f: &mut Findings, config: &Config) {
    let a = &config.admin;
    if !a.inspector {
        return;
    }
    match &a.inspector_dir {
        Some(dir) => {
            let dir = config.resolve(dir);
            if !dir.join("index.html").is_file() {
                f.error(
                    &dir,
                    "holds no index.html: admin.inspector_dir must be a built page (cargo xtask web build --release makes dist/)",
                );
            }
        }
        None if crate::page::Source::embedded().is_none() => f.warn(
            Path::new(&config.path),
            "admin.inspector: this mtlskit has no page built in (cargo xtask dist makes one that has), so /inspect/ answers 404; or set admin.inspector_dir",
        ),
        None => {}
    }
}

/// A private key file others can read is a warning (as sshd refuses such keys).
fn key_mode(f: &mut Findings, key: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(key) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o044 != 0 {
                f.warn(
                    key,
                    format!("is readable by group or others (mode {mode:o}); chmod 600 it"),
                );
            }
        }
    }
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

/// The CRLs: readable, decodable, from a CA of the bundle (else they only apply to
/// intermediates that clients send), signed by it, and current.
fn crls(f: &mut Findings, config: &Config, bundles: &[std::path::PathBuf]) {
    let s = &config.server;
    let paths: Vec<_> = s.crl.iter().map(|p| config.resolve(p)).collect();
    let loaded = match load::crls(&paths) {
        Ok(l) => l,
        Err(e) => {
            f.errors.push(e.to_string());
            return;
        }
    };
    let anchors: Vec<_> = bundles
        .iter()
        .flat_map(|b| load::certificates(b).unwrap_or_default())
        .collect();
    let now = mtlskit_inspect::Timestamp::now().0;
    for c in &loaded {
        let path = c.path.as_path();
        let Some(info) = certinfo::read_crl(c.der.as_ref()) else {
            f.error(path, "holds a CRL that cannot be decoded");
            continue;
        };
        if !info.v2 {
            f.error(
                path,
                format!(
                    "the CRL of {} is version 1, which rustls cannot use: make version 2 CRLs (openssl ca: set crlnumber; or mtlskit pki crl)",
                    info.issuer
                ),
            );
        }
        let issuer = anchors.iter().find(|a| {
            X509Certificate::from_der(a.as_ref())
                .is_ok_and(|(_, x)| x.subject().as_raw() == info.issuer_der.as_slice())
        });
        match issuer {
            None => f.warn(
                path,
                format!(
                    "the CRL of {} is from no CA of the client CA bundle: it applies only to intermediate CAs clients send",
                    info.issuer
                ),
            ),
            Some(a) if certinfo::crl_signed_by(c.der.as_ref(), a.as_ref()) == Some(false) => f.error(
                path,
                format!(
                    "the CRL of {} is not signed by the key of that CA in the client CA bundle: every client it covers would be refused",
                    info.issuer
                ),
            ),
            Some(_) => {}
        }
        if info.this_update > now {
            f.warn(
                path,
                format!(
                    "the CRL of {} starts in {} (thisUpdate in the future)",
                    info.issuer,
                    human(info.this_update - now)
                ),
            );
        }
        match info.next_update {
            Some(n) if n <= now => f.warn(
                path,
                format!(
                    "the CRL of {} expired {} ago: {}",
                    info.issuer,
                    human(now - n),
                    match s.crl_expired {
                        crate::config::CrlPolicy::Deny => "the clients it covers are refused (crl_expired = \"deny\"); publish a new one",
                        crate::config::CrlPolicy::Allow => "its revocations still apply (crl_expired = \"allow\"); publish a new one",
                    }
                ),
            ),
            Some(n) if n - now < 86_400 => f.warn(
                path,
                format!(
                    "the CRL of {} expires in {}: publish a new one before then",
                    info.issuer,
                    human(n - now)
                ),
            ),
            _ => {}
        }
    }
}

/// `spiffe:` rules naming a trust domain that `[[trust_domain]]` does not list can never match
/// (when trust domains are listed, an SVID of another domain is refused at the handshake).
fn spiffe_rules(f: &mut Findings, config: &Config) {
    if config.trust_domains.is_empty() {
        return;
    }
    for l in &config.locations {
        for rule in l.allow.iter().chain(&l.deny) {
            let Some(id) = rule.strip_prefix("spiffe:") else {
                continue;
            };
            let domain = id
                .strip_prefix("spiffe://")
                .unwrap_or("")
                .split('/')
                .next()
                .unwrap_or("");
            if domain.contains('*') {
                continue;
            }
            if !config.trust_domains.iter().any(|t| t.name == domain) {
                f.warn(
                    Path::new(&config.path),
                    format!(
                        "location {}: rule {rule:?} can never match: trust domain {domain:?} is not in [[trust_domain]]",
                        l.path
                    ),
                );
            }
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
