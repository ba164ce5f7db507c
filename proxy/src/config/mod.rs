//! The proxy's configuration: a TOML file (docs/config.md) read into typed structs.
//!
//! Reading happens in two stages, as with the command line: serde rejects what is malformed
//! (an unknown key is an error that names it), then [`Config::validate`] checks what serde
//! cannot (an empty listen list, an upstream URL without a host, a cipher name). Files named by
//! the config are only read later, by `serve` and `check`; paths are relative to the folder
//! of the config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// The most client connections `max_connections` may allow (tokio's semaphore panics far
/// above; a process runs out of descriptors long before).
pub const MAX_CONNECTIONS: usize = 1_000_000;

/// The longest duration any key accepts: timers far in the future overflow tokio's clock.
pub const MAX_SPAN: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// The whole file, seen from one site (a server block): `server` and `locations` are that
/// site's; the file's other `[[server]]` blocks are in `other_sites` ([`Config::sites`] gives
/// each as a config of its own).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`, or the first `[[server]]` block: the listening side of this site.
    #[serde(deserialize_with = "one_or_many::first", rename = "server")]
    pub server: Server,
    /// The other `[[server]]` blocks, each with its locations.
    #[serde(skip)]
    pub other_sites: Vec<Server>,
    /// `[log]`: where logs go.
    #[serde(default)]
    pub log: Log,
    /// `[process]`: reload, drain and the pid file.
    #[serde(default)]
    pub process: Process,
    /// `[admin]`: the admin listener (metrics, health, effective config).
    #[serde(default)]
    pub admin: Admin,
    /// `[[trust_domain]]`: SPIFFE trust domains, each verified against its own bundle.
    #[serde(rename = "trust_domain", default)]
    pub trust_domains: Vec<TrustDomain>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyClient {
    /// A certificate from the client CA bundle is required (`on`).
    Required,
    /// A certificate is asked for; without one the request goes on with `NONE` (`optional`).
    Optional,
    /// No certificate is asked for (`off`).
    Off,
}

/// What becomes of the `X-Forwarded-For` a client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardedFor {
    /// The client's address is appended (nginx's `$proxy_add_x_forwarded_for`): for a
    /// proxy behind another proxy that the upstream trusts.
    Append,
    /// Only the client's address is sent: for a proxy that faces clients directly.
    Replace,
}

/// Which certificates of a client's chain CRLs are checked for (`crl_check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrlScope {
    /// Every certificate below the trust anchor (nginx's `ssl_crl`, OpenSSL's `crl_check_all`).
    Chain,
    /// The client's own certificate only (OpenSSL's `crl_check`).
    Leaf,
}

/// What becomes of a client whose revocation status the CRLs cannot tell: none was issued by
/// its issuer (`crl_unknown`), or the one that was has passed its nextUpdate (`crl_expired`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrlPolicy {
    /// Refuse the handshake (the default for both: fail closed).
    Deny,
    /// Let the client in (logged once per reload for an expired CRL).
    Allow,
}

/// How the verified client is described to the upstream (`identity_headers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityHeaders {
    /// nginx's set: `X-SSL-Client-Verify`, `-S-DN`, `-I-DN`, `-Serial`, `-Fingerprint`,
    /// `-Cert`, `-Not-Before`, `-Not-After`, `-V-Remain`.
    Nginx,
    /// Envoy's `X-Forwarded-Client-Cert` (`Hash`, `Cert`, `Subject`, `URI`, `DNS`).
    Xfcc,
    /// The same with `Chain=` (every certificate the client sent).
    XfccChain,
    /// RFC 9440's `Client-Cert` and `Client-Cert-Chain` (byte sequences, DER in base64).
    Rfc9440,
}

/// TLS protocol versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum Protocol {
    /// `"TLSv1.2"`.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// `"TLSv1.3"`.
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

