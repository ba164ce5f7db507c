//! From reassembled TCP streams to the report's `capture` object: TLS recognised by content,
//! each direction decoded, both directions summed up, and every span moved from stream
//! offsets to file offsets so the hex view of the capture can highlight a field.
//!
//! A direction is decoded up to its first gap: after missing bytes the record boundaries are
//! unknown, so decoding on would report garbage as records. A finding says what was left out.
//!
//! With a key log (given, or in the file's Decryption Secrets Blocks), a connection whose
//! client random the key log has is decoded a second time with its keys: the ClientHello and
//! ServerHello of the first reading give the randoms, the version and the suite.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::decrypt::{self, Decrypter, KeyLog, Unusable};
use crate::finding::{Code, Finding};
use crate::span::{Node, Span};
use crate::time::Timestamp;
use crate::tls;

use super::model::{
    Capture, ClientCertificate, Connection, ConnectionDecryption, ConnectionSummary, Direction,
    GapReport, KeyLogSummary, OtherConnection,
};
use super::{Chunk, Flow, Read, Stream};
use crate::tls::iana::{handshake_type, version::TLS13};
use crate::tls::model::Role;

/// A capture decoded for the report.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The report object of the capture.
    pub capture: Capture,
    /// Findings about the file, then every connection's findings prefixed with its endpoints.
    pub findings: Vec<Finding>,
    /// One node per TLS connection, a child per direction holding the TLS field tree; spans
    /// are file offsets (a field split across segments is highlighted in its first segment).
    /// A decrypted direction has a third child whose nodes point at the encrypted records they
    /// came from.
    pub tree: Vec<Node>,
    /// With trees and a key log: the decrypted bytes of each decrypted direction, with a tree
    /// whose spans index those bytes.
    pub decrypted: Vec<DecryptedDirection>,
}

/// The decrypted bytes of one direction of one connection.
#[derive(Clone, Debug)]
pub struct DecryptedDirection {
    /// The connection's position in `capture.connections`.
    pub connection: usize,
    /// Whose bytes.
    pub direction: Direction,
    /// Each decrypted record's plaintext, in order (`records[i].decrypted.offset` indexes it).
    pub bytes: Vec<u8>,
    /// One node per decrypted record; spans index `bytes`.
    pub tree: Vec<Node>,
}

/// One finished connection's report, as [`decode_stream`] gives it.
#[derive(Clone, Debug)]
pub enum ConnectionReport {
    /// A connection that carries TLS, decoded.
    Tls(alloc::boxed::Box<TlsConnection>),
    /// A TCP connection that carries no TLS, listed without decoding.
    Other(OtherConnection),
}

impl ConnectionReport {
    /// The number (from 1) of the connection's first packet: the report's order.
    pub fn first_packet(&self) -> usize {
        match self {
            ConnectionReport::Tls(t) => t.connection.first_packet,
            ConnectionReport::Other(o) => o.first_packet,
        }
    }
}

/// A TLS connection decoded, with what the capture's report needs besides the connection.
#[derive(Clone, Debug)]
pub struct TlsConnection {
    /// The report object, the handshake diagnosis included in its findings.
    pub connection: Connection,
    /// The connection's findings for the capture item (prefixed with its endpoints; spans in
    /// the file), diagnosis excluded.
    pub file_findings: Vec<Finding>,
    /// The handshake diagnosis for the capture item (prefixed with the endpoints).
    pub diagnosis: Vec<Finding>,
    /// With trees: the connection's node.
    pub node: Option<Node>,
    /// With trees: each decrypted direction's plaintext and its tree.
    pub decrypted: Vec<(Direction, Vec<u8>, Vec<Node>)>,
}

/// Decodes one finished connection (from [`super::Reader`] or [`super::read`]): TLS is
/// recognised by content; both directions are decoded (decrypted with `key_log` when it has
/// the connection's secrets) and the handshake diagnosed. Independent of every other
/// connection, so front ends may call it on several threads.
pub fn decode_stream(
    stream: Stream,
    now: Option<Timestamp>,
    trees: bool,
    key_log: Option<&KeyLog>,
) -> ConnectionReport {
    ConnectionDecoder::new(now, trees).decode(stream, key_log)
}

