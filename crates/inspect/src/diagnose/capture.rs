//! The handshake diagnosis of a capture, connection by connection (`mtlskit diagnose
//! CAPTURE`): how each TLS handshake ended, which certificate the client sent, which CAs the
//! server asked for, the alert that ended it, and the findings that say why.
//!
//! Nothing here reads bytes or decides anew: it gathers what the capture reader decoded (in
//! the clear, or decrypted with a key log) and the findings [`super::handshake::connection`]
//! already added to each connection, and says how the handshake ended from the messages and
//! alerts that are readable. A TLS 1.3 handshake that was not decrypted and ended without a
//! readable alert is `unknown`: its end is encrypted, and nothing is guessed beyond the
//! findings' own size reading.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::capture::model::{Capture, Connection, KeyLogSummary};
use crate::finding::{Code, Finding, Severity};
use crate::name::Name;
use crate::tls::iana::{alert, handshake_type, version::TLS13};
use crate::tls::model::{Alert, Role, Tls};

/// How one captured handshake ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Both sides finished the handshake (their Finished messages were read, or in TLS 1.2
    /// without a key log both sent ChangeCipherSpec) and neither sent a fatal alert.
    Completed,
    /// A side sent a fatal alert, or a finding of severity error says why the handshake
    /// failed.
    Failed,
    /// The readable bytes do not tell: TLS 1.3 not decrypted, or a capture cut short.
    Unknown,
    /// The capture holds no ClientHello of the connection: the client sent none (a port or
    /// health check that connects and closes), or the capture started after it.
    NoHandshake,
}

impl Outcome {
    /// "completed", "failed" or "unknown", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::NoHandshake => "no_handshake",
        }
    }
}
display_as_str!(Outcome);

/// How much of a connection's handshake could be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Readable {
    /// Nothing of the handshake is encrypted that matters here (TLS 1.2 and older).
    Clear,
    /// Records were decrypted with a key log (given, or in the capture).
    Decrypted,
    /// TLS 1.3 without usable secrets: the certificate messages and alerts are encrypted.
    Encrypted,
}

impl Readable {
    /// "clear", "decrypted" or "encrypted", as the JSON writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Readable::Clear => "clear",
            Readable::Decrypted => "decrypted",
            Readable::Encrypted => "encrypted",
        }
    }
}
display_as_str!(Readable);

/// The alert that ended a handshake, and who sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndingAlert {
    /// The side that sent it.
    pub sender: Role,
    /// "fatal" or "warning".
    pub level: String,
    /// The AlertDescription code.
    pub code: u8,
    /// Its name (`unknown_ca`).
    pub description: String,
    /// It was read from a decrypted record.
    pub decrypted: bool,
}

impl core::fmt::Display for EndingAlert {
    /// "server: fatal unknown_ca (48)".
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}: {} {} ({})",
            self.sender, self.level, self.description, self.code
        )
    }
}

/// The diagnosis of one TLS connection of a capture.
#[derive(Clone, Debug, Serialize)]
pub struct ConnectionDiagnosis {
    /// The client's "ip:port".
    pub client: String,
    /// The server's "ip:port".
    pub server: String,
    /// The negotiated version's name ("TLS 1.3"), when a ServerHello was read.
    pub version: Option<String>,
    /// The chosen cipher suite's IANA name.
    pub cipher_suite: Option<String>,
    /// The host name the client sent (SNI).
    pub server_name: Option<String>,
    /// How much of the handshake could be read.
    pub readable: Readable,
    /// How the handshake ended.
    pub outcome: Outcome,
    /// The server asked for a client certificate: the CA names of its CertificateRequest
    /// (empty: any CA it trusts); `None` when no CertificateRequest was read.
    pub requested_cas: Option<Vec<Name>>,
    /// The subject of the certificate the client sent (the first of its Certificate message);
    /// `None` when it sent none or the message was not read.
    pub client_certificate: Option<Name>,
    /// That certificate's issuer.
    pub client_certificate_issuer: Option<Name>,
    /// The client's Certificate message held no certificate.
    pub client_certificate_empty: bool,
    /// The first fatal alert (or other than close_notify) either side sent, when one was read.
    pub alert: Option<EndingAlert>,
    /// The connection's findings, errors first: the handshake diagnosis (docs/diagnosis.md,
    /// "From handshakes and captures"), decryption, TCP.
    pub findings: Vec<Finding>,
}