/// The listening side: nginx's `listen` and `ssl_*` directives.
#[derive(Clone, Debug, Deserialize, Serialize)]
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
    /// Bytes the session-ID cache may hold (sessions carry the client's chain); the oldest
    /// entries go first when a new one would exceed it.
    #[serde(default = "default_session_cache_bytes")]
    pub session_cache_bytes: usize,
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
    /// Ticket keys shared by every instance behind one name, in nginx's
    /// `ssl_session_ticket_key` format (48 or 80 bytes): one file, or a list whose first
    /// encrypts new tickets and whose others still decrypt (rotation). Read at start and at
    /// each reload; with it `ticket_key_rotation` does not apply.
    #[serde(default, deserialize_with = "path_or_paths")]
    pub ticket_key_file: Vec<PathBuf>,
    /// Time allowed for the TLS handshake, from accept.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout: Span,
    /// Time allowed to send the request head (nginx `client_header_timeout`).
    #[serde(default = "default_header_timeout")]
    pub header_timeout: Span,
    /// With no request in flight (after the first), a connection is closed after this long
    /// (HTTP/1.1 and h2; nginx `keepalive_timeout`, `http2_idle_timeout`).
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: Span,
    /// A connection is closed gracefully this long after its handshake, and never serves a
    /// request past its client certificate's notAfter (nginx `keepalive_time`).
    #[serde(default = "default_max_connection_age")]
    pub max_connection_age: Span,
    /// Concurrent streams one h2 connection may open (nginx `http2_max_concurrent_streams`).
    #[serde(default = "default_h2_streams")]
    pub h2_max_concurrent_streams: u32,
    /// A write to a client that makes no progress for this long (the client stopped reading)
    /// ends the connection (nginx `send_timeout`).
    #[serde(default = "default_header_timeout")]
    pub client_send_timeout: Span,
    /// Largest request head in bytes; more is refused with 431.
    #[serde(default = "default_max_header_size")]
    pub max_header_size: usize,
    /// Client connections served at once; more wait in the listen backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Handshakes one client address may have in progress at once; more are closed.
    #[serde(default = "default_handshakes_per_address")]
    pub max_handshakes_per_address: usize,
    /// Also send Envoy's `X-Forwarded-Client-Cert` upstream.
    #[serde(default)]
    pub forward_client_cert: bool,
    /// Pass request headers whose names have an underscore (nginx `underscores_in_headers`);
    /// off, they are dropped.
    #[serde(default)]
    pub underscores_in_headers: bool,
    /// Protocols an HTTP/1.1 client may switch to with `Upgrade` (h2c never).
    #[serde(default = "default_upgrades")]
    pub upgrades: Vec<String>,
    /// Pass an encoded `/` (`%2F`) in request paths; off, such a request gets 400.
    #[serde(default)]
    pub allow_encoded_slashes: bool,
    /// What becomes of a client's own `X-Forwarded-For`.
    #[serde(default = "default_forwarded_for")]
    pub x_forwarded_for: ForwardedFor,
    /// Answer 421 to a request whose Host or `:authority` is not the SNI of its connection,
    /// or not one of `server_names` when there are any.
    #[serde(default = "default_true")]
    pub host_must_match: bool,
    /// Most certificates a client may send in its chain, its own included; more is refused
    /// before any of them is verified. Default: `verify_depth + 2` (see
    /// [`Server::client_chain_limit`]).
    #[serde(default)]
    pub max_client_chain: Option<usize>,
    /// Most bytes of certificates a client may send in its chain.
    #[serde(default = "default_max_client_chain_bytes")]
    pub max_client_chain_bytes: usize,
    /// `[[server.location]]`: this block's locations (with several `[[server]]` blocks; a single
    /// `[server]` may use top-level `[[location]]` instead). Moved into [`Config::locations`]
    /// when the file is read.
    #[serde(rename = "location", default, skip_serializing)]
    pub locations: Vec<Location>,
    /// CRL files or folders of them (PEM or DER) that client certificates are checked against
    /// (nginx `ssl_crl`). Reloaded with the rest of the config.
    #[serde(default)]
    pub crl: Vec<PathBuf>,
    /// Check the whole chain (default) or the client's certificate only.
    #[serde(default = "default_crl_check")]
    pub crl_check: CrlScope,
    /// A certificate whose issuer has no CRL among `crl`: deny (default) or allow.
    #[serde(default = "default_crl_policy")]
    pub crl_unknown: CrlPolicy,
    /// A CRL past its nextUpdate: deny (default) or allow.
    #[serde(default = "default_crl_policy")]
    pub crl_expired: CrlPolicy,
}

