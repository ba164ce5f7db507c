//! The command line, as docs/architecture.md fixes it: clap parses, then each command validates what
//! clap cannot (times, paths) before any work starts.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mtlskit",
    version,
    about = "Inspect and debug mutual TLS: certificates, keys, CSRs"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode certificates, CSRs and keys (PEM, DER, base64 or hex; '-' reads stdin).
    Inspect(InspectArgs),
    /// Connect like a TLS client (with a client certificate), show the handshake and the response.
    Probe(ProbeArgs),
    /// Run the whole mTLS setup locally: PKI, mTLS upstream, proxy, web inspector, probe.
    Demo(DemoArgs),
    /// Say whether a certificate would be accepted for mTLS and why not, or why the TLS
    /// handshakes of a capture failed.
    Diagnose(DiagnoseArgs),
    /// Make keys, CSRs and certificates for an mTLS setup.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Run the mTLS reverse proxy described by a config file (docs/config.md).
    Serve(ConfigArgs),
    /// Check a proxy config and every file it names, like `nginx -t`.
    Check(ConfigArgs),
    /// Check a proxy config, then ask the `mtlskit serve` running it to reload (SIGHUP).
    Reload(ReloadArgs),
    /// Print the proxy config equivalent to an nginx `server { ... }` block.
    ImportNginx(ImportNginxArgs),
    /// Serve the web inspector (the page built into this binary, or --dir) on plain HTTP.
    Web(WebArgs),
    /// Write the man pages and shell completions of this command line (for packaging:
    /// `cargo xtask dist --deb`).
    #[command(hide = true)]
    DistAssets(DistAssetsArgs),
}

#[derive(Debug, clap::Args)]
pub struct DistAssetsArgs {
    /// The folder to write `man/` (mtlskit.1, one page per command) and `completions/`
    /// (bash, zsh, fish) into.
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// The address to listen on (port 0: any free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Serve this built page (trunk's dist/) instead of the one built into the binary.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// The proxy's TOML config.
    #[arg(long, value_name = "FILE")]
    pub config: std::path::PathBuf,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["config", "pid_file"])))]
pub struct ReloadArgs {
    /// The config the server runs: checked first, then its `process.pid_file`, or else the
    /// `mtlskit serve --config FILE` processes running this file, get SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// The pid file the server writes (`process.pid_file`).
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ImportNginxArgs {
    /// A file holding an nginx `server { ... }` block.
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// A capture (pcap or pcapng): say how each TLS handshake in it ended and why, instead of
    /// checking a certificate.
    #[arg(
        value_name = "CAPTURE",
        conflicts_with_all = ["ca", "cert", "chain", "key", "host", "crl"]
    )]
    pub capture: Option<String>,
    /// With a capture: decrypt its TLS with this NSS key log (SSLKEYLOGFILE), so TLS 1.3's
    /// CertificateRequest, client Certificate and alerts are read. Its secrets are never
    /// printed.
    #[arg(long, value_name = "FILE", requires = "capture")]
    pub keylog: Option<String>,
    /// The CA bundle the verifier trusts (PEM, DER or PKCS#7).
    #[arg(long, value_name = "FILE", required_unless_present = "capture")]
    pub ca: Option<String>,
    /// The certificate to check; further certificates in the file are its chain.
    #[arg(long, value_name = "FILE", required_unless_present = "capture")]
    pub cert: Option<String>,
    /// Intermediate certificates sent along with it, in any order.
    #[arg(long, value_name = "FILE")]
    pub chain: Option<String>,
    /// The private key that should go with the certificate.
    #[arg(long, value_name = "FILE")]
    pub key: Option<String>,
    /// What the certificate is used for.
    #[arg(long, value_enum, default_value = "client")]
    pub role: RoleArg,
    /// The host name a client connects to (server role).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// A certificate revocation list (PEM or DER) to check the chain against; repeatable.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<String>,
    /// The certificate profile: RFC 5280, or with the CA/Browser Forum rules for public TLS
    /// servers.
    #[arg(long, value_enum, default_value = "rfc5280")]
    pub profile: ProfileArg,
    /// Whose decisions to reproduce: RFC 5280 path validation, or rustls-webpki's (mtlskit
    /// serve's) where they differ.
    #[arg(long, value_enum, default_value = "rfc5280")]
    pub verifier: VerifierArg,
    /// Evaluate at this moment (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print the JSON diagnosis (docs/diagnosis.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The https:// URL to request.
    pub url: String,
    /// Client certificate (PEM; further certificates are sent as its chain).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
    /// CA bundle to verify the server with (default: the system bundle).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,
    /// The name to send in SNI and verify the server certificate for (default: the URL's host).
    #[arg(long, value_name = "NAME")]
    pub servername: Option<String>,
    /// Offer TLS 1.2 only.
    #[arg(long = "tls1.2", conflicts_with = "tls13")]
    pub tls12: bool,
    /// Offer TLS 1.3 only.
    #[arg(long = "tls1.3")]
    pub tls13: bool,
    /// Do not verify the server's certificate (its problems are still shown).
    #[arg(long, short = 'k')]
    pub insecure: bool,
    /// Write the connection's bytes as a pcap file (for `mtlskit inspect` and the web page);
    /// with --keylog, a pcapng holding the secrets too, which opens decrypted.
    #[arg(long, value_name = "FILE")]
    pub save_handshake: Option<std::path::PathBuf>,
    /// Append the connection's TLS secrets to this NSS key log (SSLKEYLOGFILE format; created
    /// with mode 0600). They are secrets: written only here, never printed.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<std::path::PathBuf>,
    /// Seconds to wait for the connection and for each answer.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the certificates and logs here (default: a temporary folder, removed at the end).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
    /// The built web inspector to serve (trunk's dist/ folder).
    #[arg(long, value_name = "DIR")]
    pub web: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 8443, value_name = "PORT")]
    pub proxy_port: u16,
    #[arg(long, default_value_t = 8080, value_name = "PORT")]
    pub web_port: u16,
    /// The upstream's port (0: any free port).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub upstream_port: u16,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RoleArg {
    Client,
    Server,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ProfileArg {
    Rfc5280,
    Webpki,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum VerifierArg {
    Rfc5280,
    Rustls,
}

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Make a CA, a server certificate (localhost, 127.0.0.1, ::1) and a client certificate:
    /// ca.pem ca.key server.pem server.key client.pem client.key in DIR.
    Init(PkiInitArgs),
    /// Make a key and a CSR: PREFIX.key and PREFIX.csr.
    Csr(PkiCsrArgs),
    /// Issue a certificate from a CSR with the CA in a folder made by `pki init`.
    Sign(PkiSignArgs),
    /// Record a certificate of the CA folder as revoked (DIR/revoked.txt); `pki crl` then
    /// writes it into the CRL.
    Revoke(PkiRevokeArgs),
    /// Write the CRLs of the CA folder (one per CA, PEM) for the proxy, nginx or OpenSSL.
    Crl(PkiCrlArgs),
}

