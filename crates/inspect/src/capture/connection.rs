//! TCP connections: packets grouped by their two endpoints, split where a new SYN reuses the
//! same ports, each direction reassembled, and the client told from the server.
//!
//! The client is the side that sent the SYN; without the SYN in the capture, the side that got
//! the SYN-ACK; without either, the side whose stream starts with a TLS ClientHello; failing
//! that, the side with the higher port when only the other is below 1024, else the side that
//! sent the first packet (as tshark's "follow" calls node 0).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;
use core::net::SocketAddr;

use crate::finding::{Code, Finding};

use super::reassembly::{self, Flow, Piece};
use super::tcp::{self, Segment};

pub use super::model::ClientBy;

/// One TCP connection with both directions reassembled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// How the client was told from the server.
    pub client_by: ClientBy,
    /// The client's bytes, reassembled.
    pub client_to_server: Flow,
    /// The server's bytes, reassembled.
    pub server_to_client: Flow,
    /// Every packet of the connection, both directions.
    pub packets: usize,
    /// The number (from 1) of the connection's first packet in the file.
    pub first_packet: usize,
    /// Nanoseconds since the epoch of the first and last packets, when the file has times.
    pub first_time_ns: Option<i64>,
    /// Capture time of the last packet, nanoseconds since the Unix epoch.
    pub last_time_ns: Option<i64>,
    /// Gaps, retransmissions, a missing handshake.
    pub findings: Vec<Finding>,
}

/// Where a segment came from in the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    pub packet: usize,
    pub time_ns: Option<i64>,
    /// The file offset of the TCP payload.
    pub payload_offset: usize,
}

/// A connection being collected: side 0 sent the first packet seen.
#[derive(Debug)]
struct Open<'a> {
    ends: [SocketAddr; 2],
    pieces: [Vec<Piece<'a>>; 2],
    isn: [Option<u32>; 2],
    packets: [usize; 2],
    syn_from: Option<usize>,
    syn_ack_from: Option<usize>,
    fin: [bool; 2],
    rst: [bool; 2],
    first_packet: usize,
    first_time_ns: Option<i64>,
    last_time_ns: Option<i64>,
}

/// Groups segments into connections, in the order their first packets appear.
#[derive(Debug, Default)]
pub(crate) struct Tracker<'a> {
    open: Vec<Open<'a>>,
    /// The latest connection of each endpoint pair (smaller endpoint first).
    by_ends: BTreeMap<(SocketAddr, SocketAddr), usize>,
}

impl<'a> Tracker<'a> {
    pub(crate) fn add(&mut self, src: SocketAddr, dst: SocketAddr, seg: Segment<'a>, at: Origin) {
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let pure_syn = seg.has(tcp::SYN) && !seg.has(tcp::ACK);
        let existing = self.by_ends.get(&key).copied().filter(|&i| {
            let Some(c) = self.open.get(i) else {
                return false;
            };
            let side = usize::from(c.ends[0] != src);
            // A new SYN after the connection closed, or with another initial sequence number,
            // opens a new connection on the same ports.
            let reused = pure_syn
                && (c.fin.iter().chain(&c.rst).any(|&f| f)
                    || c.isn[side].is_some_and(|isn| isn != seg.seq));
            !reused
        });
        let index = match existing {
            Some(i) => i,
            None => {
                self.open.push(Open {
                    ends: [src, dst],
                    pieces: [Vec::new(), Vec::new()],
                    isn: [None, None],
                    packets: [0, 0],
                    syn_from: None,
                    syn_ack_from: None,
                    fin: [false, false],
                    rst: [false, false],
                    first_packet: at.packet,
                    first_time_ns: at.time_ns,
                    last_time_ns: at.time_ns,
                });
                let i = self.open.len() - 1;
                self.by_ends.insert(key, i);
                i
            }
        };
        let Some(c) = self.open.get_mut(index) else {
            return;
        };
        let side = usize::from(c.ends[0] != src);
        if let (Some(s), Some(p)) = (c.packets.get_mut(side), c.pieces.get_mut(side)) {
            *s += 1;
            p.push(Piece {
                seq: seg.seq,
                syn: seg.has(tcp::SYN),
                data: seg.payload,
                file_offset: at.payload_offset,
                packet: at.packet,
            });
        }
        if seg.has(tcp::SYN) {
            if let Some(isn) = c.isn.get_mut(side) {
                isn.get_or_insert(seg.seq);
            }
            if seg.has(tcp::ACK) {
                c.syn_ack_from.get_or_insert(side);
            } else {
                c.syn_from.get_or_insert(side);
            }
        }
        if let (Some(f), Some(r)) = (c.fin.get_mut(side), c.rst.get_mut(side)) {
            *f |= seg.has(tcp::FIN);
            *r |= seg.has(tcp::RST);
        }
        c.last_time_ns = at.time_ns.or(c.last_time_ns);
    }

