//! The pcapng file format (draft-ietf-opsawg-pcapng): a sequence of blocks, each
//! `type, total length, body, total length`, in sections that each fix their byte order.
//!
//! Hand-written rather than taken from pcap-parser 0.17, which needs std (see `pcap.rs`). Read
//! here: Section Header, Interface Description (link type, `if_tsresol`, `if_tsoffset`),
//! Enhanced Packet, Simple Packet, the obsolete Packet block, and the TLS key logs of
//! Decryption Secrets Blocks (what `editcap --inject-secrets tls,keys.log` writes); every other
//! block is skipped by its length. Interface numbers restart with each section, as the format says.

use alloc::format;
use alloc::vec::Vec;

use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::span::Span;

use super::packet::{Endian, Packet, Sink, Step};

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// Decryption Secrets Block, and its secrets type for a TLS key log ("TLSK").
const DSB: u32 = 0x0a;
const DSB_TLS_KEY_LOG: u32 = 0x544c_534b;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// A larger block is treated as damage rather than read (packets are at most 256 KiB; other
/// blocks, such as name resolution or decryption secrets, stay well below this).
const MAX_BLOCK: usize = 16 << 20;

pub(crate) fn is_pcapng(bytes: &[u8]) -> bool {
    bytes.starts_with(&SHB.to_be_bytes())
}

/// One interface of the current section.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: u32,
    /// `if_tsresol`: the top bit chooses base 2, the rest is the negative exponent.
    tsresol: u8,
    /// `if_tsoffset`: seconds added to every timestamp.
    tsoffset: i64,
}

/// The current section's byte order and interfaces.
#[derive(Clone, Debug)]
pub(crate) struct State {
    endian: Endian,
    interfaces: Vec<Interface>,
}

/// The first Section Header Block's byte order: `Ok(None)` when more bytes are needed.
///
/// `Err` when the first Section Header Block is missing or unreadable.
pub(crate) fn header(bytes: &[u8], eof: bool) -> Result<Option<State>, Error> {
    if !is_pcapng(bytes) {
        return Err(Error::UnknownFormat);
    }
    match section_endian(bytes, 0) {
        Some(endian) => Ok(Some(State {
            endian,
            interfaces: Vec::new(),
        })),
        None if bytes.len() < 12 && !eof => Ok(None),
        None if bytes.len() < 12 => Err(Error::Truncated {
            what: "pcapng section header",
            offset: bytes.len(),
        }),
        None => Err(Error::Malformed {
            what: "pcapng section header",
            reason: "its byte-order magic is not 1a2b3c4d in either byte order".into(),
        }),
    }
}

/// Reads the block that starts `rest` (file offset `at`); `count` packets came before it.
/// Without `eof`, a block not yet whole asks for more bytes; with it, the file ends there.
pub(crate) fn step(
    state: &mut State,
    rest: &[u8],
    at: usize,
    count: usize,
    eof: bool,
    sink: &mut dyn Sink,
) -> Step {
    let need = |sink: &mut dyn Sink| {
        if eof {
            truncated(sink, rest, at, count);
            Step::End
        } else {
            Step::NeedMore
        }
    };
    let Some(block_type) = state.endian.u32(rest, 0) else {
        return need(sink);
    };
    if block_type == SHB {
        // A new section may switch byte order; its interfaces start from 0 again.
        match section_endian(rest, 0) {
            Some(e) => state.endian = e,
            None => return need(sink),
        }
        state.interfaces.clear();
    }
    let endian = state.endian;
    let Some(total) = endian.u32(rest, 4).map(|t| t as usize) else {
        return need(sink);
    };
    if total < 12 || total % 4 != 0 || total > MAX_BLOCK {
        sink.finding(
            Finding::error(
                Code::CaptureDamaged,
                format!(
                    "the block at byte {at} has an impossible length ({total}); the rest \
                     of the capture is not read"
                ),
            )
            .at(Span::new(at, 8)),
        );
        return Step::End;
    }
    let Some(whole) = rest.get(..total) else {
        if !eof {
            return Step::NeedMore;
        }
        truncated(sink, rest, at, count);
        // A cut packet block still gives its first bytes.
        packet_block(rest, at, block_type, state, count, sink);
        return Step::End;
    };
    if endian.u32(whole, total - 4) != Some(total as u32) {
        sink.finding(
            Finding::warning(
                Code::CaptureDamaged,
                format!("the block at byte {at} ends with a length that differs from its start"),
            )
            .at(Span::new(at, total)),
        );
    }
    match block_type {
        IDB => {
            let iface = interface(whole, endian);
            sink.link(iface.link);
            state.interfaces.push(iface);
        }
        EPB | SPB | OPB => packet_block(whole, at, block_type, state, count, sink),
        DSB => {
            let kind = endian.u32(whole, 8);
            let len = endian.u32(whole, 12).map_or(0, |l| l as usize);
            let data = whole.get(16..).and_then(|d| d.get(..len));
            if let (Some(DSB_TLS_KEY_LOG), Some(data)) = (kind, data) {
                sink.key_log(data);
            }
        }
        _ => {}
    }
    Step::Consumed(total)
}