impl Server {
    /// `max_client_chain`, or its default: the leaf, `verify_depth` CAs above it, and one more
    /// (some clients also send the root).
    pub fn client_chain_limit(&self) -> usize {
        self.max_client_chain.unwrap_or_else(|| {
            usize::try_from(self.verify_depth)
                .unwrap_or(usize::MAX)
                .saturating_add(2)
        })
    }
}

/// Where logs go.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
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

/// A SPIFFE trust domain: client X509-SVIDs whose SPIFFE ID is in it are verified against its
/// bundle, and only against it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TrustDomain {
    /// The trust domain name (`example.org`).
    pub name: String,
    /// PEM: its X.509 bundle (the CAs that sign its SVIDs).
    pub bundle: PathBuf,
}

/// The admin listener: plain HTTP, `/metrics`, `/healthz`, `/readyz`, `/config`, and the web
/// inspector under `/inspect/` when asked.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    /// Where it listens (none: no admin listener). A loopback address unless `public`.
    pub listen: Option<SocketAddr>,
    /// Allow a `listen` address that is not loopback (the listener has no authentication).
    #[serde(default)]
    pub public: bool,
    /// Serve the web inspector under `/inspect/` (the page built into the binary).
    #[serde(default)]
    pub inspector: bool,
    /// Serve this built page (trunk's `dist/`) under `/inspect/` instead of the embedded one.
    pub inspector_dir: Option<PathBuf>,
}

/// The process: reload on file changes, the graceful drain, the pid file.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// On SIGTERM or SIGINT, how long in-flight requests and tunnels may take to finish
    /// before they are cut (nginx `worker_shutdown_timeout`); SIGQUIT does not wait.
    #[serde(default = "default_drain_timeout")]
    pub drain_timeout: Span,
    /// Look at the modification times of the config and of every file it names this often,
    /// and reload when one changed; `"0s"` (default) looks only on SIGHUP.
    #[serde(default = "default_reload_poll")]
    pub reload_poll: Span,
    /// Write the process id here while serving (for `mtlskit reload --pid-file`).
    pub pid_file: Option<PathBuf>,
    /// Threads that serve connections (nginx `worker_processes`, Envoy `--concurrency`);
    /// unset: one per core the process may run on (its CPU affinity and cgroup quota).
    pub workers: Option<usize>,
}

impl Default for Process {
    fn default() -> Self {
        Process {
            drain_timeout: default_drain_timeout(),
            reload_poll: default_reload_poll(),
            pid_file: None,
            workers: None,
        }
    }
}

/// A path prefix and the upstream it goes to: nginx's `location` with `proxy_*`.
#[derive(Clone, Debug, Deserialize, Serialize)]
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
    /// Requests in flight to this location's upstream at once, so at most this many
    /// HTTP/1.1 connections (nginx `max_conns`); 0: no limit.
    #[serde(default)]
    pub max_conns: usize,
    /// How long a request waits for one of `max_conns` before it gets 503.
    #[serde(default = "default_queue_timeout")]
    pub queue_timeout: Span,
    /// Idle keep-alive connections kept per upstream.
    #[serde(default = "default_keepalive")]
    pub keepalive: usize,
    /// Rules a verified client certificate must match (one of them) to be let through
    /// (docs/config.md, "Authorization"); empty: every verified client.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Rules that refuse a client certificate whatever `allow` says.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Which identity headers the upstream gets.
    #[serde(default = "default_identity_headers")]
    pub identity_headers: Vec<IdentityHeaders>,
}

impl Location {
    /// `identity_headers`, with Envoy's header added when `[server] forward_client_cert`
    /// asks for it everywhere (the key from before `identity_headers`).
    pub fn identity_styles(&self, server: &Server) -> Vec<IdentityHeaders> {
        let mut v = self.identity_headers.clone();
        if server.forward_client_cert
            && !v.contains(&IdentityHeaders::Xfcc)
            && !v.contains(&IdentityHeaders::XfccChain)
        {
            v.push(IdentityHeaders::Xfcc);
        }
        v
    }
}

