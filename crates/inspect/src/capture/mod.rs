//! Packet captures (pcap and pcapng): the TCP connections in them, reassembled, and the TLS
//! each direction carries.
//!
//! This is how the handshake of a failing mTLS connection is read packet by packet
//! (docs/architecture.md, "The setup mtlskit replaces", step 4) from whatever capture the operator
//! took: pcap or pcapng; Ethernet (VLAN tags included), Linux cooked SLL/SLL2, BSD loopback or raw
//! IP; IPv4 or IPv6. Each TCP connection's two directions are reassembled (out-of-order segments
//! put in place, retransmissions dropped, gaps reported where they are) and TLS is recognised by
//! content on any port.
//!
//! Layers, one module each: `pcap`/`pcapng` (file -> frames), `link` (frame -> IP), `ip`
//! (IP -> TCP), `tcp` (header), `connection` (segments -> connections), `reassembly` (one
//! direction's bytes). Everything borrows the input; nothing allocates more than the input's
//! size, whatever its headers claim.

mod connection;
mod decode;
mod ip;
mod link;
pub mod model;
mod packet;
mod pcap;
mod pcapng;
mod reassembly;
mod tcp;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;
use core::net::SocketAddr;

use crate::decrypt::KeyLog;
use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::time::Timestamp;

pub use connection::{ClientBy, Stream};
pub use decode::{Decoded, DecryptedDirection};
pub use reassembly::{Chunk, Flow, Gap};

/// Whether `bytes` starts like a pcap or pcapng file.
pub fn looks_like_capture(bytes: &[u8]) -> bool {
    pcap::is_pcap(bytes) || pcapng::is_pcapng(bytes)
}

/// Every TCP connection of a capture with its two reassembled byte streams, in the order of
/// their first packets.
///
/// `Err` only when `bytes` is not a capture or its file header is unreadable; a damaged body
/// gives the connections read up to the damage.
pub fn streams(bytes: &[u8]) -> Result<Vec<Stream>, Error> {
    Ok(read(bytes)?.streams)
}

/// Decodes a capture for the report: every TCP connection that carries TLS (recognised by
/// content, on any port) with both directions decoded, and findings about the file, the
/// packets and each connection.
///
/// `Err` only when `bytes` is not a capture or its file header is unreadable; a damaged body
/// gives partial results plus findings. `now` adds the certificates' validity findings.
pub fn decode(bytes: &[u8], now: Option<Timestamp>) -> Result<Decoded, Error> {
    decode_with(bytes, now, true)
}

/// [`decode`], with the field tree only when `trees` is set: front ends that never show it
/// (the CLI) save most of the memory of a large capture.
pub fn decode_with(bytes: &[u8], now: Option<Timestamp>, trees: bool) -> Result<Decoded, Error> {
    decode_keyed(bytes, now, trees, None)
}

/// [`decode_with`], decrypting the TLS of each connection the key log has secrets for (and
/// those the capture's own Decryption Secrets Blocks have secrets for, with or without
/// `key_log`). The report says which secrets were found per connection, never their values.
pub fn decode_keyed(
    bytes: &[u8],
    now: Option<Timestamp>,
    trees: bool,
    key_log: Option<&KeyLog>,
) -> Result<Decoded, Error> {
    Ok(decode::decode(read(bytes)?, now, trees, key_log))
}

/// A capture taken apart down to its TCP streams.
#[derive(Clone, Debug)]
pub struct Read {
    /// "pcap" or "pcapng".
    pub format: &'static str,
    /// The link types of the file's interfaces, by name.
    pub link_types: Vec<&'static str>,
    /// Every packet in the file.
    pub packets: usize,
    /// The TCP streams of the capture.
    pub streams: Vec<Stream>,
    /// About the file and its packets (per-connection findings are in each stream).
    pub findings: Vec<Finding>,
    /// The secrets of the file's Decryption Secrets Blocks (pcapng), if any.
    pub key_log: KeyLog,
}

