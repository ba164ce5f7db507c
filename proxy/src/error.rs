//! The library's one error type: why the proxy could not start, with the cause as its source.

/// Why the proxy could not load its config or start serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config cannot be read, parsed or is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A certificate, key or CA file, or the TLS settings, cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::serve::TlsSetupError),
    /// A log file cannot be opened.
    #[error(transparent)]
    Log(#[from] crate::serve::LogError),
    /// A listening address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from the config.
        addr: std::net::SocketAddr,
        /// Why the bind failed.
        source: std::io::Error,
    },
    /// The async runtime cannot start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}
