//! The serialisable report of one direction of a TLS stream: the report's `tls` object
//! (docs/report-format.md).
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
    /// Every record, encrypted ones included.
    pub records: Vec<Record>,
    /// Every handshake message that could be read, in order.
    pub messages: Vec<Message>,
    /// The ClientHello, when this is the client's direction.
    pub client_hello: Option<ClientHello>,
    /// The ServerHello, when this is the server's direction.
    pub server_hello: Option<ServerHello>,
    /// A ServerHello carrying the HelloRetryRequest random (RFC 8446 4.1.3).
    pub hello_retry_request: Option<ServerHello>,
    /// The certificates of every Certificate message, in order (decoded with std only).
    pub certificates: Vec<crate::objects::Certificate>,
    /// The server's CertificateRequest, when readable (up to TLS 1.2).
    pub certificate_request: Option<CertificateRequest>,
    /// The server's ServerKeyExchange (TLS 1.2 and older).
    pub server_key_exchange: Option<ServerKeyExchange>,
    /// NewSessionTicket messages, when readable.
    pub new_session_tickets: Vec<NewSessionTicket>,
    /// Alerts that could be read (plaintext ones, and decrypted ones).
    pub alerts: Vec<Alert>,
    /// What a person asks first about this direction.
    pub summary: Summary,
    /// What decrypting this direction with a key log gave; absent when no key was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<Decryption>,
}

impl Tls {
    /// Whether a handshake message of this type (see [`super::iana::handshake_type`]) was seen.
    pub fn has_message(&self, type_code: u8) -> bool {
        self.messages.iter().any(|m| m.type_code == type_code)
    }

    /// The alert records sent after the keys changed, whose description cannot be read (a
    /// decrypted one is in `alerts`).
    pub fn encrypted_alerts(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.encrypted && r.content_type == super::iana::content_type::ALERT)
            .filter(|r| !r.decrypted.as_ref().is_some_and(RecordDecryption::is_plain))
            .count()
    }

    /// Whether a key decrypted at least one record of this direction.
    pub fn was_decrypted(&self) -> bool {
        self.decryption
            .as_ref()
            .is_some_and(|d| d.records_decrypted > 0)
    }
}

/// What decrypting one direction gave.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Decryption {
    /// Protected records that decrypted and authenticated.
    pub records_decrypted: usize,
    /// Protected records that did not authenticate (wrong secret, or changed bytes).
    pub records_failed: usize,
    /// Protected records of an epoch the key log has no secret for.
    pub records_without_secret: usize,
    /// The first bytes of the decrypted application data, when there is any.
    pub application_data: Option<ApplicationData>,
}

/// The start of a direction's decrypted application data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplicationData {
    /// Decrypted application data bytes in the direction.
    pub bytes: usize,
    /// The first line when it is HTTP/1.x: a request line (`GET / HTTP/1.1`) or a status
    /// line (`HTTP/1.1 200 OK`).
    pub http_line: Option<String>,
    /// HTTP/2: the types of the first frames (`SETTINGS`, `HEADERS`, ...), after the client
    /// preface when the client sent one.
    pub h2_frames: Vec<String>,
}

/// What became of one protected record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordDecryption {
    /// "decrypted", "failed" or "no_secret".
    pub status: DecryptStatus,
    /// The real content type (TLS 1.3 hides it inside the plaintext).
    pub content_type: Option<u8>,
    /// Where the plaintext starts in the direction's decrypted bytes.
    pub offset: Option<usize>,
    /// The plaintext's length.
    pub length: usize,
}

impl RecordDecryption {
    /// Whether the record decrypted.
    pub fn is_plain(&self) -> bool {
        self.status == DecryptStatus::Decrypted
    }
}

/// Whether a protected record decrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecryptStatus {
    /// It decrypted and its tag verified.
    Decrypted,
    /// Its tag did not verify, or it was too short: the secret is wrong or the bytes changed.
    Failed,
    /// The key log has no secret for its epoch.
    NoSecret,
}

impl DecryptStatus {
    /// "decrypted", "failed" or "no_secret", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            DecryptStatus::Decrypted => "decrypted",
            DecryptStatus::Failed => "failed",
            DecryptStatus::NoSecret => "no_secret",
        }
    }
}

