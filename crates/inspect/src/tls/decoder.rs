//! The record-by-record walk over one direction: which records are encrypted, what the
//! plaintext ones hold, and the state that decides it.
//!
//! One direction cannot see what the other side chose, so the rules are: application data is
//! always encrypted; after a ChangeCipherSpec in this direction, handshake, alert and heartbeat
//! records are encrypted (except a plaintext-looking second ClientHello after a TLS 1.3
//! compatibility CCS, which OpenSSL sends after a HelloRetryRequest); after a ServerHello that
//! selects TLS 1.3, handshake records are encrypted. A 2-byte alert is always read: an
//! encrypted one is never that short.
//!
//! With a key log's keys (a [`Decrypter`]), every encrypted record is decrypted: its plaintext
//! is appended to the direction's decrypted bytes and decoded like a plaintext record, with a
//! second reassembly (a handshake message never spans a key change, RFC 8446 5.1) and a second
//! tree whose spans index the decrypted bytes; each message and alert names the record it
//! came from.

use alloc::format;
use alloc::vec::Vec;

use super::codec::hex_short;
use super::model;
use super::names::{self, describe16, describe8};
use super::reassembly::Reassembly;
use super::record::{self, ContentType, RawRecord};
use crate::decrypt::{Decrypter, FailReason, Opened};
use crate::finding::{Code, Finding};
use crate::span::{Node, Span};
use crate::time::Timestamp;

/// Decrypted application data kept to name its protocol (HTTP/1.x line, HTTP/2 frames).
const APPLICATION_PREVIEW: usize = 4096;

/// The decoding state of one direction.
#[derive(Debug, Default)]
pub(super) struct Decoder {
    /// Only certificate validity (std) reads it.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub now: Option<Timestamp>,
    /// The caller keeps the field trees: build the nodes (else `tree` and `plain_tree` stay
    /// empty, and no value is formatted for a node).
    pub trees: bool,
    /// Certificates decoded before (by this decoder's caller, in earlier connections).
    pub certificates: super::CertificateCache,
    pub tls: model::Tls,
    /// One node per record; handshake messages hang under the record they start in.
    pub tree: Vec<Node>,
    pub findings: Vec<Finding>,
    pub after_ccs: bool,
    /// A ServerHello selected TLS 1.3: the rest of this direction's handshake is encrypted.
    pub tls13: bool,
    /// The ClientHello offered TLS 1.3.
    pub offered13: bool,
    /// The version the ServerHello negotiated, when seen.
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    pub reasm: Reassembly,
    /// The keys of this direction, when a key log has them.
    pub decrypter: Option<Decrypter>,
    /// Every decrypted record's plaintext, in order: the spans of `plain_tree` index it.
    pub plaintext: Vec<u8>,
    /// One node per decrypted record (named like the encrypted record it came from).
    pub plain_tree: Vec<Node>,
    /// The record index of each node of `plain_tree`.
    pub plain_records: Vec<usize>,
    /// The reassembly of decrypted handshake messages.
    pub plain_reasm: Reassembly,
    /// The message being decoded comes from decrypted bytes.
    pub in_plaintext: bool,
    /// The first decrypted application data bytes.
    pub application: Vec<u8>,
    /// Failures by reason, for one finding each.
    pub failures: Vec<(FailReason, usize, usize)>,
}

impl Decoder {
    pub fn run(&mut self, bytes: &[u8]) {
        let (records, findings) = record::split(bytes);
        self.findings.extend(findings);
        for (index, rec) in records.iter().enumerate() {
            self.record(index, rec);
        }
        self.finish();
    }

