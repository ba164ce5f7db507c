//! The serialisable report of one direction of a TLS stream: design.md's `tls` object.
//!
//! Field names and types are the JSON contract (numbers stay numbers, versions included;
//! hashes, randoms and ids are lowercase hex). Fields beyond the contract (`summary`,
//! `hello_retry_request`, `server_key_exchange`, ...) are additions a reader may ignore.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// One direction of a TLS connection, as far as it could be read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tls {
    pub records: Vec<Record>,
    pub messages: Vec<Message>,
    pub client_hello: Option<ClientHello>,
    pub server_hello: Option<ServerHello>,
    /// A ServerHello carrying the HelloRetryRequest random (RFC 8446 4.1.3).
    pub hello_retry_request: Option<ServerHello>,
    /// The certificates of every Certificate message, in order (decoded with std only).
    pub certificates: Vec<crate::objects::Certificate>,
    pub certificate_request: Option<CertificateRequest>,
    pub server_key_exchange: Option<ServerKeyExchange>,
    pub new_session_tickets: Vec<NewSessionTicket>,
    pub alerts: Vec<Alert>,
    pub summary: Summary,
}

impl Tls {
    /// Whether a handshake message of this type (see [`super::iana::handshake_type`]) was seen.
    pub fn has_message(&self, type_code: u8) -> bool {
        self.messages.iter().any(|m| m.type_code == type_code)
    }

    /// The alert records sent after the keys changed, whose description cannot be read.
    pub fn encrypted_alerts(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.encrypted && r.content_type == super::iana::content_type::ALERT)
            .count()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub content_type: u8,
    /// The record layer's version field.
    pub version: u16,
    /// The fragment's length (the header's length field).
    pub length: usize,
    /// Offset of the record header in the stream.
    pub offset: usize,
    /// Types of the handshake messages that start in this record.
    pub handshake_types: Vec<u8>,
    pub encrypted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    #[serde(rename = "type")]
    pub kind: String,
    pub type_code: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientHello {
    pub legacy_version: u16,
    pub random: String,
    pub session_id: String,
    pub cipher_suites: Vec<u16>,
    pub compression_methods: Vec<u8>,
    pub extension_types: Vec<u16>,
    pub server_name: Option<String>,
    pub alpn: Vec<String>,
    pub supported_versions: Vec<u16>,
    pub supported_groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub signature_algorithms_cert: Vec<u16>,
    pub ec_point_formats: Vec<u8>,
    /// Groups of the key_share entries offered.
    pub key_share_groups: Vec<u16>,
    pub psk_key_exchange_modes: Vec<u8>,
    /// The SSLv2-compatible ClientHello form (no extensions).
    pub sslv2: bool,
    pub ja3_full: String,
    pub ja3: String,
    pub ja4: String,
    pub ja4_r: String,
    pub ja4_o: String,
    pub ja4_ro: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerHello {
    pub version: u16,
    pub random: String,
    pub session_id: String,
    pub cipher_suite: u16,
    pub compression_method: u8,
    pub extension_types: Vec<u16>,
    /// From supported_versions (TLS 1.3); `None` when the extension is absent.
    pub selected_version: Option<u16>,
    pub alpn: Option<String>,
    /// The key_share group (TLS 1.3 ServerHello, or the group a HelloRetryRequest asks for).
    pub key_share_group: Option<u16>,
    pub ja3s_full: String,
    pub ja3s: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertificateRequest {
    pub certificate_types: Vec<u8>,
    pub signature_algorithms: Vec<u16>,
    /// RFC 4514 strings as `openssl -nameopt RFC2253` prints them (`#` and hex without std).
    pub certificate_authorities: Vec<String>,
    /// The TLS 1.3 certificate_request_context, hex.
    pub context: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerKeyExchange {
    /// 3 = named_curve for ECDHE; `None` for DHE and unknown kinds.
    pub curve_type: Option<u8>,
    pub group: Option<u16>,
    pub public_key: String,
    /// TLS 1.2 carries the scheme; TLS 1.0/1.1 do not.
    pub signature_scheme: Option<u16>,
    pub signature: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewSessionTicket {
    pub lifetime: u32,
    /// TLS 1.3 only.
    pub age_add: Option<u32>,
    pub ticket_length: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub level: u8,
    pub level_name: String,
    pub code: u8,
    pub description: String,
    /// Offset of the alert's two bytes in the stream.
    pub offset: usize,
}

/// A TLS endpoint: the side that sent a direction's bytes or an alert, or the side a
/// certificate is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The side that sends the ClientHello (for a certificate: needs clientAuth).
    #[default]
    Client,
    /// The side that sends the ServerHello (for a certificate: needs serverAuth and the host).
    Server,
}

impl Role {
    /// "client" or "server", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

display_as_str!(Role);

/// Whether a handshake was a full one or resumed a session (RFC 8446 2.2, RFC 5246 7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// Certificates were exchanged (or, in TLS 1.3, no pre_shared_key was accepted).
    Full,
    /// An earlier session was resumed: no certificates.
    Resumed,
}

impl Handshake {
    /// "full" or "resumed", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Handshake::Full => "full",
            Handshake::Resumed => "resumed",
        }
    }
}

display_as_str!(Handshake);

summary_line_parts!(Summary);

/// The one-line summary of a handshake that the CLI, the probe and the page all show, as
/// parts to join with ", ": version, cipher suite, "ALPN h2", "SNI example.com",
/// "full handshake"; absent values are left out.
pub fn summary_line(
    version_name: Option<&str>,
    cipher_suite_name: Option<&str>,
    alpn: Option<&str>,
    server_name: Option<&str>,
    handshake: Option<Handshake>,
) -> Vec<String> {
    let mut parts = Vec::new();
    parts.extend(version_name.map(String::from));
    parts.extend(cipher_suite_name.map(String::from));
    parts.extend(alpn.map(|a| alloc::format!("ALPN {a}")));
    parts.extend(server_name.map(|n| alloc::format!("SNI {n}")));
    parts.extend(handshake.map(|h| alloc::format!("{h} handshake")));
    parts
}

impl core::fmt::Display for Alert {
    /// "fatal bad_certificate": the level and the description, as the summaries list alerts.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.level_name, self.description)
    }
}

/// What a person asks first about this direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Client (a ClientHello was seen), server (a ServerHello), or `None`.
    pub role: Option<Role>,
    /// The negotiated version (ServerHello: supported_versions, else its version); for the
    /// client side the highest version offered.
    pub version: Option<u16>,
    pub version_name: Option<String>,
    pub cipher_suite: Option<u16>,
    pub cipher_suite_name: Option<String>,
    pub alpn: Option<String>,
    pub server_name: Option<String>,
    /// Full, resumed, or `None` when one direction cannot tell.
    pub handshake: Option<Handshake>,
    pub certificate_request_seen: bool,
    /// Number of certificates in the (first) Certificate message; `Some(0)` for an empty one,
    /// `None` when no plaintext Certificate message was seen.
    pub certificates_sent: Option<usize>,
    /// TLS 1.3: the certificate messages are encrypted and cannot be read from the bytes.
    pub certificates_encrypted: bool,
    pub change_cipher_spec_seen: bool,
    pub encrypted_records: usize,
    pub application_data_bytes: usize,
    pub alerts: Vec<String>,
    /// Sentences for the text view.
    pub notes: Vec<String>,
}