/// Decodes finished connections one after another, as [`decode_stream`] does, remembering the
/// certificates it decoded (a bounded [`tls::CertificateCache`]): the connections of a capture
/// repeat the same chains, and decoding a certificate again was most of the time of a
/// connection. A front end that decodes on several threads keeps one per thread. The reports
/// are those of [`decode_stream`], byte for byte.
#[derive(Debug, Default)]
pub struct ConnectionDecoder {
    now: Option<Timestamp>,
    trees: bool,
    certificates: tls::CertificateCache,
}

impl ConnectionDecoder {
    /// A decoder whose reports have the certificates' validity findings at `now`, and field
    /// trees when `trees` is set (front ends that never show them, the CLI, save their time
    /// and memory: no node is built).
    pub fn new(now: Option<Timestamp>, trees: bool) -> ConnectionDecoder {
        ConnectionDecoder {
            now,
            trees,
            certificates: tls::CertificateCache::default(),
        }
    }

    /// Decodes one finished connection: see [`decode_stream`].
    pub fn decode(&mut self, stream: Stream, key_log: Option<&KeyLog>) -> ConnectionReport {
        decode_one(
            stream,
            self.now,
            self.trees,
            key_log,
            &mut self.certificates,
        )
    }
}

fn decode_one(
    stream: Stream,
    now: Option<Timestamp>,
    trees: bool,
    key_log: Option<&KeyLog>,
    certificates: &mut tls::CertificateCache,
) -> ConnectionReport {
    if !tls::looks_like_tls(&stream.client_to_server.bytes)
        && !tls::looks_like_tls(&stream.server_to_client.bytes)
    {
        return ConnectionReport::Other(OtherConnection {
            client: stream.client.to_string(),
            server: stream.server.to_string(),
            first_packet: stream.first_packet,
            packets: stream.packets,
            bytes_client_to_server: flow_len(&stream.client_to_server),
            bytes_server_to_client: flow_len(&stream.server_to_client),
        });
    }
    let (mut connection, node, file_findings, plain) =
        connection(stream, now, key_log, trees, certificates);
    let name = format!("{} -> {}", connection.client, connection.server);
    let prefix = |f: Finding| Finding {
        message: format!("{name}: {}", f.message),
        ..f
    };
    // Why the handshake failed, from both directions.
    let found = crate::diagnose::handshake::connection(
        &connection.client_to_server,
        &connection.server_to_client,
    );
    let diagnosis = found.iter().cloned().map(prefix).collect();
    connection.findings.extend(found);
    ConnectionReport::Tls(alloc::boxed::Box::new(TlsConnection {
        file_findings: file_findings.into_iter().map(prefix).collect(),
        diagnosis,
        node: trees.then_some(node),
        decrypted: if trees { plain } else { Vec::new() },
        connection,
    }))
}

/// Every byte of a direction: those kept, and those only counted.
fn flow_len(flow: &Flow) -> usize {
    flow.bytes
        .len()
        .saturating_add(usize::try_from(flow.not_kept).unwrap_or(usize::MAX))
}

/// The key log to decrypt with: the one given, and the capture's own secrets (from
/// [`super::Reader::key_log`] or the trailer); `None` when neither has any.
pub fn merged_key_log(given: Option<&KeyLog>, from_file: &KeyLog) -> Option<KeyLog> {
    match (given, from_file.is_empty()) {
        (Some(given), false) => {
            let mut all = given.clone();
            all.merge(from_file.clone());
            Some(all)
        }
        (Some(given), true) => Some(given.clone()),
        (None, false) => Some(from_file.clone()),
        (None, true) => None,
    }
}

