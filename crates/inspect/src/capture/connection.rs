//! TCP connections: packets grouped by their two endpoints, split where a new SYN reuses the
//! same ports, each direction reassembled, and the client told from the server.
//!
//! The client is the side that sent the SYN; without the SYN in the capture, the side that got
//! the SYN-ACK; without either, the side whose stream starts with a TLS ClientHello; failing
//! that, the side with the higher port when only the other is below 1024, else the side that
//! sent the first packet (as tshark's "follow" calls node 0).

use alloc::collections::{BTreeMap, VecDeque};
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

/// When the tracker lets go of a connection, and how much of it it keeps.
///
/// [`Limits::streaming`] finishes connections as they end, so memory holds only the open ones;
/// [`Limits::whole_file`] keeps every connection to the end of the file, as a reader of the
/// whole file in memory may.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A connection with no packet for this long (capture time, nanoseconds) is finished;
    /// a later packet on the same ports starts another connection.
    pub idle_timeout_ns: Option<i64>,
    /// A connection closed by FIN in both directions, or by RST, is finished this long
    /// (capture time) after the close: the last ACK and retransmitted FINs still belong to it.
    pub close_linger_ns: Option<i64>,
    /// Bytes kept per direction (payload, plus a few bytes per segment for its place); the
    /// rest of a long-lived connection's data is counted, not kept or decoded.
    pub kept_per_direction: Option<usize>,
}

impl Limits {
    /// Every connection kept whole until the end of the file.
    pub const fn whole_file() -> Limits {
        Limits {
            idle_timeout_ns: None,
            close_linger_ns: None,
            kept_per_direction: None,
        }
    }

    /// For captures of any size: idle connections finished after 5 minutes (as Zeek's
    /// `tcp_inactivity_timeout`), closed ones 2 seconds after the close, 256 KiB kept per
    /// direction (a handshake with long certificate chains needs a few tens).
    pub const fn streaming() -> Limits {
        Limits {
            idle_timeout_ns: Some(300 * 1_000_000_000),
            close_linger_ns: Some(2 * 1_000_000_000),
            kept_per_direction: Some(256 * 1024),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::streaming()
    }
}

/// What a kept segment costs beyond its payload, against [`Limits::kept_per_direction`].
const SEGMENT_COST: usize = 32;

/// One segment kept: its payload is `data[start..start + len]` of its direction.
#[derive(Clone, Copy, Debug)]
struct Kept {
    seq: u32,
    syn: bool,
    start: usize,
    len: usize,
    file_offset: usize,
    packet: usize,
}

/// One direction being collected.
#[derive(Debug, Default)]
struct Side {
    /// The payload of the kept segments, one after the other.
    data: Vec<u8>,
    kept: Vec<Kept>,
    /// Bytes and segments kept, as [`Limits::kept_per_direction`] counts them.
    cost: usize,
    /// The direction outgrew its budget: later segments are counted, not kept.
    full: bool,
    /// The last sequence number seen and its position unwrapped to 64 bits (from the first).
    last_seq: Option<u32>,
    position: i64,
    /// The furthest stream position any data reached.
    reach: i64,
    /// Bytes past `reach` that arrived after the direction was full.
    not_kept: u64,
}

impl Side {
    fn add(&mut self, seg: &Segment<'_>, at: Origin, budget: Option<usize>) {
        let delta = match self.last_seq {
            Some(last) => i64::from(seg.seq.wrapping_sub(last) as i32),
            None => 0,
        };
        self.last_seq = Some(seg.seq);
        self.position = self.position.saturating_add(delta);
        let start = self.position.saturating_add(i64::from(seg.has(tcp::SYN)));
        let end = start.saturating_add(seg.payload.len() as i64);
        let cost = seg.payload.len() + SEGMENT_COST;
        if !self.full && budget.is_some_and(|b| self.cost + cost > b) {
            self.full = true;
        }
        if self.full {
            if !seg.payload.is_empty() && end > self.reach {
                self.not_kept += (end - self.reach.max(start)) as u64;
            }
        } else {
            self.cost += cost;
            self.kept.push(Kept {
                seq: seg.seq,
                syn: seg.has(tcp::SYN),
                start: self.data.len(),
                len: seg.payload.len(),
                file_offset: at.payload_offset,
                packet: at.packet,
            });
            let need = self.data.len() + seg.payload.len();
            if need > self.data.capacity() {
                // Grow by doubling, but never past the budget: a long-lived direction holds
                // at most its budget, not twice it.
                let want = need
                    .max(self.data.capacity().saturating_mul(2))
                    .min(budget.unwrap_or(usize::MAX).max(need));
                self.data.reserve_exact(want - self.data.len());
            }
            self.data.extend_from_slice(seg.payload);
        }
        if !seg.payload.is_empty() {
            self.reach = self.reach.max(end);
        }
    }