/// The diagnosis of a capture: every TLS connection's, and what concerns the whole file.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureDiagnosis {
    /// Connections whose handshake completed.
    pub completed: usize,
    /// Connections whose handshake failed.
    pub failed: usize,
    /// Connections whose end is not readable.
    pub unknown: usize,
    /// Connections without a ClientHello (port and health checks), not counted as failed.
    pub no_handshake: usize,
    /// One entry per TLS connection, in the order of their first packets.
    pub connections: Vec<ConnectionDiagnosis>,
    /// What the key log did, when one was given or the file holds secrets; never a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_log: Option<KeyLogSummary>,
    /// Findings about the file rather than one connection (no TLS in it, a key log that
    /// matches no connection, unusable key log lines).
    pub findings: Vec<Finding>,
}

/// The diagnosis of a decoded capture. `item_findings` are the capture item's findings as
/// [`crate::inspect_with`] reports them (those of the file, then each connection's prefixed
/// with its endpoints); the file's own are kept.
pub fn capture(capture: &Capture, item_findings: &[Finding]) -> CaptureDiagnosis {
    let connections: Vec<ConnectionDiagnosis> =
        capture.connections.iter().map(connection).collect();
    let prefixes: Vec<String> = capture
        .connections
        .iter()
        .map(|c| format!("{} -> {}: ", c.client, c.server))
        .collect();
    let findings = item_findings
        .iter()
        .filter(|f| !prefixes.iter().any(|p| f.message.starts_with(p.as_str())))
        .cloned()
        .collect();
    let count = |o: Outcome| connections.iter().filter(|c| c.outcome == o).count();
    CaptureDiagnosis {
        completed: count(Outcome::Completed),
        failed: count(Outcome::Failed),
        unknown: count(Outcome::Unknown),
        no_handshake: count(Outcome::NoHandshake),
        key_log: capture.key_log.clone(),
        connections,
        findings,
    }
}

/// The diagnosis of one connection, from its decoded directions and findings.
pub fn connection(c: &Connection) -> ConnectionDiagnosis {
    let (client, server) = (&c.client_to_server, &c.server_to_client);
    let decrypted = client.was_decrypted() || server.was_decrypted();
    let tls13 = c.summary.version == Some(TLS13);
    let readable = if decrypted {
        Readable::Decrypted
    } else if tls13 {
        Readable::Encrypted
    } else {
        Readable::Clear
    };
    let alert = ending_alert(client, server);
    let failed_finding = c
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.code != Code::DecryptionFailed);
    let finished = |t: &Tls| t.has_message(handshake_type::FINISHED);
    let completed = if finished(client) && finished(server) {
        true
    } else {
        // TLS 1.2 and older without a key log: the Finished messages are encrypted, but each
        // side's ChangeCipherSpec says it got there.
        !tls13
            && !decrypted
            && server.server_hello.is_some()
            && client.summary.change_cipher_spec_seen
            && server.summary.change_cipher_spec_seen
    };
    let outcome = if client.client_hello.is_none() {
        Outcome::NoHandshake
    } else if alert.is_some() || failed_finding {
        Outcome::Failed
    } else if completed {
        Outcome::Completed
    } else {
        Outcome::Unknown
    };
    let leaf = client.certificates.first();
    // Errors first: the handshake diagnosis before decryption and TCP notes.
    let mut findings = c.findings.clone();
    findings.sort_by_key(|f| core::cmp::Reverse(f.severity));
    ConnectionDiagnosis {
        client: c.client.clone(),
        server: c.server.clone(),
        version: c.summary.version_name.clone(),
        cipher_suite: c.summary.cipher_suite_name.clone(),
        server_name: c.summary.server_name.clone(),
        readable,
        outcome,
        requested_cas: server
            .certificate_request
            .as_ref()
            .map(|r| r.certificate_authorities.clone()),
        client_certificate: leaf.map(|l| l.subject.clone()),
        client_certificate_issuer: leaf.map(|l| l.issuer.clone()),
        client_certificate_empty: client.summary.certificates_sent == Some(0),
        alert,
        findings,
    }
}

/// The first alert that is not a close_notify, the server's first when both sent one (a
/// client's answer to the server's refusal is not the cause).
fn ending_alert(client: &Tls, server: &Tls) -> Option<EndingAlert> {
    let first = |t: &Tls, sender: Role| {
        t.alerts
            .iter()
            .find(|a| a.level == 2 || a.code != alert::CLOSE_NOTIFY)
            .map(|a: &Alert| EndingAlert {
                sender,
                level: a.level_name.clone(),
                code: a.code,
                description: a.description.clone(),
                decrypted: a.decrypted_record.is_some(),
            })
    };
    first(server, Role::Server).or_else(|| first(client, Role::Client))
}