/// Puts connection reports together into the capture's report, in the order of their first
/// packets whatever order they came in.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    reports: Vec<ConnectionReport>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Adds one connection's report.
    pub fn add(&mut self, report: ConnectionReport) {
        self.reports.push(report);
    }

    /// The capture's report. `given` is the key log the caller decrypted with (not the
    /// file's own secrets, which are in the trailer).
    pub fn finish(self, trailer: super::Trailer, given: Option<&KeyLog>) -> Decoded {
        let from_capture = !trailer.key_log.is_empty();
        let key_log = merged_key_log(given, &trailer.key_log);
        let mut reports = self.reports;
        reports.sort_by_key(ConnectionReport::first_packet);
        let mut capture = Capture {
            format: trailer.format.to_string(),
            link_types: trailer.link_types.iter().map(|l| l.to_string()).collect(),
            packets: trailer.packets,
            ..Capture::default()
        };
        let mut findings = trailer.findings;
        let mut tree = Vec::new();
        let mut decrypted = Vec::new();
        let mut connection_findings = Vec::new();
        let mut diagnosis = Vec::new();
        for report in reports {
            let t = match report {
                ConnectionReport::Other(o) => {
                    capture.other_connections.push(o);
                    continue;
                }
                ConnectionReport::Tls(t) => *t,
            };
            for (direction, bytes, tree) in t.decrypted {
                decrypted.push(DecryptedDirection {
                    connection: capture.connections.len(),
                    direction,
                    bytes,
                    tree,
                });
            }
            connection_findings.extend(t.file_findings);
            diagnosis.extend(t.diagnosis);
            tree.extend(t.node);
            capture.connections.push(t.connection);
        }
        if !capture.other_connections.is_empty() {
            findings.push(Finding::info(
                Code::NotTls,
                format!(
                    "{} TCP connections carry no TLS; they are listed, not decoded",
                    capture.other_connections.len()
                ),
            ));
        }
        if capture.connections.is_empty() {
            findings.push(Finding::warning(
                Code::NoTls,
                "the capture holds no TLS connection",
            ));
        }
        if let Some(log) = &key_log {
            let summary = key_log_summary(log, from_capture, &capture);
            for problem in &summary.problems {
                findings.push(Finding::warning(
                    Code::SecretsMissing,
                    format!("the key log's {problem}; the line is not used"),
                ));
            }
            if summary.connections_matched == 0 && !capture.connections.is_empty() {
                findings.push(Finding::warning(
                    Code::SecretsMissing,
                    format!(
                        "the key log ({} secrets for {} connections) has no secret for any TLS \
                         connection of the capture: it was written for other connections",
                        summary.secrets, summary.client_randoms
                    ),
                ));
            }
            capture.key_log = Some(summary);
        }
        findings.extend(connection_findings);
        findings.extend(diagnosis);
        Decoded {
            capture,
            findings,
            tree,
            decrypted,
        }
    }
}

pub(crate) fn decode(
    read: Read,
    now: Option<Timestamp>,
    trees: bool,
    key_log: Option<&KeyLog>,
) -> Decoded {
    let merged = merged_key_log(key_log, &read.key_log);
    let mut collector = Collector::new();
    let mut decoder = ConnectionDecoder::new(now, trees);
    for stream in read.streams {
        collector.add(decoder.decode(stream, merged.as_ref()));
    }
    let trailer = super::Trailer {
        format: read.format,
        link_types: read.link_types,
        packets: read.packets,
        findings: read.findings,
        key_log: read.key_log,
    };
    collector.finish(trailer, key_log)
}

fn key_log_summary(log: &KeyLog, from_capture: bool, capture: &Capture) -> KeyLogSummary {
    let decryption = || {
        capture
            .connections
            .iter()
            .filter_map(|c| c.decryption.as_ref())
    };
    KeyLogSummary {
        from_capture,
        secrets: log.secret_lines,
        client_randoms: log.client_randoms(),
        connections_matched: decryption().filter(|d| !d.secrets.is_empty()).count(),
        connections_decrypted: decryption().filter(|d| d.records_decrypted > 0).count(),
        problems: log
            .problems
            .iter()
            .map(|(line, why)| format!("line {line}: {why}"))
            .collect(),
    }
}