    fn record(&mut self, index: usize, rec: &RawRecord<'_>) {
        let ct = u8::from(rec.content_type);
        // A server's CCS after a HelloRetryRequest is the TLS 1.3 compatibility one: the
        // ServerHello that follows is still plaintext.
        let ccs_keys = self.after_ccs && self.tls.hello_retry_request.is_none();
        let keys = ccs_keys || self.tls13;
        let encrypted = match rec.content_type {
            ContentType::ApplicationData => true,
            ContentType::Handshake => {
                keys && !(ccs_keys
                    && !self.tls13
                    && self.offered13
                    && plain_client_hello(rec.fragment))
            }
            ContentType::Alert => keys && rec.length != 2,
            ContentType::Heartbeat => keys,
            ContentType::ChangeCipherSpec | ContentType::Unknown(_) => false,
        };
        let opened = match &mut self.decrypter {
            Some(d) if encrypted && rec.content_type != ContentType::ChangeCipherSpec => {
                let [v1, v2] = rec.version.to_be_bytes();
                let [l1, l2] = u16::try_from(rec.length).unwrap_or(u16::MAX).to_be_bytes();
                Some(if rec.truncated {
                    Opened::Failed(FailReason::Short)
                } else {
                    d.open([ct, v1, v2, l1, l2], rec.fragment)
                })
            }
            _ => None,
        };
        self.tls.records.push(model::Record {
            content_type: ct,
            version: rec.version,
            length: rec.length,
            offset: rec.span.offset,
            handshake_types: Vec::new(),
            encrypted,
            decrypted: None,
        });
        let mut node = if self.trees {
            record_node(index, rec, encrypted)
        } else {
            Node::default()
        };
        let body = Span::new(rec.fragment_offset, rec.fragment.len());
        if let Some(opened) = opened {
            // Findings about decrypted bytes have no place in the stream: no span.
            let first = self.findings.len();
            self.opened(index, rec, opened, &mut node);
            for f in self.findings.iter_mut().skip(first) {
                f.span = None;
            }
        }
        if encrypted {
            if rec.content_type == ContentType::ApplicationData {
                self.tls.summary.application_data_bytes += rec.length;
            }
            self.tls.summary.encrypted_records += 1;
            if self.trees {
                let what = match rec.content_type {
                    ContentType::Handshake => "encrypted_handshake_message",
                    ContentType::Alert => "encrypted_alert",
                    _ => "encrypted_data",
                };
                node.push(Node::new(what, format!("{} bytes", rec.length), body));
            }
            if rec.content_type == ContentType::Handshake && self.reasm.pending() > 0 {
                self.reasm.discard_pending();
                self.findings.push(Finding::warning(
                    Code::TruncatedHandshake,
                    "A handshake message was still incomplete when encrypted records began.",
                ));
            }
            self.push_record(node);
            return;
        }
        match rec.content_type {
            ContentType::ChangeCipherSpec => {
                self.after_ccs = true;
                self.tls.summary.change_cipher_spec_seen = true;
                if self.trees {
                    let v = hex_short(rec.fragment, 8);
                    node.push(Node::new("change_cipher_spec", v, body));
                }
            }
            ContentType::Alert => self.alerts(rec, &mut node),
            ContentType::Heartbeat if self.trees => {
                let kind = match rec.fragment.first() {
                    Some(1) => "heartbeat_request (1)",
                    Some(2) => "heartbeat_response (2)",
                    _ => "unknown",
                };
                node.push(Node::new("heartbeat", kind, body));
            }
            ContentType::Handshake => {
                self.push_record(node);
                if rec.sslv2 {
                    self.sslv2_hello(index, rec);
                } else {
                    self.reasm.push(rec.fragment, rec.fragment_offset, index);
                    while let Some(msg) = self.reasm.next_complete() {
                        self.handshake(msg);
                    }
                }
                return;
            }
            ContentType::ApplicationData | ContentType::Unknown(_) if self.trees => {
                node.push(Node::new("data", hex_short(rec.fragment, 32), body));
            }
            _ => {}
        }
        self.push_record(node);
    }

    /// A record's node, into the tree when there is one.
    fn push_record(&mut self, node: Node) {
        if self.trees {
            self.tree.push(node);
        }
    }

    fn alerts(&mut self, rec: &RawRecord<'_>, node: &mut Node) {
        let mut pairs = rec.fragment.chunks_exact(2);
        let mut at = rec.fragment_offset;
        for pair in &mut pairs {
            let [level, code] = *pair else { continue };
            let level_name = names::alert_level(level).unwrap_or("unknown");
            let description = names::alert(code).unwrap_or("unknown");
            if self.trees {
                let mut n = Node::new(
                    "alert",
                    format!("{level_name} {description}"),
                    Span::new(at, 2),
                );
                n.push(Node::new(
                    "level",
                    describe8(level, names::alert_level),
                    Span::new(at, 1),
                ));
                n.push(Node::new(
                    "description",
                    describe8(code, names::alert),
                    Span::new(at + 1, 1),
                ));
                node.push(n);
            }
            self.tls.alerts.push(model::Alert {
                level,
                level_name: level_name.into(),
                code,
                description: description.into(),
                offset: at,
                decrypted_record: None,
            });
            at += 2;
        }
        if !pairs.remainder().is_empty() || rec.fragment.is_empty() {
            self.findings.push(
                Finding::warning(
                    Code::MalformedAlert,
                    format!(
                        "The alert record at offset {} holds {} bytes; alerts are 2 bytes each.",
                        rec.span.offset,
                        rec.fragment.len()
                    ),
                )
                .at(rec.span),
            );
        }
    }

