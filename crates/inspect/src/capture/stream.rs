//! The streaming capture reader: bytes in chunks of any size, each TCP connection out when it
//! is finished, memory for the open connections only.
//!
//! A capture of a day of traffic is gigabytes; a reader that holds it whole needs several
//! times that. [`Reader`] takes the file in chunks (a read buffer, a pipe from `tcpdump -w -`,
//! a browser's `File.slice`), keeps at most one record or block that is not yet whole (1 MiB
//! for pcap, 16 MiB for pcapng, as the readers bound them), and hands over each connection as a
//! [`Stream`] when it ends: closed by FIN both ways or by RST (after a short linger, so the
//! last ACKs still count), idle for the timeout, or at the end of the file. What it keeps of
//! a connection is bounded by [`Limits`]. [`decode_stream`](super::decode_stream) turns a
//! stream into its report; connections are independent, so a front end may decode them on
//! several threads.
//!
//! The whole-file API ([`super::decode`]) is this reader fed the whole file with
//! [`Limits::whole_file`]: one code path, so the two give the same reports.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;
use core::net::SocketAddr;

use crate::decrypt::KeyLog;
use crate::error::Error;
use crate::finding::{Code, Finding};

use super::connection::{self, Limits, Stream, Tracker};
use super::packet::{Packet, Sink, Step};
use super::{ip, link, pcap, pcapng, tcp};

/// Which file format, once its header is read.
#[derive(Debug)]
enum Format {
    /// The header is not read yet.
    Start,
    Pcap(pcap::State),
    Pcapng(pcapng::State),
    /// Reading stopped (damage, or the end of the file); later bytes are ignored.
    Stopped,
}

/// Reads a capture given in chunks: see the module documentation.
#[derive(Debug)]
pub struct Reader {
    format: Format,
    name: Option<&'static str>,
    /// Bytes received and not yet read (a record or block not yet whole).
    pending: Vec<u8>,
    /// The file offset of `pending[0]`.
    offset: usize,
    /// Every byte received.
    received: u64,
    inner: Inner,
}

/// What the file readers feed: the packet decoder and the file's findings.
#[derive(Debug, Default)]
struct Inner {
    tracker: Tracker,
    packets: usize,
    link_types: Vec<u32>,
    findings: Vec<Finding>,
    problems: Problems,
    key_log: KeyLog,
    /// Bumped each time a Decryption Secrets Block adds secrets.
    key_log_version: usize,
}

/// What is left when the file is read: about the file, not about one connection.
#[derive(Clone, Debug, Default)]
pub struct Trailer {
    /// "pcap" or "pcapng".
    pub format: &'static str,
    /// The link types of the file's interfaces, by name.
    pub link_types: Vec<&'static str>,
    /// Every packet in the file.
    pub packets: usize,
    /// About the file and its packets (per-connection findings are in each stream).
    pub findings: Vec<Finding>,
    /// The secrets of the file's Decryption Secrets Blocks (pcapng), if any.
    pub key_log: KeyLog,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new(Limits::streaming())
    }
}

impl Reader {
    /// A reader that finishes connections as [`Limits`] says.
    pub fn new(limits: Limits) -> Reader {
        Reader {
            format: Format::Start,
            name: None,
            pending: Vec::new(),
            offset: 0,
            received: 0,
            inner: Inner {
                tracker: Tracker::new(limits),
                ..Inner::default()
            },
        }
    }