/// The keys of a connection from the key log, after a first reading gave its hellos.
fn keys(
    log: &KeyLog,
    client: &tls::Tls,
    server: &tls::Tls,
) -> (
    ConnectionDecryption,
    Option<(decrypt::DirectionKeys, decrypt::DirectionKeys)>,
) {
    let mut report = ConnectionDecryption::default();
    let random =
        |hex: &str| -> Option<[u8; 32]> { decrypt::unhex(hex.as_bytes())?.try_into().ok() };
    let client_random = client.client_hello.as_ref().and_then(|c| random(&c.random));
    let hello = server.server_hello.as_ref();
    let server_random = hello.and_then(|s| random(&s.random));
    let secrets = client_random.and_then(|r| log.get(&r));
    if let Some(secrets) = secrets {
        report.secrets = secrets.labels().iter().map(|l| l.to_string()).collect();
    }
    let found = match (client_random, server_random, hello, secrets) {
        (Some(_), Some(_), Some(_), None) => Err(Unusable::NoSecrets),
        (Some(c), Some(s), Some(hello), Some(secrets)) => {
            let version = hello.selected_version.unwrap_or(hello.version);
            // encrypt_then_mac (RFC 7366) in the ServerHello changes how CBC records are read.
            let etm = hello.extension_types.contains(&22);
            decrypt::connection_keys(secrets, version, hello.cipher_suite, etm, &c, &s)
        }
        _ => Err(Unusable::NoHello),
    };
    match found {
        Ok(keys) => (report, Some(keys)),
        Err(why) => {
            report.unusable = Some(why.to_string());
            (report, None)
        }
    }
}

/// A decrypted direction: whose, its plaintext, and its tree over the plaintext.
type Plain = (Direction, Vec<u8>, Vec<Node>);

