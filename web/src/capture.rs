//! What a capture card shows for each TLS connection: who talked to whom, the connection summary,
//! what happened to the client certificate, the alerts with their meaning, the handshake
//! diagnosis, and one client/server ladder of both directions' records.
//!
//! The ladder interleaves the two directions by where their records lie in the file (packets
//! are written in the order they were seen), keeping each direction in stream order. A rung
//! selects its record through the item's tree: connection `c`, the node of direction `d` ("client
//! -> server" or "server -> client"; with a key log each is followed by its "(decrypted)" node),
//! record `i` of it, whose span is a file offset. A decrypted record's rung selects its node
//! among the decrypted ones instead, whose plaintext the hex view can show.

use mtlskit_inspect::capture::model::{Capture, ClientCertificate, Connection};
use mtlskit_inspect::diagnose::alert::explain;
use mtlskit_inspect::tls::model::{Role, Tls};
use mtlskit_inspect::{Code, Finding, Node};
use mtlskit_inspect::{Item, Name};

use crate::ladder::{self, Rung, Side};

/// A rung of a capture's ladder and the tree path of its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureRung {
    /// The record as the ladder of a single direction shows it.
    pub rung: Rung,
    /// Its node in the capture's tree: `[connection, direction, record]`.
    pub path: Vec<usize>,
}

/// How the client certificate fared, for the header's colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// The client sent a certificate (TLS 1.2, or TLS 1.3 decrypted).
    Sent,
    /// The server asked and the client sent none: an empty or no Certificate message, or (TLS
    /// 1.3) what the diagnosis concluded from the server's alert.
    Missing,
    /// Sent and refused by the server (TLS 1.3, as the diagnosis concludes).
    Rejected,
    /// The bytes do not tell: TLS 1.3 without keys, or a capture that ends too early.
    Unknown,
    /// The server did not ask for a client certificate.
    NotAsked,
}

/// An alert, who sent it and what it means for mTLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertLine {
    /// "server: fatal handshake_failure (40)".
    pub text: String,
    /// The explanation, when the alert has one.
    pub meaning: Option<String>,
}

/// The header of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// "127.0.0.1:50000 → 127.0.0.1:443".
    pub title: String,
    /// "TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, SNI localhost, full handshake".
    pub summary: String,
    /// What happened to the client certificate, in a sentence.
    pub certificate: String,
    /// The same, for the header's colour.
    pub status: CertStatus,
    /// The CA names of the server's CertificateRequest.
    pub accepted_cas: Vec<Name>,
    /// The alerts of both directions, the client's first, with their meaning.
    pub alerts: Vec<AlertLine>,
    /// Bytes missing from the capture, as sentences.
    pub gaps: Vec<String>,
}

/// The header of a connection.
pub fn header(conn: &Connection) -> Header {
    let s = &conn.summary;
    let mut parts = s.line_parts();
    if parts.is_empty() {
        parts.push("no TLS parameters were agreed".to_string());
    }
    let (certificate, status) = certificate(conn);
    let accepted_cas = conn
        .server_to_client
        .certificate_request
        .as_ref()
        .map(|r| r.certificate_authorities.clone())
        .unwrap_or_default();
    let mut alerts = Vec::new();
    for (who, tls) in [
        (Role::Client, &conn.client_to_server),
        (Role::Server, &conn.server_to_client),
    ] {
        for a in &tls.alerts {
            alerts.push(AlertLine {
                text: format!("{who}: {a} ({})", a.code),
                meaning: explain(a.code, who).map(str::to_string),
            });
        }
        let encrypted = tls.encrypted_alerts();
        if encrypted > 0 {
            alerts.push(AlertLine {
                text: format!(
                    "{who}: {encrypted} encrypted alert{}",
                    if encrypted == 1 { "" } else { "s" }
                ),
                meaning: Some(
                    "sent after the handshake's keys were set, so its description cannot be read; \
                     at the end of a connection it is usually close_notify"
                        .to_string(),
                ),
            });
        }
    }
    let gaps = conn
        .gaps
        .iter()
        .map(|g| {
            format!(
                "{}: {} bytes missing at stream offset {} (before packet {})",
                g.direction.as_str().replace('_', " "),
                g.len,
                g.offset,
                g.before_packet
            )
        })
        .collect();
    Header {
        title: format!("{} → {}", conn.client, conn.server),
        summary: parts.join(", "),
        certificate,
        status,
        accepted_cas,
        alerts,
        gaps,
    }
}