fn truncated(sink: &mut dyn Sink, rest: &[u8], at: usize, count: usize) {
    sink.finding(
        Finding::warning(
            Code::CaptureTruncated,
            format!("the capture ends inside a block at byte {at} (after {count} packets)"),
        )
        .at(Span::new(at, rest.len())),
    );
}

/// The byte order of the section whose header starts at `at`.
fn section_endian(bytes: &[u8], at: usize) -> Option<Endian> {
    let magic: [u8; 4] = bytes.get(at + 8..at + 12)?.try_into().ok()?;
    if u32::from_le_bytes(magic) == BYTE_ORDER_MAGIC {
        Some(Endian::Little)
    } else if u32::from_be_bytes(magic) == BYTE_ORDER_MAGIC {
        Some(Endian::Big)
    } else {
        None
    }
}

fn interface(block: &[u8], endian: Endian) -> Interface {
    let mut iface = Interface {
        link: u32::from(endian.u16(block, 8).unwrap_or(0)),
        tsresol: 6,
        tsoffset: 0,
    };
    // Options: code, length, value padded to 4; opt_endofopt (0) ends them.
    let end = block.len().saturating_sub(4);
    let mut at = 16;
    while at + 4 <= end {
        let code = endian.u16(block, at).unwrap_or(0);
        let len = usize::from(endian.u16(block, at + 2).unwrap_or(0));
        let value = block
            .get(at + 4..(at + 4 + len).min(end))
            .unwrap_or_default();
        match code {
            0 => break,
            9 => iface.tsresol = value.first().copied().unwrap_or(6),
            14 => {
                iface.tsoffset = endian
                    .u64(value, 0)
                    .map(|v| v as i64)
                    .unwrap_or(iface.tsoffset);
            }
            _ => {}
        }
        at += 4 + len.div_ceil(4) * 4;
    }
    iface
}

/// Reads an Enhanced, Simple or obsolete Packet block (possibly cut short at the file's end).
fn packet_block(
    block: &[u8],
    at: usize,
    block_type: u32,
    state: &State,
    count: usize,
    sink: &mut dyn Sink,
) {
    let endian = state.endian;
    let (iface_id, ts, caplen, orig_len, data_at) = match block_type {
        EPB => (
            endian.u32(block, 8).map(|i| i as usize),
            ts(endian, block, 12),
            endian.u32(block, 20),
            endian.u32(block, 24),
            28,
        ),
        OPB => (
            endian.u16(block, 8).map(usize::from),
            ts(endian, block, 12),
            endian.u32(block, 20),
            endian.u32(block, 24),
            28,
        ),
        _ => {
            // Simple Packet: no interface, time or captured length; the data fills the block.
            let orig = endian.u32(block, 8);
            let room = block.len().saturating_sub(16) as u32;
            (Some(0), None, orig.map(|o| o.min(room)), orig, 12)
        }
    };
    let (Some(iface_id), Some(caplen), Some(orig_len)) = (iface_id, caplen, orig_len) else {
        return;
    };
    let Some(iface) = state.interfaces.get(iface_id) else {
        sink.finding(Finding::warning(
            Code::CaptureDamaged,
            format!(
                "the packet block at byte {at} names interface {iface_id}, which is not described"
            ),
        ));
        return;
    };
    let room = block.len().saturating_sub(data_at);
    let data = block
        .get(data_at..data_at + (caplen as usize).min(room))
        .unwrap_or_default();
    sink.packet(Packet {
        number: count + 1,
        link: iface.link,
        time_ns: ts.map(|t| to_ns(t, iface)),
        data,
        offset: at + data_at,
        orig_len: orig_len.max(data.len() as u32),
    });
}

