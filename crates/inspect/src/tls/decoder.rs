//! The record-by-record walk over one direction: which records are encrypted, what the
//! plaintext ones hold, and the state that decides it.
//!
//! One direction cannot see what the other side chose, so the rules are: application data is
//! always encrypted; after a ChangeCipherSpec in this direction, handshake, alert and heartbeat
//! records are encrypted (except a plaintext-looking second ClientHello after a TLS 1.3
//! compatibility CCS, which OpenSSL sends after a HelloRetryRequest); after a ServerHello that
//! selects TLS 1.3, handshake records are encrypted. A 2-byte alert is always read: an
//! encrypted one is never that short.

use alloc::format;
use alloc::vec::Vec;

use super::codec::hex_short;
use super::model;
use super::names::{self, describe16, describe8};
use super::reassembly::Reassembly;
use super::record::{self, ContentType, RawRecord};
use crate::finding::{Code, Finding};
use crate::span::{Node, Span};
use crate::time::Timestamp;

/// The decoding state of one direction.
#[derive(Debug, Default)]
pub(super) struct Decoder {
    /// Only certificate validity (std) reads it.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub now: Option<Timestamp>,
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
        self.tls.records.push(model::Record {
            content_type: ct,
            version: rec.version,
            length: rec.length,
            offset: rec.span.offset,
            handshake_types: Vec::new(),
            encrypted,
        });
        let mut node = record_node(index, rec, encrypted);
        let body = Span::new(rec.fragment_offset, rec.fragment.len());
        if encrypted {
            if rec.content_type == ContentType::ApplicationData {
                self.tls.summary.application_data_bytes += rec.length;
            }
            self.tls.summary.encrypted_records += 1;
            let what = match rec.content_type {
                ContentType::Handshake => "encrypted_handshake_message",
                ContentType::Alert => "encrypted_alert",
                _ => "encrypted_data",
            };
            node.push(Node::new(what, format!("{} bytes", rec.length), body));
            if rec.content_type == ContentType::Handshake && self.reasm.pending() > 0 {
                self.reasm.discard_pending();
                self.findings.push(Finding::warning(
                    Code::TruncatedHandshake,
                    "A handshake message was still incomplete when encrypted records began.",
                ));
            }
            self.tree.push(node);
            return;
        }
        match rec.content_type {
            ContentType::ChangeCipherSpec => {
                self.after_ccs = true;
                self.tls.summary.change_cipher_spec_seen = true;
                let v = hex_short(rec.fragment, 8);
                node.push(Node::new("change_cipher_spec", v, body));
            }
            ContentType::Alert => self.alerts(rec, &mut node),
            ContentType::Heartbeat => {
                let kind = match rec.fragment.first() {
                    Some(1) => "heartbeat_request (1)",
                    Some(2) => "heartbeat_response (2)",
                    _ => "unknown",
                };
                node.push(Node::new("heartbeat", kind, body));
            }
            ContentType::Handshake => {
                self.tree.push(node);
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
            ContentType::ApplicationData | ContentType::Unknown(_) => {
                node.push(Node::new("data", hex_short(rec.fragment, 32), body));
            }
        }
        self.tree.push(node);
    }

    fn alerts(&mut self, rec: &RawRecord<'_>, node: &mut Node) {
        let mut pairs = rec.fragment.chunks_exact(2);
        let mut at = rec.fragment_offset;
        for pair in &mut pairs {
            let [level, code] = *pair else { continue };
            let level_name = names::alert_level(level).unwrap_or("unknown");
            let description = names::alert(code).unwrap_or("unknown");
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
            self.tls.alerts.push(model::Alert {
                level,
                level_name: level_name.into(),
                code,
                description: description.into(),
                offset: at,
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

    /// Attaches a node to the record it belongs to.
    pub fn attach(&mut self, record: usize, node: Node) {
        if let Some(r) = self.tree.get_mut(record) {
            r.push(node);
        }
    }

    fn finish(&mut self) {
        if let Some(msg) = self.reasm.take_incomplete() {
            self.handshake(msg);
        }
        super::summary::fill(&mut self.tls, self.after_ccs, self.offered13);
    }
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