/// Decodes one TLS connection: the report object, its tree node, its findings with spans
/// in the file, and the decrypted bytes and tree of each decrypted direction.
fn connection(
    stream: Stream,
    now: Option<Timestamp>,
    key_log: Option<&KeyLog>,
    trees: bool,
    certificates: &mut tls::CertificateCache,
) -> (Connection, Node, Vec<Finding>, Vec<Plain>) {
    let decode_flow = |flow: &Flow,
                       keys: Option<decrypt::DirectionKeys>,
                       certificates: &mut tls::CertificateCache| {
        let keys = keys.map(Decrypter::new);
        tls::decode_keyed(decodable(flow), now, keys, trees, certificates)
    };
    let mut decryption = None;
    let mut decoded = None;
    if let Some(log) = key_log {
        // The keys need only the two hellos: read them from the first handshake message of
        // each direction, so a connection with secrets is decoded once (with its keys), not
        // twice. When that reading does not give both hellos (a HelloRetryRequest, an SSLv2
        // hello, a hello cut short), the whole directions are read for them, as before.
        // Hellos only: no certificate to keep (and another `now` would empty the cache).
        let peek = |flow: &Flow| {
            first_message(decodable(flow)).map(|b| {
                let none = &mut tls::CertificateCache::default();
                tls::decode_keyed(&b, None, None, false, none)
            })
        };
        let peeked = (
            peek(&stream.client_to_server),
            peek(&stream.server_to_client),
        );
        let (client_first, server_first) = match peeked {
            (Some(c), Some(s))
                if c.tls.client_hello.is_some()
                    && s.tls.server_hello.is_some()
                    && s.tls.hello_retry_request.is_none() =>
            {
                (c.tls, s.tls)
            }
            _ => {
                let c = decode_flow(&stream.client_to_server, None, certificates);
                let s = decode_flow(&stream.server_to_client, None, certificates);
                let hellos = (c.tls.clone(), s.tls.clone());
                decoded = Some((c, s));
                hellos
            }
        };
        let (mut report, keys) = keys(log, &client_first, &server_first);
        if let Some((client_keys, server_keys)) = keys {
            let client_tls = decode_flow(&stream.client_to_server, Some(client_keys), certificates);
            let server_tls = decode_flow(&stream.server_to_client, Some(server_keys), certificates);
            for d in [&client_tls.tls.decryption, &server_tls.tls.decryption]
                .into_iter()
                .flatten()
            {
                report.records_decrypted += d.records_decrypted;
                report.records_failed += d.records_failed;
                report.records_without_secret += d.records_without_secret;
            }
            decoded = Some((client_tls, server_tls));
        }
        decryption = Some(report);
    }
    let (client_tls, server_tls) = match decoded {
        Some(both) => both,
        None => (
            decode_flow(&stream.client_to_server, None, certificates),
            decode_flow(&stream.server_to_client, None, certificates),
        ),
    };
    let mut findings = stream.findings;
    let mut file_findings = findings.clone();
    if let Some(f) = decryption
        .as_ref()
        .and_then(|d| decryption_finding(d, &client_tls.tls, &server_tls.tls))
    {
        findings.push(f.clone());
        file_findings.push(f);
    }
    let mut gaps = Vec::new();
    let mut decoded = Vec::new();
    let mut children = Vec::new();
    let mut plain = Vec::new();
    for (direction, name, flow, d) in [
        (
            Direction::ClientToServer,
            "client -> server",
            &stream.client_to_server,
            client_tls,
        ),
        (
            Direction::ServerToClient,
            "server -> client",
            &stream.server_to_client,
            server_tls,
        ),
    ] {
        if let Some(gap) = flow.gaps.first() {
            findings.push(Finding::info(
                Code::TlsAfterGap,
                format!(
                    "{name}: the bytes after stream offset {} are not decoded as TLS: {} bytes \
                     before them are missing from the capture",
                    gap.offset, gap.len
                ),
            ));
            if let Some(f) = findings.last() {
                file_findings.push(f.clone());
            }
        }
        for gap in &flow.gaps {
            gaps.push(GapReport {
                direction,
                offset: gap.offset,
                len: gap.len,
                before_packet: gap.packet,
            });
        }
        for f in &d.findings {
            let f = Finding {
                message: format!("{name}: {}", f.message),
                ..f.clone()
            };
            file_findings.push(Finding {
                span: f.span.and_then(|s| to_file(&flow.chunks, s)),
                ..f.clone()
            });
            findings.push(Finding { span: None, ..f });
        }
        if !trees {
            // Without trees (the CLI), the node is dropped: do not map it to the file.
            decoded.push(d.tls);
            continue;
        }
        children.push(
            Node::new(name, format!("{} bytes", flow.bytes.len()), cover(flow))
                .with_children(map_tree(d.tree, &flow.chunks)),
        );
        if !d.plain_tree.is_empty() {
            // In the capture's tree, a decrypted node points at the encrypted record it came
            // from; the decrypted bytes and their own spans are in `Decoded::decrypted`.
            let at_record = |n: &Node| -> Span {
                let index = n
                    .name
                    .strip_prefix("record ")
                    .and_then(|i| i.parse::<usize>().ok());
                index
                    .and_then(|i| d.tls.records.get(i))
                    .and_then(|r| to_file(&flow.chunks, Span::new(r.offset, 5 + r.length)))
                    .unwrap_or_default()
            };
            let records = d
                .plain_tree
                .iter()
                .map(|n| {
                    let span = at_record(n);
                    respan(n.clone(), span)
                })
                .collect();
            children.push(
                Node::new(
                    format!("{name} (decrypted)"),
                    format!("{} bytes", d.plaintext.len()),
                    cover(flow),
                )
                .with_children(records),
            );
            plain.push((direction, d.plaintext, d.plain_tree));
        }
        decoded.push(d.tls);
    }
    let mut decoded = decoded.into_iter();
    let client_to_server = decoded.next().unwrap_or_default();
    let server_to_client = decoded.next().unwrap_or_default();
    let client = stream.client.to_string();
    let server = stream.server.to_string();
    let node_span = union(
        cover(&stream.client_to_server),
        cover(&stream.server_to_client),
    );
    let node =
        Node::new("connection", format!("{client} -> {server}"), node_span).with_children(children);
    let connection = Connection {
        summary: summary(&client_to_server, &server_to_client),
        client,
        server,
        client_by: stream.client_by,
        first_packet: stream.first_packet,
        packets: stream.packets,
        first_time: stream.first_time_ns.map(rfc3339_ns),
        last_time: stream.last_time_ns.map(rfc3339_ns),
        bytes_client_to_server: flow_len(&stream.client_to_server),
        bytes_server_to_client: flow_len(&stream.server_to_client),
        gaps,
        client_to_server,
        server_to_client,
        findings,
        decryption,
    };
    (connection, node, file_findings, plain)
}