    /// Reads the next chunk of the file. Finished connections are then available from
    /// [`Reader::next_stream`].
    ///
    /// `Err` only when the bytes are not a capture or its file header is unreadable; the
    /// reader then stops.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.received += chunk.len() as u64;
        if matches!(self.format, Format::Stopped) {
            return Ok(());
        }
        if self.pending.is_empty() {
            // Most chunks end mid-record: read what is whole from the chunk itself, keep the rest.
            let used = self.read(chunk, false)?;
            self.offset += used;
            if !matches!(self.format, Format::Stopped) {
                self.pending
                    .extend_from_slice(chunk.get(used..).unwrap_or_default());
            }
        } else {
            self.pending.extend_from_slice(chunk);
            let pending = core::mem::take(&mut self.pending);
            let used = self.read(&pending, false)?;
            self.offset += used;
            self.pending = pending;
            self.pending.drain(..used.min(self.pending.len()));
        }
        if matches!(self.format, Format::Stopped) {
            self.pending = Vec::new();
        }
        Ok(())
    }

    /// The end of the file: reads what is left (a record cut short gives a finding) and
    /// finishes every open connection.
    ///
    /// `Err` when the file is empty, or ended before its header was whole.
    pub fn finish(&mut self) -> Result<Trailer, Error> {
        if matches!(self.format, Format::Start) && self.received == 0 {
            return Err(Error::Empty);
        }
        let pending = core::mem::take(&mut self.pending);
        self.read(&pending, true)?;
        self.format = Format::Stopped;
        self.inner.problems.take_findings(&mut self.inner.findings);
        self.inner.tracker.finish();
        Ok(Trailer {
            format: self.name.unwrap_or("pcap"),
            link_types: self
                .inner
                .link_types
                .iter()
                .map(|&l| link::name(l))
                .collect(),
            packets: self.inner.packets,
            findings: core::mem::take(&mut self.inner.findings),
            key_log: self.inner.key_log.clone(),
        })
    }

    /// The next finished connection, in the order they finished.
    pub fn next_stream(&mut self) -> Option<Stream> {
        self.inner.tracker.finished.pop_front()
    }

    /// The secrets of the Decryption Secrets Blocks read so far (decrypt the connections
    /// that finish with these merged with any key log given).
    pub fn key_log(&self) -> &KeyLog {
        &self.inner.key_log
    }

    /// Changes each time a Decryption Secrets Block adds secrets (a front end that shares the
    /// key log between threads rebuilds it then).
    pub fn key_log_version(&self) -> usize {
        self.inner.key_log_version
    }

    /// Connections being collected now.
    pub fn open_connections(&self) -> usize {
        self.inner.tracker.open()
    }

    /// Bytes given to [`Reader::feed`] so far.
    pub fn bytes_received(&self) -> u64 {
        self.received
    }

    /// Packets read so far.
    pub fn packets(&self) -> usize {
        self.inner.packets
    }

    /// Reads the records or blocks that are whole in `bytes` (file offset `self.offset`);
    /// returns how many bytes are done with.
    fn read(&mut self, bytes: &[u8], eof: bool) -> Result<usize, Error> {
        let mut at = 0usize;
        if matches!(self.format, Format::Start) {
            if bytes.len() < 4 && !eof {
                return Ok(0);
            }
            if pcapng::is_pcapng(bytes) {
                match pcapng::header(bytes, eof) {
                    Ok(Some(state)) => {
                        self.format = Format::Pcapng(state);
                        self.name = Some("pcapng");
                    }
                    Ok(None) => return Ok(0),
                    Err(e) => {
                        self.format = Format::Stopped;
                        return Err(e);
                    }
                }
            } else if pcap::is_pcap(bytes) {
                match pcap::header(bytes, eof, &mut self.inner) {
                    Ok(Some(state)) => {
                        self.format = Format::Pcap(state);
                        self.name = Some("pcap");
                        at = pcap::HEADER;
                    }
                    Ok(None) => return Ok(0),
                    Err(e) => {
                        self.format = Format::Stopped;
                        return Err(e);
                    }
                }
            } else {
                self.format = Format::Stopped;
                return Err(if bytes.is_empty() {
                    Error::Empty
                } else {
                    Error::UnknownFormat
                });
            }
        }
        while at < bytes.len() {
            let rest = bytes.get(at..).unwrap_or_default();
            let file_at = self.offset + at;
            let count = self.inner.packets;
            let step = match &mut self.format {
                Format::Pcap(state) => {
                    pcap::step(state, rest, file_at, count, eof, &mut self.inner)
                }
                Format::Pcapng(state) => {
                    pcapng::step(state, rest, file_at, count, eof, &mut self.inner)
                }
                Format::Start | Format::Stopped => Step::End,
            };
            match step {
                Step::Consumed(n) => at += n,
                Step::NeedMore => break,
                Step::End => {
                    self.format = Format::Stopped;
                    return Ok(bytes.len());
                }
            }
        }
        Ok(at)
    }
}

impl Sink for Inner {
    fn packet(&mut self, p: Packet<'_>) {
        self.packets += 1;
        let problems = &mut self.problems;
        let (at, network) = match link::network(p.link, p.data) {
            Ok(found) => found,
            Err(link::Skip::UnknownLink) => {
                problems.unknown_links.entry(p.link).or_insert(p.number);
                return;
            }
            Err(link::Skip::Short) => {
                problems.note("a link-layer header cut short", p.number);
                return;
            }
            Err(link::Skip::NotIp) => return,
        };
        let Some(ip_bytes) = p.data.get(at..) else {
            return;
        };
        let packet = match ip::parse(network, ip_bytes) {
            Ok(packet) => packet,
            Err(ip::IpError::Short) => {
                problems.note("an IP header cut short", p.number);
                return;
            }
            Err(ip::IpError::Bad(why)) => {
                problems.note(why, p.number);
                return;
            }
        };
        if packet.protocol != ip::TCP {
            return;
        }
        if packet.fragment {
            problems.fragments.get_or_insert(p.number);
            problems.fragment_count += 1;
            return;
        }
        let segment = match tcp::parse(packet.payload) {
            Ok(segment) => segment,
            Err(_) => {
                problems.note("a TCP header cut short or malformed", p.number);
                return;
            }
        };
        let origin = connection::Origin {
            packet: p.number,
            time_ns: p.time_ns,
            payload_offset: p.offset + at + packet.payload_offset + segment.payload_offset,
        };
        self.tracker.add(
            SocketAddr::new(packet.src, segment.src_port),
            SocketAddr::new(packet.dst, segment.dst_port),
            segment,
            origin,
        );
    }

    fn finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn link(&mut self, link: u32) {
        self.link_types.push(link);
    }

    fn key_log(&mut self, text: &[u8]) {
        let found = KeyLog::parse(text);
        if !found.is_empty() {
            self.key_log_version += 1;
        }
        self.key_log.merge(found);
    }
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

    fn take_findings(&mut self, findings: &mut Vec<Finding>) {
        let this = core::mem::take(self);
        for (link, first) in this.unknown_links {
            findings.push(Finding::warning(
                Code::UnsupportedLinkType,
                format!(
                    "link type {link} (first at packet {first}) is not one this reader knows; \
                     its packets are skipped"
                ),
            ));
        }
        for (why, (count, first)) in this.bad {
            findings.push(Finding::warning(
                Code::BadPacket,
                format!("{count} packets skipped for {why} (the first is packet {first})"),
            ));
        }
        if let Some(first) = this.fragments {
            findings.push(Finding::warning(
                Code::IpFragment,
                format!(
                    "{} IP fragments (the first is packet {first}) are not reassembled; the \
                     TCP bytes they carry are missing from the streams",
                    this.fragment_count
                ),
            ));
        }
    }
}