/// What happened to the client certificate, in a sentence.
fn certificate(conn: &Connection) -> (String, CertStatus) {
    let s = &conn.summary;
    let asked = s.client_certificate_requested;
    let leaf = conn.client_to_server.certificates.first();
    let text = match (s.client_certificate, asked) {
        (Some(ClientCertificate::Sent), _) => {
            let who = leaf.map_or_else(String::new, |c| {
                format!(": {} (issued by {})", c.subject, c.issuer)
            });
            return (
                format!("the client sent a certificate{who}"),
                CertStatus::Sent,
            );
        }
        (Some(ClientCertificate::Empty), true) => {
            "the server asked for a client certificate and the client sent none (an empty \
             Certificate message)"
        }
        (Some(ClientCertificate::Empty), false) => "the client sent an empty Certificate message",
        (Some(ClientCertificate::NotSent), true) => {
            "the server asked for a client certificate and the client sent no Certificate message"
        }
        // TLS 1.3: the messages are encrypted; what the diagnosis concluded from the alert or
        // the records' sizes is the statement (one engine: the line never contradicts it).
        (Some(ClientCertificate::Encrypted), _) => {
            let concluded = |code: Code| conn.findings.iter().find(|f| f.code == code);
            if let Some(f) = concluded(Code::ClientCertificateMissing) {
                return (
                    format!(
                        "the server required a client certificate and the client sent none \
                         (TLS 1.3 encrypts the certificate messages: {} above says how this \
                         is known)",
                        f.code
                    ),
                    CertStatus::Missing,
                );
            }
            if let Some(f) = concluded(Code::ClientCertificateRejected) {
                return (
                    format!(
                        "the client sent a certificate and the server refused it ({} above; \
                         TLS 1.3 encrypts the certificate messages)",
                        f.code
                    ),
                    CertStatus::Rejected,
                );
            }
            return (
                "TLS 1.3: the certificate messages are encrypted, so whether the server asked for \
                 a client certificate and the client sent one cannot be read from the bytes"
                    .to_string(),
                CertStatus::Unknown,
            );
        }
        (_, true) => {
            return (
                "the server asked for a client certificate; the capture ends before the client \
                 answered"
                    .to_string(),
                CertStatus::Unknown,
            )
        }
        _ if conn.server_to_client.server_hello.is_none() => {
            return (
                "the handshake did not get as far as client certificates".to_string(),
                CertStatus::Unknown,
            )
        }
        _ => {
            return (
                "the server did not ask for a client certificate".to_string(),
                CertStatus::NotAsked,
            )
        }
    };
    (text.to_string(), CertStatus::Missing)
}

/// The connection's findings, errors first (the handshake diagnosis comes before TCP notes).
pub fn findings(conn: &Connection) -> Vec<&Finding> {
    let mut out: Vec<&Finding> = conn.findings.iter().collect();
    out.sort_by_key(|f| core::cmp::Reverse(f.severity));
    out
}

/// The item's findings that are about the file, not about one connection (those are shown with
/// their connection).
pub fn file_findings<'a>(item: &'a Item, capture: &Capture) -> Vec<&'a Finding> {
    let prefixes: Vec<String> = capture
        .connections
        .iter()
        .map(|c| format!("{} -> {}: ", c.client, c.server))
        .collect();
    item.findings
        .iter()
        .filter(|f| !prefixes.iter().any(|p| f.message.starts_with(p.as_str())))
        .collect()
}

/// Both directions' records of connection `index` as one ladder.
///
/// In file order when the packets tell the order (a real capture interleaves the two
/// directions); when the file holds each direction in one piece (as `mtlskit probe
/// --save-handshake` writes it), by ladder position instead: each direction's records are cut
/// into flights where a side waits for the other (after a ClientHello, a ServerHelloDone, a
/// HelloRetryRequest, the last of a run of encrypted handshake records), and the flights
/// alternate, the client's first.
pub fn rungs(conn: &Connection, index: usize, tree: &[Node]) -> Vec<CaptureRung> {
    let conn_node = tree.get(index);
    let direction = |d: usize, tls: &Tls, side: Side| -> Vec<(usize, usize, CaptureRung)> {
        let k = direction_node(conn_node, d);
        let records = k.and_then(|k| conn_node?.children.get(k));
        let turns = flights(tls);
        (0..tls.records.len())
            .filter_map(|i| {
                let at = records
                    .and_then(|n| n.children.get(i))
                    .map_or(usize::MAX, |n| n.span.offset);
                let flight = turns.get(i).copied().unwrap_or(usize::MAX / 2);
                let rung = ladder::rung_of(tls, i, side)?;
                // A decrypted rung selects its record's node among the decrypted ones (its
                // messages decoded), else the record as it is on the wire.
                let path = decrypted_path(conn_node, index, d, i)
                    .filter(|_| rung.decrypted)
                    .unwrap_or_else(|| vec![index, k.unwrap_or(d), i]);
                let rung = CaptureRung { rung, path };
                Some((at, flight.saturating_mul(2).saturating_add(d), rung))
            })
            .collect()
    };
    let client = direction(0, &conn.client_to_server, Side::Client);
    let server = direction(1, &conn.server_to_client, Side::Server);
    let by_file = merge(
        client.iter().map(|(at, _, r)| (*at, r)).collect(),
        server.iter().map(|(at, _, r)| (*at, r)).collect(),
    );
    let switches = by_file
        .windows(2)
        .filter(|w| w[0].rung.side != w[1].rung.side)
        .count();
    if switches > 1 {
        return by_file.into_iter().cloned().collect();
    }
    merge(
        client.into_iter().map(|(_, key, r)| (key, r)).collect(),
        server.into_iter().map(|(_, key, r)| (key, r)).collect(),
    )
}

