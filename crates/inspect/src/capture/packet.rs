//! What the file readers (pcap, pcapng) hand to the packet decoder: one captured frame with its
//! link type, time and position in the file.
//!
//! Both readers borrow the input, so a packet's bytes are a sub-slice of the file and every
//! later layer can say at which file offset its bytes lie.

use crate::finding::Finding;

/// One captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Packet<'a> {
    /// The packet's number in the file, from 1 (as Wireshark numbers frames).
    pub number: usize,
    /// The link-layer header type (LINKTYPE_* of the tcpdump.org registry).
    pub link: u32,
    /// Nanoseconds since the Unix epoch, when the file says.
    pub time_ns: Option<i64>,
    /// The captured bytes (possibly fewer than were on the wire).
    pub data: &'a [u8],
    /// The file offset of `data`.
    pub offset: usize,
    /// The length of the frame on the wire.
    pub orig_len: u32,
}

/// Where a file reader puts what it reads, block by block: the streaming reader's state.
pub(crate) trait Sink {
    /// A captured frame (its bytes are copied before the call returns, if at all).
    fn packet(&mut self, packet: Packet<'_>);
    /// A finding about the file.
    fn finding(&mut self, finding: Finding);
    /// An interface's link type (pcap: the file's; pcapng: each Interface Description Block).
    fn link(&mut self, link: u32);
    /// The TLS key log of a Decryption Secrets Block (a secret: never printed).
    fn key_log(&mut self, text: &[u8]);
}

/// What one step of a file reader did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A record or block was read whole: this many bytes are done with.
    Consumed(usize),
    /// The next record or block is not whole yet: more bytes, or the end of the file, decide.
    NeedMore,
    /// Reading stops here (damage, or the file ends inside a record); the rest is not read.
    End,
}

/// The byte order of a file (pcap) or a section (pcapng).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        })
    }

    pub(crate) fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        })
    }

    pub(crate) fn u64(self, bytes: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        })
    }
}

/// Big-endian (network order) readers for the protocol headers.
pub(crate) fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16(bytes, at)
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32(bytes, at)
}

/// A sink that keeps everything, for the file readers' unit tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub packets: alloc::vec::Vec<Owned>,
    pub link_types: alloc::vec::Vec<u32>,
    pub findings: alloc::vec::Vec<Finding>,
    pub key_logs: alloc::vec::Vec<alloc::vec::Vec<u8>>,
}

/// A packet with its bytes copied.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct Owned {
    pub time_ns: Option<i64>,
    pub data: alloc::vec::Vec<u8>,
    pub offset: usize,
}

#[cfg(test)]
impl Sink for Collected {
    fn packet(&mut self, p: Packet<'_>) {
        self.packets.push(Owned {
            time_ns: p.time_ns,
            data: p.data.to_vec(),
            offset: p.offset,
        });
    }
    fn finding(&mut self, f: Finding) {
        self.findings.push(f);
    }
    fn link(&mut self, link: u32) {
        self.link_types.push(link);
    }
    fn key_log(&mut self, text: &[u8]) {
        self.key_logs.push(text.to_vec());
    }
}