fn ts(endian: Endian, block: &[u8], at: usize) -> Option<u64> {
    let high = endian.u32(block, at)?;
    let low = endian.u32(block, at + 4)?;
    Some(u64::from(high) << 32 | u64::from(low))
}

/// A timestamp in the interface's units, as nanoseconds since the epoch (saturating).
fn to_ns(ticks: u64, iface: &Interface) -> i64 {
    let exp = u32::from(iface.tsresol & 0x7f);
    let ns: u128 = if iface.tsresol & 0x80 != 0 {
        let denominator = 1u128.checked_shl(exp.min(127)).unwrap_or(1);
        u128::from(ticks) * 1_000_000_000 / denominator
    } else if exp <= 9 {
        u128::from(ticks) * 10u128.pow(9 - exp)
    } else {
        u128::from(ticks) / 10u128.pow(exp.min(38) - 9)
    };
    i64::try_from(ns)
        .unwrap_or(i64::MAX)
        .saturating_add(iface.tsoffset.saturating_mul(1_000_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::packet::Collected;
    use alloc::vec;

    /// The whole file at once, as the streaming reader reads it at its end.
    fn read(bytes: &[u8]) -> Result<Collected, Error> {
        let mut out = Collected::default();
        let mut state = header(bytes, true)?.ok_or(Error::Empty)?;
        let mut at = 0;
        while at < bytes.len() {
            let n = out.packets.len();
            match step(&mut state, &bytes[at..], at, n, true, &mut out) {
                Step::Consumed(used) => at += used,
                Step::NeedMore | Step::End => break,
            }
        }
        Ok(out)
    }

    fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let total = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = vec![];
        b.extend_from_slice(&t.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(total as usize - 4, 0);
        b.extend_from_slice(&total.to_le_bytes());
        b
    }

    fn file() -> Vec<u8> {
        let mut shb = BYTE_ORDER_MAGIC.to_le_bytes().to_vec();
        shb.extend_from_slice(&[1, 0, 0, 0]);
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        // IDB: Ethernet, snaplen, if_tsresol = 9 (nanoseconds).
        let idb = [1, 0, 0, 0, 0, 0, 4, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0];
        let mut epb = vec![0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0];
        epb.extend_from_slice(b"hello");
        let mut out = block(SHB, &shb);
        out.extend(block(IDB, &idb));
        out.extend(block(EPB, &epb));
        out
    }

    #[test]
    fn reads_enhanced_packets_with_resolution() {
        let bytes = file();
        let p = read(&bytes).unwrap_or_default();
        assert_eq!(p.packets.len(), 1);
        assert_eq!(p.packets[0].data, b"hello");
        assert_eq!(p.packets[0].time_ns, Some(7));
        assert_eq!(p.link_types, [1]);
        assert!(p.findings.is_empty());
        assert!(p.key_logs.is_empty());
        for cut in 0..bytes.len() {
            let _ = read(&bytes[..cut]);
        }
        let cut = read(&bytes[..bytes.len() - 9]).unwrap_or_default();
        assert_eq!(cut.packets[0].data, b"hel");
        assert_eq!(cut.findings[0].code, "capture_truncated");
    }

    #[test]
    fn reads_the_key_log_of_a_decryption_secrets_block() {
        let mut bytes = file();
        let log = b"CLIENT_RANDOM 00 11\n";
        let mut dsb = DSB_TLS_KEY_LOG.to_le_bytes().to_vec();
        dsb.extend_from_slice(&(log.len() as u32).to_le_bytes());
        dsb.extend_from_slice(log);
        bytes.extend(block(DSB, &dsb));
        let p = read(&bytes).unwrap_or_default();
        assert_eq!(p.key_logs, [&log[..]]);
    }
}