    /// What decrypting record `index` gave: the record's report entry, the counts, and the
    /// plaintext decoded by its real content type.
    fn opened(&mut self, index: usize, rec: &RawRecord<'_>, opened: Opened, node: &mut Node) {
        let body = Span::new(rec.fragment_offset, rec.fragment.len());
        let stats = self.tls.decryption.get_or_insert_with(Default::default);
        let (status, plain) = match opened {
            Opened::Plain(ct, plain) => {
                stats.records_decrypted += 1;
                (model::DecryptStatus::Decrypted, Some((ct, plain)))
            }
            Opened::Failed(why) => {
                stats.records_failed += 1;
                match self.failures.iter_mut().find(|f| f.0 == why) {
                    Some(f) => f.2 += 1,
                    None => self.failures.push((why, index, 1)),
                }
                (model::DecryptStatus::Failed, None)
            }
            Opened::NoKey => {
                stats.records_without_secret += 1;
                (model::DecryptStatus::NoSecret, None)
            }
        };
        let Some((ct, plain)) = plain else {
            if let Some(r) = self.tls.records.get_mut(index) {
                r.decrypted = Some(model::RecordDecryption {
                    status,
                    content_type: None,
                    offset: None,
                    length: 0,
                });
            }
            let why = if status == model::DecryptStatus::Failed {
                "did not decrypt"
            } else {
                "no secret"
            };
            node.push(Node::new("decryption", why, body));
            return;
        };
        let offset = self.plaintext.len();
        self.plaintext.extend_from_slice(&plain);
        if let Some(r) = self.tls.records.get_mut(index) {
            r.decrypted = Some(model::RecordDecryption {
                status,
                content_type: Some(ct),
                offset: Some(offset),
                length: plain.len(),
            });
        }
        let name = names::content_type(ct).unwrap_or("unknown");
        let span = Span::new(offset, plain.len());
        node.push(Node::new(
            "decrypted",
            format!("{name} ({ct}), {} bytes", plain.len()),
            body,
        ));
        let mut plain_node = Node::new(
            format!("record {index}"),
            format!("{name} (decrypted), {} bytes", plain.len()),
            span,
        );
        plain_node.push(Node::new(
            "content_type",
            describe8(ct, names::content_type),
            span,
        ));
        self.in_plaintext = true;
        match ContentType::from(ct) {
            ContentType::Handshake => {
                self.plain_tree.push(plain_node);
                self.plain_records.push(index);
                self.plain_reasm.push(&plain, offset, index);
                while let Some(msg) = self.plain_reasm.next_complete() {
                    self.plain_handshake(msg);
                }
                self.in_plaintext = false;
                return;
            }
            ContentType::Alert => {
                let first = self.tls.alerts.len();
                let raw = RawRecord {
                    content_type: ContentType::Alert,
                    version: rec.version,
                    length: plain.len(),
                    span,
                    fragment: &plain,
                    fragment_offset: offset,
                    truncated: false,
                    sslv2: false,
                };
                self.alerts(&raw, &mut plain_node);
                for a in self.tls.alerts.iter_mut().skip(first) {
                    a.decrypted_record = Some(index);
                }
            }
            ContentType::ApplicationData => {
                let room = APPLICATION_PREVIEW.saturating_sub(self.application.len());
                self.application
                    .extend_from_slice(plain.get(..room.min(plain.len())).unwrap_or_default());
                let app = stats_app(&mut self.tls);
                app.bytes += plain.len();
                plain_node.push(Node::new("data", hex_short(&plain, 32), span));
            }
            _ => plain_node.push(Node::new("data", hex_short(&plain, 32), span)),
        }
        self.in_plaintext = false;
        self.plain_tree.push(plain_node);
        self.plain_records.push(index);
    }