/// Reads a capture down to its TCP streams, with findings about the file and its packets.
pub fn read(bytes: &[u8]) -> Result<Read, Error> {
    let frames = if pcapng::is_pcapng(bytes) {
        pcapng::read(bytes)?
    } else if pcap::is_pcap(bytes) {
        pcap::read(bytes)?
    } else if bytes.is_empty() {
        return Err(Error::Empty);
    } else {
        return Err(Error::UnknownFormat);
    };
    let mut findings = frames.findings;
    let mut tracker = connection::Tracker::default();
    let mut problems = Problems::default();
    for p in &frames.packets {
        let (at, network) = match link::network(p.link, p.data) {
            Ok(found) => found,
            Err(link::Skip::UnknownLink) => {
                problems.unknown_links.entry(p.link).or_insert(p.number);
                continue;
            }
            Err(link::Skip::Short) => {
                problems.note("a link-layer header cut short", p.number);
                continue;
            }
            Err(link::Skip::NotIp) => continue,
        };
        let Some(ip_bytes) = p.data.get(at..) else {
            continue;
        };
        let packet = match ip::parse(network, ip_bytes) {
            Ok(packet) => packet,
            Err(ip::IpError::Short) => {
                problems.note("an IP header cut short", p.number);
                continue;
            }
            Err(ip::IpError::Bad(why)) => {
                problems.note(why, p.number);
                continue;
            }
        };
        if packet.protocol != ip::TCP {
            continue;
        }
        if packet.fragment {
            problems.fragments.get_or_insert(p.number);
            problems.fragment_count += 1;
            continue;
        }
        let segment = match tcp::parse(packet.payload) {
            Ok(segment) => segment,
            Err(_) => {
                problems.note("a TCP header cut short or malformed", p.number);
                continue;
            }
        };
        let origin = connection::Origin {
            packet: p.number,
            time_ns: p.time_ns,
            payload_offset: p.offset + at + packet.payload_offset + segment.payload_offset,
        };
        tracker.add(
            SocketAddr::new(packet.src, segment.src_port),
            SocketAddr::new(packet.dst, segment.dst_port),
            segment,
            origin,
        );
    }
    problems.into_findings(&mut findings);
    let mut key_log = KeyLog::default();
    for text in &frames.key_logs {
        key_log.merge(KeyLog::parse(text));
    }
    Ok(Read {
        key_log,
        format: frames.format,
        link_types: frames.link_types.iter().map(|&l| link::name(l)).collect(),
        packets: frames.packets.len(),
        streams: tracker.finish(),
        findings,
    })
}

/// Packets that could not be used, counted so a damaged file gives a few findings, not one
/// per packet.
#[derive(Debug, Default)]
struct Problems {
    /// Unknown link type -> first packet with it.
    unknown_links: BTreeMap<u32, usize>,
    /// Reason -> (count, first packet).
    bad: BTreeMap<&'static str, (usize, usize)>,
    fragments: Option<usize>,
    fragment_count: usize,
}

impl Problems {
    fn note(&mut self, why: &'static str, packet: usize) {
        self.bad.entry(why).or_insert((0, packet)).0 += 1;
    }

    fn into_findings(self, findings: &mut Vec<Finding>) {
        for (link, first) in self.unknown_links {
            findings.push(Finding::warning(
                Code::UnsupportedLinkType,
                format!(
                    "link type {link} (first at packet {first}) is not one this reader knows; \
                     its packets are skipped"
                ),
            ));
        }
        for (why, (count, first)) in self.bad {
            findings.push(Finding::warning(
                Code::BadPacket,
                format!("{count} packets skipped for {why} (the first is packet {first})"),
            ));
        }
        if let Some(first) = self.fragments {
            findings.push(Finding::warning(
                Code::IpFragment,
                format!(
                    "{} IP fragments (the first is packet {first}) are not reassembled; the \
                     TCP bytes they carry are missing from the streams",
                    self.fragment_count
                ),
            ));
        }
    }
}