    fn reassemble(&self, isn: Option<u32>) -> Flow {
        let pieces: Vec<Piece<'_>> = self
            .kept
            .iter()
            .map(|k| Piece {
                seq: k.seq,
                syn: k.syn,
                data: self.data.get(k.start..k.start + k.len).unwrap_or_default(),
                file_offset: k.file_offset,
                packet: k.packet,
            })
            .collect();
        let mut flow = reassembly::reassemble(&pieces, isn);
        flow.not_kept = self.not_kept;
        flow
    }
}

/// A connection being collected: side 0 sent the first packet seen.
#[derive(Debug)]
struct Open {
    ends: [SocketAddr; 2],
    sides: [Side; 2],
    isn: [Option<u32>; 2],
    packets: [usize; 2],
    syn_from: Option<usize>,
    syn_ack_from: Option<usize>,
    fin: [bool; 2],
    rst: [bool; 2],
    /// The tracker's clock when the connection was closed (FIN both ways, or RST).
    closed_at: Option<i64>,
    /// The tracker's clock at the connection's last packet.
    active_at: i64,
    first_packet: usize,
    first_time_ns: Option<i64>,
    last_time_ns: Option<i64>,
}

impl Open {
    fn closed(&self) -> bool {
        (self.fin[0] && self.fin[1]) || self.rst[0] || self.rst[1]
    }

    /// Which side sent a segment from `src`: the side of that endpoint. A connection from an
    /// address and port to the same address and port (a socket connected to itself, or a
    /// capture rewritten so the client's port is the server's) has one endpoint for both
    /// sides: a SYN is the first side's and a SYN-ACK the second's, and any other segment
    /// belongs to the side whose sequence numbers it continues.
    fn side_of(&self, src: SocketAddr, seg: &Segment<'_>) -> usize {
        let [a, b] = self.ends;
        if a != b {
            return usize::from(a != src);
        }
        if seg.has(tcp::SYN) {
            return usize::from(seg.has(tcp::ACK));
        }
        /// Further than this from a side's last sequence number, a segment is not its.
        const WINDOW: u32 = 1 << 24;
        let distance = |side: &Side| {
            side.last_seq
                .map(|last| (seg.seq.wrapping_sub(last) as i32).unsigned_abs())
        };
        match (distance(&self.sides[0]), distance(&self.sides[1])) {
            (Some(d0), Some(d1)) => usize::from(d1 < d0),
            (Some(d0), None) => usize::from(d0 > WINDOW),
            (None, Some(d1)) => usize::from(d1 <= WINDOW),
            (None, None) => 0,
        }
    }

    /// Whether the connection is over at the tracker's clock `now`.
    fn expired(&self, now: i64, limits: &Limits) -> bool {
        let idle = match limits.idle_timeout_ns {
            Some(timeout) => now.saturating_sub(self.active_at) > timeout,
            None => false,
        };
        let closed = match (limits.close_linger_ns, self.closed_at) {
            (Some(linger), Some(at)) => now.saturating_sub(at) > linger,
            _ => false,
        };
        idle || closed
    }
}

/// Groups segments into connections, in the order their first packets appear, and hands
/// each one over when it is finished.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    limits: Limits,
    /// Open connections by the order of their first packets.
    open: BTreeMap<u64, Open>,
    next: u64,
    /// The latest connection of each endpoint pair (smaller endpoint first).
    by_ends: BTreeMap<(SocketAddr, SocketAddr), u64>,
    /// The capture time of the last packet with a time.
    last_time: Option<i64>,
    /// Capture time elapsed since the first packet, counting only the steps forward between
    /// one packet and the next: a time that goes backwards (captures concatenated out of
    /// order, a clock stepped back) stops the clock, it does not make every open connection
    /// look idle (which would split each into one connection per packet).
    clock: i64,
    /// The clock of the next look for connections that are over.
    next_sweep: i64,
    /// Finished connections not yet taken.
    pub(crate) finished: VecDeque<Stream>,
}

