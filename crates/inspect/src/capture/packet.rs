//! What the file readers (pcap, pcapng) hand to the packet decoder: one captured frame with its
//! link type, time and position in the file.
//!
//! Both readers borrow the input, so a packet's bytes are a sub-slice of the file and every
//! later layer can say at which file offset its bytes lie.

use alloc::vec::Vec;

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

/// Everything a file reader found.
#[derive(Clone, Debug)]
pub(crate) struct Packets<'a> {
    /// "pcap" or "pcapng".
    pub format: &'static str,
    pub packets: Vec<Packet<'a>>,
    /// The link types of the file's interfaces, in order of appearance.
    pub link_types: Vec<u32>,
    pub findings: Vec<Finding>,
    /// The TLS key logs of pcapng Decryption Secrets Blocks (secrets: never printed).
    pub key_logs: Vec<&'a [u8]>,
}

impl Packets<'_> {
    pub(crate) fn new(format: &'static str) -> Self {
        Self {
            format,
            packets: Vec::new(),
            link_types: Vec::new(),
            findings: Vec::new(),
            key_logs: Vec::new(),
        }
    }
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
