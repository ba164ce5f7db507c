//! From reassembled TCP streams to the report's `capture` object: TLS recognised by content,
//! each direction decoded, both directions summed up, and every span moved from stream
//! offsets to file offsets so the hex view of the capture can highlight a field.
//!
//! A direction is decoded up to its first gap: after missing bytes the record boundaries are
//! unknown, so decoding on would report garbage as records. A finding says what was left out.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::finding::{Code, Finding};
use crate::span::{Node, Span};
use crate::time::Timestamp;
use crate::tls;

use super::model::{
    Capture, ClientCertificate, Connection, ConnectionSummary, Direction, GapReport,
    OtherConnection,
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
    pub tree: Vec<Node>,
}

pub(crate) fn decode(read: Read, now: Option<Timestamp>, trees: bool) -> Decoded {
    let mut capture = Capture {
        format: read.format.to_string(),
        link_types: read.link_types.iter().map(|l| l.to_string()).collect(),
        packets: read.packets,
        ..Capture::default()
    };
    let mut findings = read.findings;
    let mut tree = Vec::new();
    let mut connection_findings = Vec::new();
    for stream in read.streams {
        if !tls::looks_like_tls(&stream.client_to_server.bytes)
            && !tls::looks_like_tls(&stream.server_to_client.bytes)
        {
            capture.other_connections.push(OtherConnection {
                client: stream.client.to_string(),
                server: stream.server.to_string(),
                first_packet: stream.first_packet,
                packets: stream.packets,
                bytes_client_to_server: stream.client_to_server.bytes.len(),
                bytes_server_to_client: stream.server_to_client.bytes.len(),
            });
            continue;
        }
        let (connection, node, file_findings) = connection(stream, now);
        let name = format!("{} -> {}", connection.client, connection.server);
        for f in file_findings {
            connection_findings.push(Finding {
                message: format!("{name}: {}", f.message),
                ..f
            });
        }
        if trees {
            tree.push(node);
        }
        capture.connections.push(connection);
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
    findings.extend(connection_findings);
    Decoded {
        capture,
        findings,
        tree,
    }
}

/// Decodes one TLS connection: the report object, its tree node, and its findings with spans
/// in the file.
fn connection(stream: Stream, now: Option<Timestamp>) -> (Connection, Node, Vec<Finding>) {
    let mut findings = stream.findings;
    let mut file_findings = findings.clone();
    let mut gaps = Vec::new();
    let mut decoded = Vec::new();
    let mut children = Vec::new();
    for (direction, name, flow) in [
        (
            Direction::ClientToServer,
            "client -> server",
            &stream.client_to_server,
        ),
        (
            Direction::ServerToClient,
            "server -> client",
            &stream.server_to_client,
        ),
    ] {
        let end = flow.gaps.first().map_or(flow.bytes.len(), |g| g.offset);
        let d = tls::decode(flow.bytes.get(..end).unwrap_or_default(), now);
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
        children.push(
            Node::new(name, format!("{} bytes", flow.bytes.len()), cover(flow))
                .with_children(map_tree(d.tree, &flow.chunks)),
        );
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
        bytes_client_to_server: stream.client_to_server.bytes.len(),
        bytes_server_to_client: stream.server_to_client.bytes.len(),
        gaps,
        client_to_server,
        server_to_client,
        findings,
    };
    (connection, node, file_findings)
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
        (Some(v), _) if v >= TLS13 => Some(ClientCertificate::Encrypted),
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
