//! The classic libpcap file format: a 24-byte file header, then records of a 16-byte header
//! and the packet bytes.
//!
//! Hand-written rather than taken from pcap-parser 0.17: that crate uses `std` unconditionally
//! (std::io, std::net, std::borrow), and docs/architecture.md requires pcap/pcapng in the no_std
//! build. The format is simple enough that a reader borrowing the input is shorter than an adapter.
//!
//! A damaged body never fails the file: the records read so far are kept and a finding says
//! where reading stopped.

use alloc::format;

use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::span::Span;

use super::packet::{Endian, Packet, Sink, Step};

/// Microsecond timestamps (written in the host's byte order).
const MAGIC_US: u32 = 0xa1b2_c3d4;
/// Nanosecond timestamps.
const MAGIC_NS: u32 = 0xa1b2_3c4d;
const HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
/// No link layer gives a packet larger than this (libpcap's own MAXIMUM_SNAPLEN is 256 KiB);
/// a larger record length means the body is damaged.
const MAX_RECORD: usize = 1 << 20;

/// Whether `bytes` starts with a pcap magic number, in either byte order.
pub(crate) fn is_pcap(bytes: &[u8]) -> bool {
    magic(bytes).is_some()
}

/// The byte order and timestamp unit (nanoseconds per tick) a header announces.
fn magic(bytes: &[u8]) -> Option<(Endian, i64)> {
    let first: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    match (u32::from_le_bytes(first), u32::from_be_bytes(first)) {
        (MAGIC_US, _) => Some((Endian::Little, 1_000)),
        (MAGIC_NS, _) => Some((Endian::Little, 1)),
        (_, MAGIC_US) => Some((Endian::Big, 1_000)),
        (_, MAGIC_NS) => Some((Endian::Big, 1)),
        _ => None,
    }
}

/// The file header's settings, for reading the records after it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct State {
    endian: Endian,
    /// Nanoseconds per timestamp tick.
    unit: i64,
    link: u32,
}

/// The file header: `Ok(None)` when more bytes are needed (and `eof` is not set).
///
/// `Err` when the file header is missing or unreadable.
pub(crate) fn header(bytes: &[u8], eof: bool, sink: &mut dyn Sink) -> Result<Option<State>, Error> {
    let (endian, unit) = magic(bytes).ok_or(Error::UnknownFormat)?;
    if bytes.len() < HEADER_LEN {
        if !eof {
            return Ok(None);
        }
        return Err(Error::Truncated {
            what: "pcap file header",
            offset: bytes.len(),
        });
    }
    let major = endian.u16(bytes, 4).unwrap_or(0);
    if major != 2 {
        return Err(Error::Malformed {
            what: "pcap file header",
            reason: format!("version {major} is not 2"),
        });
    }
    // The upper bits of the link-type field may carry FCS information (pcap-linktype spec).
    let link = endian.u32(bytes, 20).unwrap_or(0) & 0x0fff_ffff;
    sink.link(link);
    Ok(Some(State { endian, unit, link }))
}

/// The length of the file header, consumed once [`header`] gave a state.
pub(crate) const HEADER: usize = HEADER_LEN;

/// Reads the record that starts `rest` (file offset `at`); `count` packets came before it.
/// Without `eof`, a record not yet whole asks for more bytes; with it, the file ends there.
pub(crate) fn step(
    state: &State,
    rest: &[u8],
    at: usize,
    count: usize,
    eof: bool,
    sink: &mut dyn Sink,
) -> Step {
    let endian = state.endian;
    let Some(header) = rest.get(..RECORD_HEADER_LEN) else {
        if !eof {
            return Step::NeedMore;
        }
        sink.finding(
            Finding::warning(
                Code::CaptureTruncated,
                format!(
                    "the capture ends inside the header of packet {} (byte {at})",
                    count + 1
                ),
            )
            .at(Span::new(at, rest.len())),
        );
        return Step::End;
    };
    let secs = endian.u32(header, 0).unwrap_or(0);
    let frac = endian.u32(header, 4).unwrap_or(0);
    let caplen = endian.u32(header, 8).unwrap_or(0) as usize;
    let orig_len = endian.u32(header, 12).unwrap_or(0);
    if caplen > MAX_RECORD {
        sink.finding(
            Finding::error(
                Code::CaptureDamaged,
                format!(
                    "packet {} claims {caplen} bytes, more than any link carries; the rest \
                     of the capture (from byte {at}) is not read",
                    count + 1
                ),
            )
            .at(Span::new(at, RECORD_HEADER_LEN)),
        );
        return Step::End;
    }
    let (data, end) = match rest.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + caplen) {
        Some(data) => (data, false),
        None if !eof => return Step::NeedMore,
        None => {
            let available = rest.len() - RECORD_HEADER_LEN;
            sink.finding(
                Finding::warning(
                    Code::CaptureTruncated,
                    format!(
                        "the capture ends inside packet {}: {available} of its {caplen} \
                         bytes are present",
                        count + 1
                    ),
                )
                .at(Span::new(at, rest.len())),
            );
            // Keep the partial packet: its headers may still give a usable segment prefix.
            (rest.get(RECORD_HEADER_LEN..).unwrap_or_default(), true)
        }
    };
    let time_ns = i64::from(secs)
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(frac).saturating_mul(state.unit));
    sink.packet(Packet {
        number: count + 1,
        link: state.link,
        time_ns: Some(time_ns),
        data,
        offset: at + RECORD_HEADER_LEN,
        orig_len: orig_len.max(caplen as u32),
    });
    if end {
        Step::End
    } else {
        Step::Consumed(RECORD_HEADER_LEN + caplen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::packet::Collected;
    use alloc::vec;
    use alloc::vec::Vec;

    /// The whole file at once, as the streaming reader reads it at its end.
    fn read(bytes: &[u8]) -> Result<Collected, Error> {
        let mut out = Collected::default();
        let state = header(bytes, true, &mut out)?.ok_or(Error::Empty)?;
        let mut at = HEADER;
        while at < bytes.len() {
            let n = out.packets.len();
            match step(&state, &bytes[at..], at, n, true, &mut out) {
                Step::Consumed(used) => at += used,
                Step::NeedMore | Step::End => break,
            }
        }
        Ok(out)
    }

    fn file(records: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![];
        out.extend_from_slice(&MAGIC_US.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        for (i, r) in records.iter().enumerate() {
            out.extend_from_slice(&(i as u32 + 10).to_le_bytes());
            out.extend_from_slice(&5u32.to_le_bytes());
            out.extend_from_slice(&(r.len() as u32).to_le_bytes());
            out.extend_from_slice(&(r.len() as u32).to_le_bytes());
            out.extend_from_slice(r);
        }
        out
    }

    #[test]
    fn reads_records_and_stops_at_truncation() {
        let bytes = file(&[b"abc", b"defgh"]);
        let p = read(&bytes).unwrap_or_default();
        assert_eq!(p.packets.len(), 2);
        assert_eq!(p.packets[1].data, b"defgh");
        assert_eq!(p.packets[0].time_ns, Some(10_000_005_000));
        assert_eq!(p.packets[0].offset, 40);
        for cut in 0..bytes.len() {
            let r = read(&bytes[..cut]);
            if cut < HEADER_LEN {
                assert!(r.is_err());
            } else if let Ok(p) = r {
                assert!(p.packets.len() <= 2);
            }
        }
        let cut = read(&bytes[..bytes.len() - 2]).unwrap_or_default();
        assert_eq!(cut.packets[1].data, b"def");
        assert_eq!(cut.findings[0].code, "capture_truncated");
    }
}
