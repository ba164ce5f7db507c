//! The report's `capture` object (docs/report-format.md): the TLS connections of a
//! capture, each direction a `tls` object, with what the packets say about the connection.
//!
//! `connections`, `client`, `server`, `client_to_server` and `server_to_client` are the
//! contract; the other fields say how complete the reading is (packets, bytes, gaps, times)
//! and sum the two directions up the way a person asks about an mTLS handshake.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::finding::Finding;
use crate::tls::model::{Handshake, Tls};

/// A capture file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Capture {
    /// "pcap" or "pcapng".
    pub format: String,
    /// The link layers of the file's interfaces ("Ethernet", "Linux cooked (SLL)", ...).
    pub link_types: Vec<String>,
    /// Every packet in the file.
    pub packets: usize,
    /// The TCP connections that carry TLS (recognised by content, on any port).
    pub connections: Vec<Connection>,
    /// The other TCP connections, listed without decoding.
    pub other_connections: Vec<OtherConnection>,
    /// The key log the connections were decrypted with; absent when none was given and the
    /// file holds no secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_log: Option<KeyLogSummary>,
    /// With field trees and a key log: the plaintext of each decrypted direction and its tree
    /// (the bytes a hex view shows beside the ciphertext). Not in the JSON: the report says
    /// what was decrypted, it does not carry the decrypted traffic.
    #[serde(skip)]
    pub decrypted: Vec<super::DecryptedDirection>,
}

/// A key log as the report shows it: how many secrets, for how many connections, from where;
/// never a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyLogSummary {
    /// The secrets came (also) from the capture's Decryption Secrets Blocks.
    pub from_capture: bool,
    /// Lines that held a secret.
    pub secrets: usize,
    /// Distinct client randoms (connections) with secrets.
    pub client_randoms: usize,
    /// TLS connections of the capture whose client random the key log has.
    pub connections_matched: usize,
    /// TLS connections of which at least one record was decrypted.
    pub connections_decrypted: usize,
    /// Lines that were not used: "line 3: the client random is not 64 hex digits".
    pub problems: Vec<String>,
}

/// What a key log did for one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConnectionDecryption {
    /// The labels the key log has for the connection's client random
    /// (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`, ...): which secrets were present, not their values.
    pub secrets: Vec<String>,
    /// Why nothing could be decrypted, when that is so.
    pub unusable: Option<String>,
    /// Encrypted records decrypted, both directions.
    pub records_decrypted: usize,
    /// Encrypted records that did not authenticate, both directions.
    pub records_failed: usize,
    /// Encrypted records of an epoch without a secret, both directions.
    pub records_without_secret: usize,
}

/// One TLS connection.
#[derive(Clone, Debug, Serialize)]
pub struct Connection {
    /// "ip:port"; IPv6 as "[::1]:443".
    pub client: String,
    /// The server's "ip:port".
    pub server: String,
    /// How the client was told from the server.
    pub client_by: ClientBy,
    /// The number (from 1) of the connection's first packet in the file.
    pub first_packet: usize,
    /// Packets of the connection in the file.
    pub packets: usize,
    /// RFC 3339 UTC times of the first and last packets, with nanoseconds.
    pub first_time: Option<String>,
    /// Time of the last packet, likewise.
    pub last_time: Option<String>,
    /// Reassembled bytes captured in each direction (gaps excluded).
    pub bytes_client_to_server: usize,
    /// Reassembled bytes from the server (gaps excluded).
    pub bytes_server_to_client: usize,
    /// Bytes missing from the capture.
    pub gaps: Vec<GapReport>,
    /// Both directions summed up.
    pub summary: ConnectionSummary,
    /// The client's bytes, decoded up to the first gap.
    pub client_to_server: Tls,
    /// The server's bytes, decoded up to the first gap.
    pub server_to_client: Tls,
    /// TCP findings and the findings of both TLS directions (prefixed with the direction).
    pub findings: Vec<Finding>,
    /// What the key log did for this connection; absent when no key log was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<ConnectionDecryption>,
}

