//! The proxy's configuration: a TOML file (docs/config.md) read into typed structs.
//!
//! Reading happens in two stages, as with the command line: serde rejects what is malformed
//! (an unknown key is an error that names it), then [`Config::validate`] checks what serde
//! cannot (an empty listen list, an upstream URL without a host, a cipher name). Files named by
//! the config are only read later, by `serve` and `check`; paths are relative to the folder
//! of the config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub(crate) mod ciphers;
mod duration;

pub use duration::{DurationError, Span};

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: cannot be read ({source})")]
    Read {
        /// The config file as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not TOML of the config's shape (an unknown key, a wrong type).
    #[error("{path}: {message}")]
    Parse {
        /// The config file as given.
        path: String,
        /// toml's message on one line, with the line number.
        message: String,
    },
    /// The TOML is well formed but a value is unusable (an empty listen list, a bad URL).
    #[error("{path}: {message}")]
    Invalid {
        /// The config file as given.
        path: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`: the listening side.
    pub server: Server,
    /// `[log]`: where logs go.
    #[serde(default)]
    pub log: Log,
    /// `[[location]]`: path prefixes and their upstreams, longest prefix first when routing.
    #[serde(rename = "location", default)]
    pub locations: Vec<Location>,
    /// The folder the config file is in; relative paths are resolved against it.
    #[serde(skip)]
    pub base: PathBuf,
    /// The config file as given.
    #[serde(skip)]
    pub path: String,
}

/// Client verification, nginx's `ssl_verify_client`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyClient {
    /// A certificate from the client CA bundle is required (`on`).
    Required,
    /// A certificate is asked for; without one the request goes on with `NONE` (`optional`).
    Optional,
    /// No certificate is asked for (`off`).
    Off,
}

/// TLS protocol versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Protocol {
    /// `"TLSv1.2"`.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// `"TLSv1.3"`.
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

/// The listening side: nginx's `listen` and `ssl_*` directives.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// `0.0.0.0:8000`, `[::]:8000`; an IPv6 socket listens on IPv6 only.
    pub listen: Vec<SocketAddr>,
    /// PEM: the server certificate followed by its intermediates.
    pub certificate: PathBuf,
    /// PEM: the server certificate's private key (PKCS#8, PKCS#1 or SEC1; not encrypted).
    pub key: PathBuf,
    /// Names the server certificate must cover (checked by `mtlskit check`).
    #[serde(default)]
    pub server_names: Vec<String>,
    /// PEM bundle of the CAs that issue client certificates.
    pub client_ca: Option<PathBuf>,
    /// Whether client certificates are required, optional or not asked for.
    #[serde(default = "default_verify_client")]
    pub verify_client: VerifyClient,
    /// Most certificates above the client's own: 1 = issued straight by a CA in the bundle.
    #[serde(default = "default_verify_depth")]
    pub verify_depth: u32,
    /// TLS versions offered (default TLS 1.2 and 1.3).
    #[serde(default = "default_protocols")]
    pub protocols: Vec<Protocol>,
    /// OpenSSL or IANA names; empty means every suite rustls offers.
    #[serde(default)]
    pub ciphers: Vec<String>,
    /// The server's order of `ciphers` decides, not the client's.
    #[serde(default)]
    pub prefer_server_ciphers: bool,
    /// Entries in the session-ID cache; 0 turns it off.
    #[serde(default = "default_session_cache")]
    pub session_cache: usize,
    /// How long a session can be resumed.
    #[serde(default = "default_session_timeout")]
    pub session_timeout: Span,
    /// Resumption by ticket (RFC 5077, TLS 1.3 PSK) besides the session-ID cache.
    #[serde(default = "default_true")]
    pub session_tickets: bool,
    /// How long one ticket key encrypts new tickets before a fresh random key takes over
    /// (tickets stay valid for at most twice this, and never past `session_timeout`).
    #[serde(default = "default_ticket_rotation")]
    pub ticket_key_rotation: Span,
    /// Time allowed for the TLS handshake, from accept.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout: Span,
    /// Time allowed to send the request head (nginx `client_header_timeout`).
    #[serde(default = "default_header_timeout")]
    pub header_timeout: Span,
    /// Largest request head in bytes; more is refused with 431.
    #[serde(default = "default_max_header_size")]
    pub max_header_size: usize,
    /// Client connections served at once; more wait in the listen backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Also send Envoy's `X-Forwarded-Client-Cert` upstream.
    #[serde(default)]
    pub forward_client_cert: bool,
}

/// Where logs go.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// error, warn, info or debug.
    #[serde(default = "default_level")]
    pub level: String,
    /// `stderr` or a file: handshake failures, upstream errors, start and stop.
    #[serde(default = "default_stderr")]
    pub error: String,
    /// `stdout`, `stderr`, `off` or a file: one JSON line per request.
    #[serde(default = "default_stdout")]
    pub access: String,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: default_level(),
            error: default_stderr(),
            access: default_stdout(),
        }
    }
}

/// A path prefix and the upstream it goes to: nginx's `location` with `proxy_*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// The path prefix this location serves (default `/`).
    #[serde(default = "default_path")]
    pub path: String,
    /// `https://host:port` or `http://host:port` (a path prefix is kept in front).
    pub upstream: String,
    /// PEM: the proxy's client certificate for the upstream (nginx `proxy_ssl_certificate`).
    pub client_certificate: Option<PathBuf>,
    /// PEM: its private key.
    pub client_key: Option<PathBuf>,
    /// CAs trusted for the upstream's certificate; without it, nothing is trusted.
    pub trusted_ca: Option<PathBuf>,
    /// Verify the upstream's certificate against `trusted_ca` (nginx `proxy_ssl_verify`).
    #[serde(default = "default_true")]
    pub verify: bool,
    /// The name sent as SNI and verified in the upstream certificate (default: the URL host).
    pub server_name: Option<String>,
    /// Resume TLS sessions with the upstream (nginx `proxy_ssl_session_reuse`).
    #[serde(default = "default_true")]
    pub session_reuse: bool,
    /// Time allowed to connect to the upstream, TLS included.
    #[serde(default = "default_upstream_timeout")]
    pub connect_timeout: Span,
    /// Time allowed between two reads from the upstream.
    #[serde(default = "default_upstream_timeout")]
    pub read_timeout: Span,
    /// Time allowed for a write to the upstream to make progress.
    #[serde(default = "default_upstream_timeout")]
    pub send_timeout: Span,
    /// Idle keep-alive connections kept per upstream.
    #[serde(default = "default_keepalive")]
    pub keepalive: usize,
}

fn default_verify_client() -> VerifyClient {
    VerifyClient::Required
}
fn default_verify_depth() -> u32 {
    1
}
fn default_protocols() -> Vec<Protocol> {
    vec![Protocol::Tls12, Protocol::Tls13]
}
fn default_session_cache() -> usize {
    4096
}
fn default_session_timeout() -> Span {
    Span::secs(300)
}
fn default_ticket_rotation() -> Span {
    Span::secs(6 * 3600)
}
fn default_true() -> bool {
    true
}
fn default_handshake_timeout() -> Span {
    Span::secs(10)
}
fn default_header_timeout() -> Span {
    Span::secs(60)
}
fn default_max_header_size() -> usize {
    32 * 1024
}
fn default_max_connections() -> usize {
    1024
}
fn default_level() -> String {
    "info".into()
}
fn default_stderr() -> String {
    "stderr".into()
}
fn default_stdout() -> String {
    "stdout".into()
}
fn default_path() -> String {
    "/".into()
}
fn default_upstream_timeout() -> Span {
    Span::secs(60)
}
fn default_keepalive() -> usize {
    32
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::parse(&text, &shown, base)
    }

    /// Parses and validates config text; `base` resolves relative paths.
    pub fn parse(text: &str, shown: &str, base: PathBuf) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.to_string(),
            message: one_line(&e),
        })?;
        config.base = base;
        config.path = shown.to_string();
        config.validate()?;
        Ok(config)
    }

    /// A path from the config, resolved against the config's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            path: self.path.clone(),
            message,
        };
        let s = &self.server;
        if s.listen.is_empty() {
            return Err(bad(
                "server.listen is empty: give at least one address".into()
            ));
        }
        if s.protocols.is_empty() {
            return Err(bad("server.protocols is empty".into()));
        }
        if s.verify_client != VerifyClient::Off && s.client_ca.is_none() {
            return Err(bad(
                "server.client_ca is missing: verify_client needs the CA bundle that issues client certificates".into(),
            ));
        }
        if s.max_header_size < 8192 {
            return Err(bad("server.max_header_size must be at least 8192".into()));
        }
        if s.max_connections == 0 {
            return Err(bad("server.max_connections must be at least 1".into()));
        }
        if s.verify_depth == 0 {
            return Err(bad("server.verify_depth must be at least 1".into()));
        }
        let r = ciphers::resolve(&s.ciphers);
        if let Some(name) = r.unknown.first() {
            return Err(bad(format!(
                "server.ciphers: {name:?} is not a cipher suite name"
            )));
        }
        if !s.ciphers.is_empty() && r.codes.is_empty() {
            return Err(bad(
                "server.ciphers: none of these suites is offered by rustls".into(),
            ));
        }
        if !["error", "warn", "info", "debug", "trace"].contains(&self.log.level.as_str()) {
            return Err(bad(format!(
                "log.level: {:?} is not one of error, warn, info, debug",
                self.log.level
            )));
        }
        if self.locations.is_empty() {
            return Err(bad("no [[location]]: give at least one upstream".into()));
        }
        for (i, l) in self.locations.iter().enumerate() {
            let at = format!("location {} ({})", i + 1, l.path);
            if !l.path.starts_with('/') {
                return Err(bad(format!("{at}: path must start with '/'")));
            }
            let uri: http::Uri = l
                .upstream
                .parse()
                .map_err(|_| bad(format!("{at}: upstream {:?} is not a URL", l.upstream)))?;
            match uri.scheme_str() {
                Some("http" | "https") => {}
                _ => {
                    return Err(bad(format!(
                        "{at}: upstream {:?} must start with https:// or http://",
                        l.upstream
                    )))
                }
            }
            if uri.host().is_none() {
                return Err(bad(format!("{at}: upstream {:?} has no host", l.upstream)));
            }
            if l.client_certificate.is_some() != l.client_key.is_some() {
                return Err(bad(format!(
                    "{at}: client_certificate and client_key go together"
                )));
            }
            if let Some(name) = &l.server_name {
                if rustls_pki_types::ServerName::try_from(name.as_str()).is_err() {
                    return Err(bad(format!(
                        "{at}: server_name {name:?} is not a DNS name or IP"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Cipher suites resolved from the names (all of rustls's when none are named).
    pub(crate) fn cipher_codes(&self) -> ciphers::Resolved {
        ciphers::resolve(&self.server.ciphers)
    }
}

/// toml's messages span several lines with a source excerpt; keep them as one line.
fn one_line(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("{msg} (at byte {})", span.start),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[server]
listen = ["127.0.0.1:8443", "[::1]:8443"]
certificate = "server.pem"
key = "server.key"
client_ca = "ca.pem"

[[location]]
upstream = "https://127.0.0.1:8080"
"#;

    #[test]
    fn minimal_config_has_nginx_defaults() {
        let c = Config::parse(MINIMAL, "t.toml", PathBuf::from("/etc/m"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.verify_client, VerifyClient::Required);
        assert_eq!(c.server.verify_depth, 1);
        assert_eq!(c.locations[0].path, "/");
        assert_eq!(
            c.resolve(Path::new("ca.pem")),
            PathBuf::from("/etc/m/ca.pem")
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let text = MINIMAL.replace("client_ca", "clinet_ca");
        let e = Config::parse(&text, "t.toml", PathBuf::new())
            .err()
            .map(|e| e.to_string());
        assert!(e.as_deref().unwrap_or("").contains("clinet_ca"), "{e:?}");
    }

    #[test]
    fn bad_cipher_is_named() {
        let text = MINIMAL.replace("[[location]]", "ciphers = [\"FAST\"]\n[[location]]");
        let e = Config::parse(&text, "t.toml", PathBuf::new())
            .err()
            .map(|e| e.to_string());
        assert!(e.as_deref().unwrap_or("").contains("\"FAST\""), "{e:?}");
    }
}
