//! Errors of certificate generation, each saying what to fix.

use std::fmt;
use std::path::PathBuf;

/// Why a key, CSR or certificate could not be made or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A `--san` entry is not `DNS:`, `IP:`, `URI:` or `email:` followed by a value.
    BadSan(String),
    /// A key algorithm name that is not one of [`crate::KeyAlgorithm`]'s.
    BadAlgorithm(String),
    /// A validity of zero days, or one that overflows the calendar.
    BadValidity(u32),
    /// The file exists and `force` was not given.
    Exists(PathBuf),
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A CA certificate, key or CSR could not be read.
    BadInput {
        /// "CA certificate", "CA key" or "CSR".
        what: &'static str,
        /// Why it cannot be used.
        reason: String,
    },
    /// rcgen refused to generate or sign.
    Generate(rcgen::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadSan(s) => write!(
                f,
                "\"{s}\" is not a subject alternative name; use DNS:name, IP:address, URI:uri or email:address"
            ),
            Error::BadAlgorithm(s) => write!(
                f,
                "\"{s}\" is not a key algorithm; use p256, p384, ed25519, rsa2048, rsa3072 or rsa4096"
            ),
            Error::BadValidity(d) => write!(f, "{d} days is not a usable validity"),
            Error::Exists(p) => write!(f, "{}: exists already; pass --force to overwrite it", p.display()),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::BadInput { what, reason } => write!(f, "the {what} cannot be used: {reason}"),
            Error::Generate(e) => write!(f, "certificate generation failed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        Error::Generate(e)
    }
}
