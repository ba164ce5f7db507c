//! Why a probe could not start: the options name something unusable.

use std::path::PathBuf;

/// A problem with the probe's options, found before any connection is made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL does not parse.
    #[error("{url}: not a URL ({source})")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why it does not parse.
        source: hyper::http::uri::InvalidUri,
    },
    /// The URL's scheme is not https.
    #[error("{0}: only https:// URLs can be probed")]
    NotHttps(String),
    /// The URL has no host part.
    #[error("{0}: the URL names no host")]
    NoHost(String),
    /// A certificate, key or CA file cannot be used.
    #[error(transparent)]
    File(#[from] mtlskit_pki::load::FileError),
    /// The private key is not the client certificate's.
    #[error("{}: the key does not go with {} ({source})", key.display(), cert.display())]
    KeyMismatch {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
        /// What rustls said.
        source: rustls::Error,
    },
    /// A client certificate without its key, or a key without its certificate.
    #[error("--cert and --key go together")]
    CertWithoutKey,
}
