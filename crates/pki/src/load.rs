//! Reading the PEM files of an mTLS setup for rustls: certificate chains, private keys, CA
//! bundles.
//!
//! The proxy (`serve` and `check`), the probe and the demo read them the same way, so a file
//! `check` accepts is one `serve` can use, and all say which file is wrong in one sentence.
//! Key bytes never reach an error.

use std::path::Path;

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct FileError {
    /// The file, as the caller named it.
    pub path: String,
    /// What is wrong with it, as a phrase ("no such file").
    pub problem: String,
}

impl FileError {
    fn new(path: &Path, problem: impl Into<String>) -> Self {
        FileError {
            path: path.display().to_string(),
            problem: problem.into(),
        }
    }
}

fn describe(e: &pem::Error) -> String {
    match e {
        pem::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::NotFound => "no such file".into(),
            std::io::ErrorKind::PermissionDenied => "permission denied".into(),
            _ => format!("cannot be read ({io})"),
        },
        pem::Error::NoItemsFound => "holds no PEM block of the expected kind".into(),
        other => format!("is not valid PEM ({other})"),
    }
}

/// Every certificate in a PEM file, in order; at least one.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, FileError> {
    let iter =
        CertificateDer::pem_file_iter(path).map_err(|e| FileError::new(path, describe(&e)))?;
    let mut out = Vec::new();
    for item in iter {
        out.push(item.map_err(|e| FileError::new(path, describe(&e)))?);
    }
    if out.is_empty() {
        return Err(FileError::new(path, "holds no CERTIFICATE block"));
    }
    Ok(out)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, FileError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| match e {
        pem::Error::NoItemsFound => FileError::new(
            path,
            "holds no unencrypted PRIVATE KEY block (encrypted keys are not supported)",
        ),
        other => FileError::new(path, describe(&other)),
    })
}

/// A root store made of every certificate in a CA bundle.
pub fn root_store(path: &Path) -> Result<rustls::RootCertStore, FileError> {
    let certs = certificates(path)?;
    let mut store = rustls::RootCertStore::empty();
    for (i, c) in certs.into_iter().enumerate() {
        store.add(c).map_err(|e| {
            FileError::new(
                path,
                format!("certificate {} cannot be a trust anchor ({e})", i + 1),
            )
        })?;
    }
    Ok(store)
}

/// One CRL and the file it came from.
#[derive(Clone, Debug)]
pub struct LoadedCrl {
    /// The file.
    pub path: std::path::PathBuf,
    /// The CRL, DER.
    pub der: rustls_pki_types::CertificateRevocationListDer<'static>,
}

/// Every CRL in `paths`: each a file (PEM with `X509 CRL` blocks, or one DER CRL) or a folder
/// whose files (hidden ones and `*.tmp` left out, in name order) are such files.
pub fn crls(paths: &[std::path::PathBuf]) -> Result<Vec<LoadedCrl>, FileError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| FileError::new(path, io_problem(&e)))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            let entries =
                std::fs::read_dir(path).map_err(|e| FileError::new(path, io_problem(&e)))?;
            for entry in entries {
                let entry = entry.map_err(|e| FileError::new(path, io_problem(&e)))?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || name.ends_with(".tmp") {
                    continue;
                }
                if entry.file_type().is_ok_and(|t| !t.is_dir()) {
                    files.push(entry.path());
                }
            }
            files.sort();
            for f in files {
                crl_file(&f, &mut out)?;
            }
        } else {
            crl_file(path, &mut out)?;
        }
    }
    Ok(out)
}

fn io_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot be read ({e})"),
    }
}

fn crl_file(path: &Path, out: &mut Vec<LoadedCrl>) -> Result<(), FileError> {
    use rustls_pki_types::CertificateRevocationListDer;
    let bytes = std::fs::read(path).map_err(|e| FileError::new(path, io_problem(&e)))?;
    // DER: a SEQUENCE. Anything else is read as PEM.
    if bytes.first() == Some(&0x30) {
        out.push(LoadedCrl {
            path: path.to_path_buf(),
            der: CertificateRevocationListDer::from(bytes),
        });
        return Ok(());
    }
    let before = out.len();
    for item in CertificateRevocationListDer::pem_slice_iter(&bytes) {
        let der = item.map_err(|e| FileError::new(path, describe(&e)))?;
        out.push(LoadedCrl {
            path: path.to_path_buf(),
            der,
        });
    }
    if out.len() == before {
        return Err(FileError::new(
            path,
            "holds no X509 CRL block (nor a DER CRL)",
        ));
    }
    Ok(())
}