fn default_identity_headers() -> Vec<IdentityHeaders> {
    vec![IdentityHeaders::Nginx]
}
fn default_crl_check() -> CrlScope {
    CrlScope::Chain
}
fn default_crl_policy() -> CrlPolicy {
    CrlPolicy::Deny
}
fn default_drain_timeout() -> Span {
    Span::secs(30)
}
fn default_reload_poll() -> Span {
    Span(std::time::Duration::ZERO)
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
fn default_session_cache_bytes() -> usize {
    16 << 20
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
fn default_handshakes_per_address() -> usize {
    64
}
fn default_upgrades() -> Vec<String> {
    vec!["websocket".into()]
}
fn default_forwarded_for() -> ForwardedFor {
    ForwardedFor::Append
}
fn default_idle_timeout() -> Span {
    Span::secs(75)
}
fn default_max_connection_age() -> Span {
    Span::secs(3600)
}
fn default_h2_streams() -> u32 {
    128
}
fn default_max_client_chain_bytes() -> usize {
    32 * 1024
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
fn default_queue_timeout() -> Span {
    Span::secs(10)
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
        let parse_error = |e: toml::de::Error| ConfigError::Parse {
            path: shown.to_string(),
            message: one_line(&e),
        };
        let mut config: Config = toml::from_str(text).map_err(parse_error)?;
        // Every block, the first included, read again as the list it is.
        let all: one_or_many::All = toml::from_str(text).map_err(parse_error)?;
        let mut blocks = all.server.into_iter();
        if let Some(first) = blocks.next() {
            config.server = first;
        }
        config.other_sites = blocks.collect();
        config.base = base;
        config.path = shown.to_string();
        let bad = |message: String| ConfigError::Invalid {
            path: shown.to_string(),
            message,
        };
        let own = std::mem::take(&mut config.server.locations);
        match (config.locations.is_empty(), own.is_empty()) {
            (true, _) => config.locations = own,
            (false, true) if config.other_sites.is_empty() => {}
            (false, true) => {
                return Err(bad(
                    "top-level [[location]] with several [[server]] blocks: give each block its own [[server.location]]".into(),
                ))
            }
            (false, false) => {
                return Err(bad(
                    "both [[location]] and [[server.location]]: use one of them".into(),
                ))
            }
        }
        for site in config.sites() {
            site.validate()?;
        }
        config.validate_sites()?;
        Ok(config)
    }

    /// Every site of the file, each as a config whose `server` and `locations` are its own;
    /// the first is the default.
    pub fn sites(&self) -> Vec<Config> {
        let first = Config {
            other_sites: Vec::new(),
            ..self.clone()
        };
        let mut out = vec![first.clone()];
        for s in &self.other_sites {
            let mut server = s.clone();
            let locations = std::mem::take(&mut server.locations);
            out.push(Config {
                server,
                locations,
                ..first.clone()
            });
        }
        out
    }

    /// What no single site can check: two sites on one address need server names to be told
    /// apart, and no name may belong to two of them.
    fn validate_sites(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            path: self.path.clone(),
            message,
        };
        let sites = self.sites();
        for (i, a) in sites.iter().enumerate() {
            for b in &sites[..i] {
                let shared: Vec<_> = a
                    .server
                    .listen
                    .iter()
                    .filter(|l| b.server.listen.contains(l))
                    .collect();
                if shared.is_empty() {
                    continue;
                }
                if a.server.server_names.is_empty() {
                    return Err(bad(format!(
                        "server block {} listens on {} like an earlier block but has no server_names: SNI could never choose it",
                        i + 1,
                        shared[0]
                    )));
                }
                for n in &a.server.server_names {
                    if b.server
                        .server_names
                        .iter()
                        .any(|m| m.eq_ignore_ascii_case(n))
                    {
                        return Err(bad(format!(
                            "server name {n:?} is in two server blocks on {}",
                            shared[0]
                        )));
                    }
                }
            }
        }
        Ok(())
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
        for (i, td) in self.trust_domains.iter().enumerate() {
            // SPIFFE ID spec 2.1: lowercase letters, digits, dots, dashes and underscores.
            if td.name.is_empty()
                || !td
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            {
                return Err(bad(format!(
                    "trust_domain {:?}: a trust domain name is lowercase letters, digits, '.', '-' and '_'",
                    td.name
                )));
            }
            if self.trust_domains[..i].iter().any(|t| t.name == td.name) {
                return Err(bad(format!("trust_domain {:?} is listed twice", td.name)));
            }
            if s.verify_client == VerifyClient::Off {
                return Err(bad(
                    "[[trust_domain]] verifies client certificates, but verify_client = \"off\""
                        .into(),
                ));
            }
        }
        if s.verify_client != VerifyClient::Off
            && s.client_ca.is_none()
            && self.trust_domains.is_empty()
        {
            return Err(bad(
                "server.client_ca is missing: verify_client needs the CA bundle that issues client certificates".into(),
            ));
        }
        if s.max_header_size < 8192 {
            return Err(bad("server.max_header_size must be at least 8192".into()));
        }
        if !(1..=MAX_CONNECTIONS).contains(&s.max_connections) {
            return Err(bad(format!(
                "server.max_connections must be from 1 to {MAX_CONNECTIONS}"
            )));
        }
        if !(1..=MAX_CONNECTIONS).contains(&s.max_handshakes_per_address) {
            return Err(bad(format!(
                "server.max_handshakes_per_address must be from 1 to {MAX_CONNECTIONS}"
            )));
        }
        if !(4096..=1 << 32).contains(&s.session_cache_bytes) {
            return Err(bad(
                "server.session_cache_bytes must be from 4096 to 4294967296".into(),
            ));
        }
        if s.max_header_size > 1 << 20 {
            return Err(bad("server.max_header_size must be at most 1048576".into()));
        }
        if s.upgrades.iter().any(|u| u.eq_ignore_ascii_case("h2c")) {
            return Err(bad(
                "server.upgrades: h2c cannot be allowed (h2 is negotiated by ALPN, RFC 9113 3.2)"
                    .into(),
            ));
        }
        if s.verify_depth > 16 {
            return Err(bad("server.verify_depth must be at most 16".into()));
        }
        let mut spans: Vec<(String, Span)> = [
            ("session_timeout", s.session_timeout),
            ("ticket_key_rotation", s.ticket_key_rotation),
            ("handshake_timeout", s.handshake_timeout),
            ("header_timeout", s.header_timeout),
            ("idle_timeout", s.idle_timeout),
            ("max_connection_age", s.max_connection_age),
            ("client_send_timeout", s.client_send_timeout),
        ]
        .into_iter()
        .map(|(k, v)| (format!("server.{k}"), v))
        .collect();
        for l in &self.locations {
            for (k, v) in [
                ("connect_timeout", l.connect_timeout),
                ("read_timeout", l.read_timeout),
                ("send_timeout", l.send_timeout),
                ("queue_timeout", l.queue_timeout),
            ] {
                spans.push((format!("location {}: {k}", l.path), v));
            }
        }
        spans.push(("process.drain_timeout".into(), self.process.drain_timeout));
        let poll = self.process.reload_poll.0;
        if !poll.is_zero() && poll < std::time::Duration::from_millis(100) || poll > MAX_SPAN {
            return Err(bad(
                "process.reload_poll must be 0s (off) or from 100ms to 30d".into(),
            ));
        }
        if self
            .process
            .workers
            .is_some_and(|w| !(1..=1024).contains(&w))
        {
            return Err(bad("process.workers must be from 1 to 1024".into()));
        }
        if let Some(a) = self.admin.listen {
            if !a.ip().is_loopback() && !self.admin.public {
                return Err(bad(format!(
                    "admin.listen = {a} is not a loopback address: the admin listener has no authentication; set admin.public = true to serve it there anyway"
                )));
            }
            if s.listen.contains(&a) {
                return Err(bad(format!("admin.listen = {a} is also in server.listen")));
            }
        }
        if !s.crl.is_empty() && s.verify_client == VerifyClient::Off {
            return Err(bad(
                "server.crl is set but verify_client = \"off\": CRLs check client certificates"
                    .into(),
            ));
        }
        for (key, span) in spans {
            if span.0.is_zero() || span.0 > MAX_SPAN {
                return Err(bad(format!(
                    "{key} = {span} cannot work: give a duration from 1ms to 30d"
                )));
            }
        }
        if s.verify_depth == 0 {
            return Err(bad("server.verify_depth must be at least 1".into()));
        }
        if s.h2_max_concurrent_streams == 0 || s.h2_max_concurrent_streams > 10_000 {
            return Err(bad(
                "server.h2_max_concurrent_streams must be from 1 to 10000".into(),
            ));
        }
        if !(1..=16).contains(&s.client_chain_limit()) {
            return Err(bad("server.max_client_chain must be from 1 to 16".into()));
        }
        if !(1024..=1 << 20).contains(&s.max_client_chain_bytes) {
            return Err(bad(
                "server.max_client_chain_bytes must be from 1024 to 1048576".into(),
            ));
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
            if uri.scheme_str() == Some("http") && l.client_certificate.is_some() {
                return Err(bad(format!(
                    "{at}: client_certificate is for TLS, but upstream {:?} is plain http://",
                    l.upstream
                )));
            }
            if l.max_conns > MAX_CONNECTIONS {
                return Err(bad(format!(
                    "{at}: max_conns must be at most {MAX_CONNECTIONS} (0: no limit)"
                )));
            }
            if let Err(e) = crate::authz::Policy::parse(&l.allow, &l.deny) {
                return Err(bad(format!("{at}: {e}")));
            }
            if (!l.allow.is_empty() || !l.deny.is_empty()) && s.verify_client == VerifyClient::Off {
                return Err(bad(format!(
                    "{at}: allow and deny rules need client certificates, but verify_client = \"off\""
                )));
            }
            if l.keepalive > 100_000 {
                return Err(bad(format!("{at}: keepalive must be at most 100000")));
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

/// One path as a string, or a list of them.
fn path_or_paths<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PathBuf),
        Many(Vec<PathBuf>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(p)) => Ok(vec![p]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom(
            "expected a file name or a list of file names",
        )),
    }
}

/// `server` as one `[server]` table or several `[[server]]` blocks.
mod one_or_many {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;

    use super::Server;

    /// Every block, in file order.
    #[derive(Deserialize)]
    pub struct All {
        #[serde(deserialize_with = "all")]
        pub server: Vec<Server>,
    }

    struct V;

    impl<'de> Visitor<'de> for V {
        type Value = Vec<Server>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a [server] table or [[server]] blocks")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Server::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|s| vec![s])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::<Server>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
    }

    /// Every block.
    pub fn all<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Server>, D::Error> {
        d.deserialize_any(V)
    }

    /// The first block (the default site).
    pub fn first<'de, D: Deserializer<'de>>(d: D) -> Result<Server, D::Error> {
        all(d)?
            .into_iter()
            .next()
            .ok_or_else(|| serde::de::Error::custom("[[server]] needs at least one block"))
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
    fn absurd_values_are_refused_with_the_key() {
        for (line, key) in [
            ("max_connections = 10000000000", "server.max_connections"),
            ("header_timeout = \"0s\"", "server.header_timeout = 0s"),
            ("header_timeout = 99999999999", "server.header_timeout"),
            ("idle_timeout = \"400d\"", "server.idle_timeout"),
        ] {
            let text = MINIMAL.replace("[[location]]", &format!("{line}\n[[location]]"));
            let e = Config::parse(&text, "t.toml", PathBuf::new())
                .err()
                .map(|e| e.to_string());
            assert!(e.as_deref().unwrap_or("").contains(key), "{line}: {e:?}");
        }
        for (table, key) in [
            ("[process]\nreload_poll = \"10ms\"", "process.reload_poll"),
            ("[process]\ndrain_timeout = \"0s\"", "process.drain_timeout"),
            ("[process]\nworkers = 0", "process.workers"),
            ("[process]\nsecret = 1", "unknown field `secret`"),
        ] {
            let text = MINIMAL.replace("[[location]]", &format!("{table}\n[[location]]"));
            let e = Config::parse(&text, "t.toml", PathBuf::new())
                .err()
                .map(|e| e.to_string());
            assert!(e.as_deref().unwrap_or("").contains(key), "{table}: {e:?}");
        }
        let text = MINIMAL
            .replace("[[location]]", "crl = [\"crl.pem\"]\n[[location]]")
            .replace("[server]", "[server]\nverify_client = \"off\"");
        let e = Config::parse(&text, "t.toml", PathBuf::new())
            .err()
            .map(|e| e.to_string());
        assert!(e.as_deref().unwrap_or("").contains("server.crl"), "{e:?}");
        let text = MINIMAL.replace("https://", "http://")
            + "client_certificate = \"c.pem\"\nclient_key = \"c.key\"\n";
        let e = Config::parse(&text, "t.toml", PathBuf::new())
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().unwrap_or("").contains("plain http://"),
            "{e:?}"
        );
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