/// Bytes missing from one direction of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GapReport {
    /// The direction the bytes are missing from.
    pub direction: Direction,
    /// The position in that direction's stream where the bytes are missing.
    pub offset: usize,
    /// How many bytes are missing, as the sequence numbers say.
    pub len: u64,
    /// The number of the first packet after the gap.
    pub before_packet: usize,
}

/// Both directions of a handshake summed up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConnectionSummary {
    /// The negotiated version (771 = TLS 1.2, 772 = TLS 1.3), from the ServerHello.
    pub version: Option<u16>,
    /// The version's name ("TLS 1.2").
    pub version_name: Option<String>,
    /// The chosen cipher suite's code.
    pub cipher_suite: Option<u16>,
    /// The chosen cipher suite's IANA name.
    pub cipher_suite_name: Option<String>,
    /// The protocol the server chose by ALPN.
    pub alpn: Option<String>,
    /// The host name the client sent (SNI).
    pub server_name: Option<String>,
    /// Full, resumed, or `None` when the bytes do not tell.
    pub handshake: Option<Handshake>,
    /// The server sent a CertificateRequest (readable up to TLS 1.2, or decrypted).
    pub client_certificate_requested: bool,
    /// What the client's Certificate message held; `None` before the handshake got there.
    pub client_certificate: Option<ClientCertificate>,
    /// Every readable alert with who sent it: "server: fatal bad_certificate".
    pub alerts: Vec<String>,
}

summary_line_parts!(ConnectionSummary);

/// A TCP connection that carries no TLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OtherConnection {
    /// The client's "ip:port".
    pub client: String,
    /// The server's "ip:port".
    pub server: String,
    /// The number (from 1) of the connection's first packet in the file.
    pub first_packet: usize,
    /// Packets of the connection in the file.
    pub packets: usize,
    /// Bytes captured from the client.
    pub bytes_client_to_server: usize,
    /// Bytes captured from the server.
    pub bytes_server_to_client: usize,
}

/// How the client side of a connection was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientBy {
    /// It sent the SYN.
    Syn,
    /// It received the SYN-ACK.
    SynAck,
    /// Its stream starts with a ClientHello.
    ClientHello,
    /// Its port is the higher one while the other is below 1024.
    WellKnownPort,
    /// It sent the first packet (as tshark's "follow" calls node 0).
    FirstPacket,
}

impl ClientBy {
    /// The JSON value: "syn", "syn_ack", "client_hello", "well_known_port", "first_packet".
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientBy::Syn => "syn",
            ClientBy::SynAck => "syn_ack",
            ClientBy::ClientHello => "client_hello",
            ClientBy::WellKnownPort => "well_known_port",
            ClientBy::FirstPacket => "first_packet",
        }
    }
}
display_as_str!(ClientBy);

/// One direction of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The client's bytes.
    ClientToServer,
    /// The server's bytes.
    ServerToClient,
}

impl Direction {
    /// "client_to_server" or "server_to_client", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::ClientToServer => "client_to_server",
            Direction::ServerToClient => "server_to_client",
        }
    }
}
display_as_str!(Direction);

/// What happened to the client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientCertificate {
    /// A Certificate message with at least one certificate.
    Sent,
    /// A Certificate message with no certificate.
    Empty,
    /// No Certificate message before the ClientKeyExchange.
    NotSent,
    /// TLS 1.3: the certificate messages are encrypted and were not decrypted.
    Encrypted,
}

impl ClientCertificate {
    /// "sent", "empty", "not_sent" or "encrypted", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientCertificate::Sent => "sent",
            ClientCertificate::Empty => "empty",
            ClientCertificate::NotSent => "not_sent",
            ClientCertificate::Encrypted => "encrypted",
        }
    }
}
display_as_str!(ClientCertificate);