/// The names the capture tree gives a connection's directions (`mtlskit_inspect::capture`):
/// the records as sent, then, for a decrypted direction, a child "NAME (decrypted)" with a node
/// "record I" per decrypted record.
const DIRECTIONS: [&str; 2] = ["client -> server", "server -> client"];

/// The position among the connection node's children of direction `d`'s node (0 client to
/// server, 1 server to client).
fn direction_node(conn_node: Option<&Node>, d: usize) -> Option<usize> {
    let name = DIRECTIONS.get(d)?;
    conn_node?.children.iter().position(|c| c.name == *name)
}

/// The tree path of the decrypted node of record `record` of direction `d` (0 client to
/// server, 1 server to client) of connection `index`.
pub fn decrypted_path(
    conn_node: Option<&Node>,
    index: usize,
    d: usize,
    record: usize,
) -> Option<Vec<usize>> {
    let children = &conn_node?.children;
    let wanted = format!("{} (decrypted)", DIRECTIONS.get(d)?);
    let k = children.iter().position(|c| c.name == wanted)?;
    let name = format!("record {record}");
    let j = children
        .get(k)?
        .children
        .iter()
        .position(|c| c.name == name)?;
    Some(vec![index, k, j])
}

/// Where a selection lies in a capture's decrypted bytes: the connection, the direction (0
/// client to server, 1 server to client) and the path below the direction's decrypted node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainSelection {
    pub connection: usize,
    pub direction: usize,
    /// The first two steps of the item path (connection, decrypted child).
    pub prefix: Vec<usize>,
    /// The rest of the path: the same path in the direction's plaintext tree.
    pub rest: Vec<usize>,
}

/// Whether `path` selects a node of a decrypted direction in the capture tree `tree`.
pub fn plain_selection(tree: &[Node], path: &[usize]) -> Option<PlainSelection> {
    let (&c, rest) = path.split_first()?;
    let (&k, rest) = rest.split_first()?;
    let node = tree.get(c)?.children.get(k)?;
    let name = node.name.strip_suffix(" (decrypted)")?;
    let direction = DIRECTIONS.iter().position(|d| *d == name)?;
    Some(PlainSelection {
        connection: c,
        direction,
        prefix: vec![c, k],
        rest: rest.to_vec(),
    })
}

/// The flight of each record of one direction: the count of turns before it.
fn flights(tls: &Tls) -> Vec<usize> {
    let mut out = Vec::with_capacity(tls.records.len());
    let mut flight = 0;
    let mut hrr = tls.hello_retry_request.is_some();
    let records = &tls.records;
    for (i, r) in records.iter().enumerate() {
        out.push(flight);
        let types = &r.handshake_types;
        let encrypted_handshake = r.encrypted && r.content_type == 22;
        let run_ends = encrypted_handshake
            && records
                .get(i + 1)
                .is_none_or(|next| !(next.encrypted && next.content_type == 22));
        let retry = hrr && types.contains(&2);
        hrr &= !retry;
        if types.contains(&1) || types.contains(&14) || retry || run_ends {
            flight += 1;
        }
    }
    out
}

/// Merges two lists ordered within themselves by position; on a tie the first list goes first.
fn merge<T>(a: Vec<(usize, T)>, b: Vec<(usize, T)>) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.0 <= y.0,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return out,
        };
        let next = if take_a { a.next() } else { b.next() };
        out.extend(next.map(|(_, t)| t));
    }
}

/// The summary line's name for a capture: its only connection, or how many there are.
pub fn headline(capture: &Capture) -> String {
    let others = match capture.other_connections.len() {
        0 => String::new(),
        1 => ", 1 other TCP connection".to_string(),
        n => format!(", {n} other TCP connections"),
    };
    match capture.connections.as_slice() {
        [] => format!("no TLS connection in {} packets{others}", capture.packets),
        [one] => {
            let h = header(one);
            format!("{}: {}{others}", h.title, h.summary)
        }
        many => format!("{} TLS connections{others}", many.len()),
    }
}

#[cfg(test)]
#[path = "capture_tests.rs"]
mod tests;
