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
//! Layers, one module each: `stream` (chunks of the file -> frames, and the [`Reader`] that
//! drives the rest), `pcap`/`pcapng` (one record or block -> a frame), `link` (frame -> IP),
//! `ip` (IP -> TCP), `tcp` (header), `connection` (segments -> connections, finished as they
//! end), `reassembly` (one direction's bytes), `decode` (a finished connection -> its report),
//! `summary` (reports -> the answers across connections). Nothing allocates more than the
//! input's size, whatever its headers claim; the streaming reader holds the open connections
//! only, each within [`Limits`].

mod connection;
mod decode;
mod ip;
mod link;
pub mod model;
mod packet;
mod pcap;
mod pcapng;
mod reassembly;
mod stream;
pub mod summary;
mod tcp;

use alloc::vec::Vec;

use crate::decrypt::KeyLog;
use crate::error::Error;
use crate::finding::Finding;
use crate::time::Timestamp;

pub use connection::{ClientBy, Limits, Stream};
pub use decode::{
    decode_stream, merged_key_log, Collector, ConnectionDecoder, ConnectionReport, Decoded,
    DecryptedDirection, TlsConnection,
};
pub use reassembly::{Chunk, Flow, Gap};
pub use stream::{Reader, Trailer};

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

/// Reads a capture down to its TCP streams, with findings about the file and its packets: the
/// streaming [`Reader`] fed the whole file, every connection kept to the end
/// ([`Limits::whole_file`]), the streams in the order of their first packets.
pub fn read(bytes: &[u8]) -> Result<Read, Error> {
    let mut reader = Reader::new(Limits::whole_file());
    reader.feed(bytes)?;
    let trailer = reader.finish()?;
    let mut streams = Vec::new();
    while let Some(stream) = reader.next_stream() {
        streams.push(stream);
    }
    // A connection ended by a new SYN on its ports finished before the ones still open.
    streams.sort_by_key(|s| s.first_packet);
    Ok(Read {
        key_log: trailer.key_log,
        format: trailer.format,
        link_types: trailer.link_types,
        packets: trailer.packets,
        streams,
        findings: trailer.findings,
    })
}