/// The bytes of a direction that are decoded: up to its first gap, and, when only part of
/// a long-lived direction was kept, up to the end of the last whole record.
fn decodable(flow: &Flow) -> &[u8] {
    let end = flow.gaps.first().map_or(flow.bytes.len(), |g| g.offset);
    let bytes = flow.bytes.get(..end).unwrap_or_default();
    if flow.not_kept == 0 {
        return bytes;
    }
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 5) {
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if at + 5 + len > bytes.len() {
            break;
        }
        at += 5 + len;
    }
    if at == 0 {
        bytes
    } else {
        bytes.get(..at).unwrap_or_default()
    }
}

/// The first handshake message of a direction as one plaintext record (or several, when it
/// is longer than a record), without the messages after it; `None` when the direction does
/// not start with handshake records whole enough to hold it.
fn first_message(bytes: &[u8]) -> Option<Vec<u8>> {
    const MAX_RECORD: usize = 1 << 14;
    let mut message = Vec::new();
    let mut at = 0;
    let mut version = [3, 3];
    loop {
        let header = bytes.get(at..at + 5)?;
        if header[0] != 0x16 {
            return None;
        }
        if at == 0 {
            version = [header[1], header[2]];
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        message.extend_from_slice(bytes.get(at + 5..at + 5 + len)?);
        at += 5 + len;
        if let Some(&[_, a, b, c]) = message.get(..4) {
            let whole = 4 + (usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c));
            if message.len() >= whole {
                message.truncate(whole);
                break;
            }
        }
        if message.len() > 1 << 20 {
            return None;
        }
    }
    let mut out = Vec::with_capacity(message.len() + 5 * (message.len() / MAX_RECORD + 1));
    for part in message.chunks(MAX_RECORD) {
        out.extend_from_slice(&[0x16, version[0], version[1]]);
        out.extend_from_slice(&(part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    Some(out)
}

/// The one finding about a connection's decryption: what was decrypted with which secrets,
/// or why nothing was. Silent for a connection with nothing encrypted.
fn decryption_finding(
    d: &ConnectionDecryption,
    client: &tls::Tls,
    server: &tls::Tls,
) -> Option<Finding> {
    let encrypted = client.summary.encrypted_records + server.summary.encrypted_records;
    if encrypted == 0 {
        return None;
    }
    let secrets = if d.secrets.is_empty() {
        String::from("none")
    } else {
        d.secrets.join(", ")
    };
    if let Some(why) = &d.unusable {
        return Some(Finding::warning(
            Code::SecretsMissing,
            format!("the {encrypted} encrypted records are not decrypted: {why} (secrets found: {secrets})"),
        ));
    }
    if d.records_decrypted == 0 {
        return Some(Finding::error(
            Code::DecryptionFailed,
            format!(
                "none of the {encrypted} encrypted records decrypted with the key log's secrets ({secrets}): the key log is not this connection's, or the capture changed the bytes"
            ),
        ));
    }
    Some(Finding::info(
        Code::Decrypted,
        format!(
            "{} of {encrypted} encrypted records decrypted with the key log ({secrets})",
            d.records_decrypted
        ),
    ))
}

/// A node and its children, all given `span`.
fn respan(mut node: Node, span: Span) -> Node {
    node.span = span;
    node.children = node.children.into_iter().map(|c| respan(c, span)).collect();
    node
}

/// Both directions summed up: what the server chose, and what happened to the client
/// certificate.
fn summary(client: &tls::Tls, server: &tls::Tls) -> ConnectionSummary {
    let s = &server.summary;
    let c = &client.summary;
    let version = server.server_hello.as_ref().and(s.version);
    let requested = s.certificate_request_seen;
    let client_key_exchange = client.has_message(handshake_type::CLIENT_KEY_EXCHANGE);
    let client_certificate = match (version, c.certificates_sent) {
        (Some(v), _) if v >= TLS13 && !client.was_decrypted() => Some(ClientCertificate::Encrypted),
        (_, Some(0)) => Some(ClientCertificate::Empty),
        (_, Some(_)) => Some(ClientCertificate::Sent),
        (_, None) if client_key_exchange => Some(ClientCertificate::NotSent),
        _ => None,
    };
    let mut alerts = Vec::new();
    for (who, tls) in [(Role::Client, client), (Role::Server, server)] {
        for a in &tls.alerts {
            alerts.push(format!("{who}: {a}"));
        }
        let encrypted = tls.encrypted_alerts();
        if encrypted > 0 {
            alerts.push(format!("{who}: {encrypted} encrypted alert(s)"));
        }
    }
    ConnectionSummary {
        version,
        version_name: version.and(s.version_name.clone()),
        cipher_suite: s.cipher_suite,
        cipher_suite_name: s.cipher_suite_name.clone(),
        alpn: s.alpn.clone(),
        server_name: c.server_name.clone(),
        handshake: s.handshake.or(c.handshake),
        client_certificate_requested: requested,
        client_certificate,
        alerts,
    }
}

/// The file span of a stream span: where its first byte lies, cut at the end of that segment.
fn to_file(chunks: &[Chunk], span: Span) -> Option<Span> {
    let i = chunks.partition_point(|c| c.offset + c.len <= span.offset);
    let c = chunks.get(i)?;
    if span.offset < c.offset {
        return None;
    }
    let skip = span.offset - c.offset;
    Some(Span::new(c.file_offset + skip, span.len.min(c.len - skip)))
}

fn map_tree(nodes: Vec<Node>, chunks: &[Chunk]) -> Vec<Node> {
    nodes
        .into_iter()
        .map(|n| Node {
            span: to_file(chunks, n.span).unwrap_or_default(),
            children: map_tree(n.children, chunks),
            ..n
        })
        .collect()
}

/// The file range from a direction's first captured byte to its last.
fn cover(flow: &Flow) -> Span {
    let start = flow.chunks.iter().map(|c| c.file_offset).min();
    let end = flow.chunks.iter().map(|c| c.file_offset + c.len).max();
    match (start, end) {
        (Some(s), Some(e)) => Span::new(s, e - s),
        _ => Span::default(),
    }
}

fn union(a: Span, b: Span) -> Span {
    match (a.len, b.len) {
        (0, _) => b,
        (_, 0) => a,
        _ => {
            let start = a.offset.min(b.offset);
            Span::new(start, a.end().max(b.end()) - start)
        }
    }
}

/// `2024-01-02T03:04:05.123456789Z`.
fn rfc3339_ns(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let whole = Timestamp(secs).to_rfc3339();
    let stem = whole.strip_suffix('Z').unwrap_or(&whole);
    format!("{stem}.{frac:09}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_spans_map_to_the_segment_they_start_in() {
        let chunks = [
            Chunk {
                offset: 0,
                len: 10,
                file_offset: 100,
                packet: 1,
            },
            Chunk {
                offset: 10,
                len: 5,
                file_offset: 300,
                packet: 3,
            },
        ];
        assert_eq!(to_file(&chunks, Span::new(2, 3)), Some(Span::new(102, 3)));
        assert_eq!(to_file(&chunks, Span::new(8, 6)), Some(Span::new(108, 2)));
        assert_eq!(to_file(&chunks, Span::new(10, 5)), Some(Span::new(300, 5)));
        assert_eq!(to_file(&chunks, Span::new(15, 1)), None);
        assert_eq!(
            rfc3339_ns(1_500_000_000_000_000_007),
            "2017-07-14T02:40:00.000000007Z"
        );
    }
}