    /// A message of the decrypted bytes; an EndOfEarlyData, a Finished or a KeyUpdate moves the
    /// keys on.
    fn plain_handshake(&mut self, msg: super::reassembly::Message) {
        let complete = msg.complete;
        self.handshake_from(msg, true);
        if let (Some(d), true) = (&mut self.decrypter, complete) {
            match msg.kind {
                5 => d.end_of_early_data(),
                20 => d.finished(),
                24 => d.key_update(),
                _ => {}
            }
        }
    }

    /// Whether the message being decoded comes from decrypted bytes.
    pub fn in_plaintext(&self) -> bool {
        self.in_plaintext
    }

    /// Attaches a node to the record it belongs to (for a decrypted message, to that record's
    /// node of the decrypted tree).
    pub fn attach(&mut self, record: usize, node: Node) {
        if self.in_plaintext {
            let at = self.plain_records.iter().rposition(|&r| r == record);
            if let Some(r) = at.and_then(|at| self.plain_tree.get_mut(at)) {
                r.push(node);
            }
        } else if let Some(r) = self.tree.get_mut(record) {
            r.push(node);
        }
    }

    fn finish(&mut self) {
        if let Some(msg) = self.reasm.take_incomplete() {
            self.handshake(msg);
        }
        if let Some(msg) = self.plain_reasm.take_incomplete() {
            let first = self.findings.len();
            self.in_plaintext = true;
            self.handshake_from(msg, true);
            self.in_plaintext = false;
            for f in self.findings.iter_mut().skip(first) {
                f.span = None;
            }
        }
        for &(why, first, count) in &self.failures {
            let reason = match why {
                FailReason::Authentication => {
                    "their authentication tag does not verify: the key log's secret is not this \
                     connection's, or the bytes were changed"
                }
                FailReason::Short => "they are too short or cut short by the capture",
                FailReason::NoContentType => "their plaintext holds no content type",
            };
            self.findings.push(Finding::warning(
                Code::DecryptionFailed,
                format!(
                    "{count} encrypted record(s) did not decrypt (the first is record {first}): \
                     {reason}; they are reported as failed, not guessed."
                ),
            ));
        }
        if let Some(d) = &mut self.tls.decryption {
            if d.records_without_secret > 0 {
                self.findings.push(Finding::info(
                    Code::SecretsMissing,
                    format!(
                        "{} encrypted record(s) belong to keys the key log has no secret for.",
                        d.records_without_secret
                    ),
                ));
            }
            if let Some(app) = &mut d.application_data {
                super::appdata::describe(&self.application, app);
            }
        }
        super::summary::fill(&mut self.tls, self.after_ccs, self.offered13);
    }
}

fn stats_app(tls: &mut model::Tls) -> &mut model::ApplicationData {
    tls.decryption
        .get_or_insert_with(Default::default)
        .application_data
        .get_or_insert_with(Default::default)
}

/// A record fragment that is exactly one plaintext ClientHello (type 1, length matching,
/// version 3.x): after a TLS 1.3 compatibility CCS it is the retried ClientHello.
fn plain_client_hello(fragment: &[u8]) -> bool {
    match fragment {
        [1, a, b, c, 3, minor, ..] => {
            let len = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
            len + 4 == fragment.len() && *minor <= 4
        }
        _ => false,
    }
}

fn record_node(index: usize, rec: &RawRecord<'_>, encrypted: bool) -> Node {
    let ct = u8::from(rec.content_type);
    let name = names::content_type(ct).unwrap_or("unknown");
    let version = if rec.sslv2 {
        "SSLv2-compatible"
    } else {
        names::version(rec.version).unwrap_or("unknown version")
    };
    let value = format!(
        "{name}{}, {version}, {} bytes",
        if encrypted { " (encrypted)" } else { "" },
        rec.length
    );
    let mut node = Node::new(format!("record {index}"), value, rec.span);
    let start = rec.span.offset;
    if rec.sslv2 {
        node.push(Node::new(
            "length",
            format!("{}", rec.length),
            Span::new(start, 2),
        ));
        return node;
    }
    node.push(Node::new(
        "content_type",
        describe8(ct, names::content_type),
        Span::new(start, 1),
    ));
    node.push(Node::new(
        "version",
        describe16(rec.version, names::version),
        Span::new(start + 1, 2),
    ));
    node.push(Node::new(
        "length",
        format!("{}", rec.length),
        Span::new(start + 3, 2),
    ));
    node
}