/// How often (capture time) the tracker looks for connections that are over.
const SWEEP_NS: i64 = 1_000_000_000;

impl Tracker {
    pub(crate) fn new(limits: Limits) -> Tracker {
        Tracker {
            limits,
            ..Tracker::default()
        }
    }

    /// Connections being collected.
    pub(crate) fn open(&self) -> usize {
        self.open.len()
    }

    pub(crate) fn add(&mut self, src: SocketAddr, dst: SocketAddr, seg: Segment<'_>, at: Origin) {
        if let Some(t) = at.time_ns {
            if let Some(last) = self.last_time {
                self.clock = self.clock.saturating_add(t.saturating_sub(last).max(0));
            }
            self.last_time = Some(t);
            if self.clock >= self.next_sweep {
                self.sweep(self.clock);
                self.next_sweep = self.clock.saturating_add(SWEEP_NS);
            }
        }
        let now = self.clock;
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let pure_syn = seg.has(tcp::SYN) && !seg.has(tcp::ACK);
        let mut ended = None;
        let existing = self.by_ends.get(&key).copied().filter(|&i| {
            let Some(c) = self.open.get(&i) else {
                return false;
            };
            if c.expired(now, &self.limits) {
                ended = Some(i);
                return false;
            }
            let side = c.side_of(src, &seg);
            // A new SYN after the connection closed, or with another initial sequence number,
            // opens a new connection on the same ports.
            let reused = pure_syn
                && (c.fin.iter().chain(&c.rst).any(|&f| f)
                    || c.isn[side].is_some_and(|isn| isn != seg.seq));
            if reused {
                ended = Some(i);
            }
            !reused
        });
        if let Some(old) = ended {
            self.finish_one(old);
        }
        let index = match existing {
            Some(i) => i,
            None => {
                let i = self.next;
                self.next += 1;
                self.open.insert(
                    i,
                    Open {
                        ends: [src, dst],
                        sides: [Side::default(), Side::default()],
                        isn: [None, None],
                        packets: [0, 0],
                        syn_from: None,
                        syn_ack_from: None,
                        fin: [false, false],
                        rst: [false, false],
                        closed_at: None,
                        active_at: now,
                        first_packet: at.packet,
                        first_time_ns: at.time_ns,
                        last_time_ns: at.time_ns,
                    },
                );
                self.by_ends.insert(key, i);
                i
            }
        };
        let budget = self.limits.kept_per_direction;
        let Some(c) = self.open.get_mut(&index) else {
            return;
        };
        let side = c.side_of(src, &seg);
        if let (Some(s), Some(p)) = (c.packets.get_mut(side), c.sides.get_mut(side)) {
            *s += 1;
            p.add(&seg, at, budget);
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
        c.active_at = now;
        if c.closed_at.is_none() && c.closed() {
            c.closed_at = Some(now);
        }
    }

    /// Finishes the connections that are over at capture time `now`, oldest first.
    fn sweep(&mut self, now: i64) {
        let over: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, c)| c.expired(now, &self.limits))
            .map(|(&i, _)| i)
            .collect();
        for i in over {
            self.finish_one(i);
        }
    }

    fn finish_one(&mut self, index: u64) {
        let Some(c) = self.open.remove(&index) else {
            return;
        };
        let [a, b] = c.ends;
        let key = if a <= b { (a, b) } else { (b, a) };
        if self.by_ends.get(&key) == Some(&index) {
            self.by_ends.remove(&key);
        }
        self.finished.push_back(finish_one(c));
    }

    /// The end of the file: every open connection is finished, in the order of their first
    /// packets.
    pub(crate) fn finish(&mut self) {
        let all: Vec<u64> = self.open.keys().copied().collect();
        for i in all {
            self.finish_one(i);
        }
    }
}

fn finish_one(c: Open) -> Stream {
    let mut flows = [
        c.sides[0].reassemble(c.isn[0]),
        c.sides[1].reassemble(c.isn[1]),
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

fn client_side(c: &Open, flows: &[Flow; 2]) -> (usize, ClientBy) {
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
    if flow.not_kept > 0 {
        findings.push(Finding::info(
            Code::TcpNotKept,
            format!(
                "{name}: {} more bytes after the first {} were counted, not kept or decoded \
                 (a long-lived connection read as a stream)",
                flow.not_kept,
                flow.bytes.len()
            ),
        ));
    }
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