/// Options every generated certificate shares.
#[derive(Debug, clap::Args)]
pub struct KeyOptions {
    /// Key algorithm: p256, p384, ed25519, rsa2048, rsa3072, rsa4096.
    #[arg(long, default_value = "p256", value_name = "ALG")]
    pub algorithm: String,
    /// Validity in days.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct PkiInitArgs {
    pub dir: std::path::PathBuf,
    /// Put an intermediate CA between the root and the leaves.
    #[arg(long)]
    pub intermediate: bool,
    /// The CA's common name (give each PKI its own, so certificates are easy to tell apart).
    #[arg(long, default_value = "mtlskit CA", value_name = "NAME")]
    pub ca_name: String,
    /// Names of the server certificate (DNS:x,IP:y,...).
    #[arg(
        long,
        default_value = "DNS:localhost,IP:127.0.0.1,IP:::1",
        value_name = "SANS"
    )]
    pub server_san: String,
    #[command(flatten)]
    pub key: KeyOptions,
}

#[derive(Debug, clap::Args)]
pub struct PkiCsrArgs {
    /// The subject's common name.
    #[arg(long, value_name = "NAME")]
    pub cn: String,
    /// Requested subject alternative names: DNS:x,IP:y,URI:z,email:e.
    #[arg(long, value_name = "SANS")]
    pub san: Option<String>,
    /// Writes PREFIX.csr and PREFIX.key.
    #[arg(long, value_name = "PREFIX")]
    pub out: std::path::PathBuf,
    #[command(flatten)]
    pub key: KeyOptions,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("role").required(true).args(["client", "server"])))]
pub struct PkiSignArgs {
    /// The folder made by `pki init` (its intermediate signs when there is one).
    #[arg(long, value_name = "DIR")]
    pub ca_dir: std::path::PathBuf,
    #[arg(long, value_name = "FILE")]
    pub csr: std::path::PathBuf,
    /// Issue a client certificate (clientAuth).
    #[arg(long)]
    pub client: bool,
    /// Issue a server certificate (serverAuth).
    #[arg(long)]
    pub server: bool,
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
    /// Validity in days.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct PkiRevokeArgs {
    /// The folder made by `pki init`.
    #[arg(long, value_name = "DIR")]
    pub ca_dir: std::path::PathBuf,
    /// The certificate to revoke (PEM; the first certificate of the file).
    #[arg(value_name = "CERT")]
    pub cert: std::path::PathBuf,
    /// RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged,
    /// superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise.
    #[arg(long, default_value = "unspecified", value_name = "REASON")]
    pub reason: String,
}

#[derive(Debug, clap::Args)]
pub struct PkiCrlArgs {
    /// The folder made by `pki init`.
    #[arg(long, value_name = "DIR")]
    pub ca_dir: std::path::PathBuf,
    /// Days until nextUpdate (publish a new CRL before then: verifiers refuse an expired one).
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// The PEM file to write (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("stream").args(["jsonl", "summary"]).multiple(true)))]
pub struct InspectArgs {
    /// Print the JSON report (docs/report-format.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Evaluate validity at this moment (RFC 3339, e.g. 2030-01-01T00:00:00Z) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Decrypt the TLS of captures with this NSS key log (what SSLKEYLOGFILE, openssl
    /// -keylogfile and curl write). Its secrets are never printed.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<String>,
    /// A capture read as a stream (any size, in bounded memory): one JSON object per TLS
    /// connection and line, written as each connection finishes (docs/report-format.md).
    #[arg(long, conflicts_with_all = ["json", "summary"])]
    pub jsonl: bool,
    /// A capture read as a stream: the answers across its connections (outcomes, diagnosis
    /// codes, versions, suites, JA4, client certificates, expiring certificates, failures per
    /// minute); with --json, as one JSON object.
    #[arg(long)]
    pub summary: bool,
    /// With --jsonl or --summary: only connections matching KEY=VALUE (sni, ja4, code,
    /// subject, addr); repeat to require several.
    #[arg(long, value_name = "KEY=VALUE", requires = "stream")]
    pub filter: Vec<String>,
    /// With --summary: rows shown in the JA4, server name, issuer and subject tables.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// With --summary: list certificates seen on the wire that expire within DAYS.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub expiring_days: i64,
    /// With --jsonl or --summary: threads decoding connections (default: one per core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
    /// Files to inspect; '-' reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
}

/// Parses the process arguments.
pub fn parse() -> Result<Args, clap::Error> {
    Args::try_parse()
}