display_as_str!(DecryptStatus);

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One TLS record.
pub struct Record {
    /// The record's content type (22 = handshake, 21 = alert, ...).
    pub content_type: u8,
    /// The record layer's version field.
    pub version: u16,
    /// The fragment's length (the header's length field).
    pub length: usize,
    /// Offset of the record header in the stream.
    pub offset: usize,
    /// Types of the handshake messages that start in this record.
    pub handshake_types: Vec<u8>,
    /// Whether the fragment is encrypted on the wire.
    pub encrypted: bool,
    /// What decryption with a key log gave, for an encrypted record when a key was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<RecordDecryption>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One handshake message.
pub struct Message {
    #[serde(rename = "type")]
    /// The message type's snake_case name (`client_hello`).
    pub kind: String,
    /// The message type's code.
    pub type_code: u8,
    /// For a message read from decrypted bytes: the index in `records` of the encrypted
    /// record it starts in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted_record: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
/// A ClientHello's fields.
pub struct ClientHello {
    /// The legacy_version field (771 = TLS 1.2).
    pub legacy_version: u16,
    /// The 32-byte random, lowercase hex.
    pub random: String,
    /// The legacy session id, lowercase hex.
    pub session_id: String,
    /// The offered cipher suites, in order, GREASE kept.
    pub cipher_suites: Vec<u16>,
    /// The offered compression methods.
    pub compression_methods: Vec<u8>,
    /// The extension types, in order.
    pub extension_types: Vec<u16>,
    /// The host name of server_name (SNI).
    pub server_name: Option<String>,
    /// The protocols offered by ALPN.
    pub alpn: Vec<String>,
    /// supported_versions, in order.
    pub supported_versions: Vec<u16>,
    /// supported_groups, in order.
    pub supported_groups: Vec<u16>,
    /// signature_algorithms, in order.
    pub signature_algorithms: Vec<u16>,
    /// signature_algorithms_cert, in order.
    pub signature_algorithms_cert: Vec<u16>,
    /// ec_point_formats.
    pub ec_point_formats: Vec<u8>,
    /// Groups of the key_share entries offered.
    pub key_share_groups: Vec<u16>,
    /// psk_key_exchange_modes.
    pub psk_key_exchange_modes: Vec<u8>,
    /// The SSLv2-compatible ClientHello form (no extensions).
    pub sslv2: bool,
    /// The JA3 string before hashing.
    pub ja3_full: String,
    /// The JA3 fingerprint (MD5 of `ja3_full`).
    pub ja3: String,
    /// The JA4 fingerprint.
    pub ja4: String,
    /// JA4 raw (the lists, unhashed).
    pub ja4_r: String,
    /// JA4 with the original order (JA4_o).
    pub ja4_o: String,
    /// JA4 raw with the original order (JA4_ro).
    pub ja4_ro: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
/// A ServerHello's (or HelloRetryRequest's) fields.
pub struct ServerHello {
    /// The legacy version field.
    pub version: u16,
    /// The 32-byte random, lowercase hex.
    pub random: String,
    /// The session id, lowercase hex.
    pub session_id: String,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The chosen compression method.
    pub compression_method: u8,
    /// The extension types, in order.
    pub extension_types: Vec<u16>,
    /// From supported_versions (TLS 1.3); `None` when the extension is absent.
    pub selected_version: Option<u16>,
    /// The protocol chosen by ALPN.
    pub alpn: Option<String>,
    /// The key_share group (TLS 1.3 ServerHello, or the group a HelloRetryRequest asks for).
    pub key_share_group: Option<u16>,
    /// The JA3S string before hashing.
    pub ja3s_full: String,
    /// The JA3S fingerprint (MD5 of `ja3s_full`).
    pub ja3s: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
/// A CertificateRequest's fields.
pub struct CertificateRequest {
    /// The certificate types (TLS 1.2 and older).
    pub certificate_types: Vec<u8>,
    /// The signature algorithms the server accepts.
    pub signature_algorithms: Vec<u16>,
    /// The names, RFC 4514 text as `openssl -nameopt RFC2253` prints them.
    pub certificate_authorities: Vec<crate::name::Name>,
    /// The TLS 1.3 certificate_request_context, hex.
    pub context: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
/// A ServerKeyExchange's fields.
pub struct ServerKeyExchange {
    /// 3 = named_curve for ECDHE; `None` for DHE and unknown kinds.
    pub curve_type: Option<u8>,
    /// The named group of an ECDHE exchange.
    pub group: Option<u16>,
    /// The server's ephemeral public key, lowercase hex.
    pub public_key: String,
    /// TLS 1.2 carries the scheme; TLS 1.0/1.1 do not.
    pub signature_scheme: Option<u16>,
    /// The signature, lowercase hex.
    pub signature: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
/// A NewSessionTicket's fields (not the ticket).
pub struct NewSessionTicket {
    /// ticket_lifetime in seconds.
    pub lifetime: u32,
    /// TLS 1.3 only.
    pub age_add: Option<u32>,
    /// Length of the opaque ticket.
    pub ticket_length: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// A plaintext alert.
pub struct Alert {
    /// 1 = warning, 2 = fatal.
    pub level: u8,
    /// "warning", "fatal", or "unknown".
    pub level_name: String,
    /// The AlertDescription code.
    pub code: u8,
    /// Its name (`bad_certificate`), else "unknown".
    pub description: String,
    /// Offset of the alert's two bytes in the stream (for a decrypted alert: in the
    /// direction's decrypted bytes).
    pub offset: usize,
    /// For a decrypted alert: the index in `records` of the encrypted record it came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted_record: Option<usize>,
}

/// A TLS endpoint: the side that sent a direction's bytes or an alert, or the side a
/// certificate is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// The version's name ("TLS 1.2").
    pub version_name: Option<String>,
    /// The cipher suite the ServerHello chose.
    pub cipher_suite: Option<u16>,
    /// Its IANA name.
    pub cipher_suite_name: Option<String>,
    /// The protocol the ServerHello chose by ALPN.
    pub alpn: Option<String>,
    /// The host name the ClientHello sent (SNI).
    pub server_name: Option<String>,
    /// Full, resumed, or `None` when one direction cannot tell.
    pub handshake: Option<Handshake>,
    /// The server sent a CertificateRequest (readable up to TLS 1.2).
    pub certificate_request_seen: bool,
    /// Number of certificates in the (first) Certificate message; `Some(0)` for an empty one,
    /// `None` when no plaintext Certificate message was seen.
    pub certificates_sent: Option<usize>,
    /// TLS 1.3: the certificate messages are encrypted and were not decrypted.
    pub certificates_encrypted: bool,
    /// A ChangeCipherSpec record was seen.
    pub change_cipher_spec_seen: bool,
    /// How many records are encrypted.
    pub encrypted_records: usize,
    /// Bytes of application data records.
    pub application_data_bytes: usize,
    /// The alerts as text, encrypted ones counted.
    pub alerts: Vec<String>,
    /// Sentences for the text view.
    pub notes: Vec<String>,
}