    /// Reassembles every connection.
    pub(crate) fn finish(self) -> Vec<Stream> {
        self.open.into_iter().map(finish_one).collect()
    }
}

fn finish_one(c: Open<'_>) -> Stream {
    let [p0, p1] = &c.pieces;
    let mut flows = [
        reassembly::reassemble(p0, c.isn[0]),
        reassembly::reassemble(p1, c.isn[1]),
    ];
    for (side, flow) in flows.iter_mut().enumerate() {
        flow.packets = c.packets.get(side).copied().unwrap_or(0);
        flow.syn = c.isn.get(side).is_some_and(Option::is_some);
        flow.fin = c.fin.get(side).copied().unwrap_or(false);
        flow.rst = c.rst.get(side).copied().unwrap_or(false);
    }
    let (client_side, client_by) = client_side(&c, &flows);
    let [f0, f1] = flows;
    let (client_to_server, server_to_client) = if client_side == 0 { (f0, f1) } else { (f1, f0) };
    let client = c.ends[client_side];
    let server = c.ends[1 - client_side];
    let mut findings = Vec::new();
    if c.syn_from.is_none() && c.syn_ack_from.is_none() {
        findings.push(Finding::info(
            Code::TcpNoHandshake,
            format!(
                "the capture does not hold the TCP handshake of {client} -> {server}; the \
                 client was recognised by {}",
                client_by.as_str().replace('_', " ")
            ),
        ));
    }
    for (name, flow) in [
        ("client -> server", &client_to_server),
        ("server -> client", &server_to_client),
    ] {
        flow_findings(name, flow, &mut findings);
    }
    Stream {
        client,
        server,
        client_by,
        packets: c.packets[0] + c.packets[1],
        client_to_server,
        server_to_client,
        first_packet: c.first_packet,
        first_time_ns: c.first_time_ns,
        last_time_ns: c.last_time_ns,
        findings,
    }
}

fn client_side(c: &Open<'_>, flows: &[Flow; 2]) -> (usize, ClientBy) {
    if let Some(side) = c.syn_from {
        return (side, ClientBy::Syn);
    }
    if let Some(side) = c.syn_ack_from {
        return (1 - side, ClientBy::SynAck);
    }
    let hello = flows.each_ref().map(|f| starts_with_client_hello(&f.bytes));
    match hello {
        [true, false] => return (0, ClientBy::ClientHello),
        [false, true] => return (1, ClientBy::ClientHello),
        _ => {}
    }
    match (c.ends[0].port() < 1024, c.ends[1].port() < 1024) {
        (true, false) => (1, ClientBy::WellKnownPort),
        (false, true) => (0, ClientBy::WellKnownPort),
        _ => (0, ClientBy::FirstPacket),
    }
}

/// A TLS record holding a ClientHello, or an SSLv2-compatible ClientHello.
pub(crate) fn starts_with_client_hello(bytes: &[u8]) -> bool {
    match bytes {
        [0x16, 0x03, _, _, _, 0x01, ..] => true,
        [h, _, 0x01, 0x03, ..] => h & 0x80 != 0,
        _ => false,
    }
}

fn flow_findings(name: &str, flow: &Flow, findings: &mut Vec<Finding>) {
    for gap in &flow.gaps {
        findings.push(Finding::warning(
            Code::TcpGap,
            format!(
                "{name}: {} bytes are missing from the capture at stream offset {} (before \
                 packet {})",
                gap.len, gap.offset, gap.packet
            ),
        ));
    }
    if flow.retransmissions > 0 {
        findings.push(Finding::info(
            Code::TcpRetransmission,
            format!(
                "{name}: {} segments were retransmissions of bytes already seen",
                flow.retransmissions
            ),
        ));
    }
    if flow.out_of_order > 0 {
        findings.push(Finding::info(
            Code::TcpOutOfOrder,
            format!(
                "{name}: {} segments arrived out of order and were put back in place",
                flow.out_of_order
            ),
        ));
    }
    if flow.conflicting_overlaps > 0 {
        findings.push(Finding::warning(
            Code::TcpOverlapConflict,
            format!(
                "{name}: {} segments resent bytes with different content; the first copy is \
                 kept",
                flow.conflicting_overlaps
            ),
        ));
    }
}
