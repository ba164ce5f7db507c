//! TCP reassembly of one direction of one connection: segments in capture order in, the byte
//! stream out, with its gaps, retransmissions and out-of-order arrivals counted.
//!
//! The whole capture is in memory, so reassembly is offline: sequence numbers are unwrapped to
//! 64 bits (each one relative to the previous, so wrap-around at 2^32 is seamless), segments
//! are sorted by position (the first to arrive wins among equals), and the stream is built in
//! one pass. Missing bytes are not filled in: the stream holds only captured bytes and each gap
//! says where in the stream bytes are missing and how many. The stream can therefore never be
//! larger than the captured payload, whatever sequence numbers a hostile file holds.

use alloc::vec::Vec;

/// One TCP segment as captured, in the order of the capture.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece<'a> {
    pub seq: u32,
    /// A SYN occupies one sequence number before the data.
    pub syn: bool,
    pub data: &'a [u8],
    /// The file offset of `data`.
    pub file_offset: usize,
    /// The packet number (from 1).
    pub packet: usize,
}

/// Bytes missing from a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The position in the reassembled bytes where the missing bytes belong.
    pub offset: usize,
    /// How many bytes are missing (as the sequence numbers say).
    pub len: u64,
    /// The number of the first packet after the gap.
    pub packet: usize,
}

/// Where a run of stream bytes lies in the capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The position in the reassembled bytes.
    pub offset: usize,
    /// Number of missing bytes.
    pub len: usize,
    /// The offset of these bytes in the capture file.
    pub file_offset: usize,
    /// The packet they came in (from 1).
    pub packet: usize,
}

/// One direction of a TCP connection, reassembled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    /// The captured bytes in stream order, gaps left out.
    pub bytes: Vec<u8>,
    /// The holes in the sequence space, in order.
    pub gaps: Vec<Gap>,
    /// Where every run of `bytes` came from in the file.
    pub chunks: Vec<Chunk>,
    /// Every packet of this direction, data or not.
    pub packets: usize,
    /// Segments that carried no byte not already seen.
    pub retransmissions: usize,
    /// Segments that filled a hole left by an earlier, later-positioned segment.
    pub out_of_order: usize,
    /// Segments that resent bytes with different content (the first copy is kept).
    pub conflicting_overlaps: usize,
    /// A SYN was seen in this direction.
    pub syn: bool,
    /// A FIN was seen in this direction.
    pub fin: bool,
    /// An RST was seen in this direction.
    pub rst: bool,
    /// Bytes sent after the direction's budget was spent (a long-lived connection read by the
    /// streaming reader): counted by their sequence numbers, not kept in `bytes` or decoded.
    pub not_kept: u64,
}

/// Reassembles one direction. `isn` is the sequence number of this direction's SYN, if seen.
pub(crate) fn reassemble(pieces: &[Piece<'_>], isn: Option<u32>) -> Flow {
    let mut flow = Flow::default();
    let Some(reference) = isn.or_else(|| pieces.first().map(|p| p.seq)) else {
        return flow;
    };
    // Unwrap every sequence number relative to the one before it: (start, end, arrival index).
    let mut placed: Vec<(i64, i64, usize)> = Vec::with_capacity(pieces.len());
    let mut last_seq = reference;
    let mut last_abs: i64 = 0;
    for (i, p) in pieces.iter().enumerate() {
        let delta = i64::from(p.seq.wrapping_sub(last_seq) as i32);
        last_abs = last_abs.saturating_add(delta);
        last_seq = p.seq;
        if !p.data.is_empty() {
            let start = last_abs.saturating_add(i64::from(p.syn));
            placed.push((start, start.saturating_add(p.data.len() as i64), i));
        }
    }
    let base = match isn {
        Some(_) => 1,
        None => placed.iter().map(|p| p.0).min().unwrap_or(0),
    };
    // How far the stream reached when each segment arrived, to tell out-of-order arrivals.
    let mut reach_at_arrival = Vec::with_capacity(placed.len());
    let mut reach = base;
    for &(start, end, _) in &placed {
        reach_at_arrival.push(reach);
        reach = reach.max(end).max(start);
    }
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by_key(|&k| placed.get(k).map(|p| (p.0, p.2)));
    let total: usize = pieces.iter().map(|p| p.data.len()).sum();
    flow.bytes.reserve_exact(total);

    let mut cursor = base;
    // Sequence position where the bytes since the last gap begin, and its index in `bytes`.
    let mut run_start = base;
    let mut run_index = 0usize;
    for k in order {
        let (Some(&(start, end, arrival)), Some(&reach)) = (placed.get(k), reach_at_arrival.get(k))
        else {
            continue;
        };
        let Some(piece) = pieces.get(arrival) else {
            continue;
        };
        if start > cursor {
            flow.gaps.push(Gap {
                offset: flow.bytes.len(),
                len: start.saturating_sub(cursor) as u64,
                packet: piece.packet,
            });
            cursor = start;
            run_start = start;
            run_index = flow.bytes.len();
        }
        if start < cursor && start >= run_start {
            // The bytes resent here overlap bytes already placed: do they agree?
            let from = run_index + (start - run_start) as usize;
            let seen = flow.bytes.get(from..).unwrap_or_default();
            let n = seen.len().min(piece.data.len());
            if seen.get(..n) != piece.data.get(..n) {
                flow.conflicting_overlaps += 1;
            }
        }
        if end <= cursor {
            flow.retransmissions += 1;
            continue;
        }
        if start < reach {
            flow.out_of_order += 1;
        }
        let skip = (cursor - start) as usize;
        let fresh = piece.data.get(skip..).unwrap_or_default();
        flow.chunks.push(Chunk {
            offset: flow.bytes.len(),
            len: fresh.len(),
            file_offset: piece.file_offset + skip,
            packet: piece.packet,
        });
        flow.bytes.extend_from_slice(fresh);
        cursor = end;
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(seq: u32, data: &'static [u8], packet: usize) -> Piece<'static> {
        Piece {
            seq,
            syn: false,
            data,
            file_offset: packet * 100,
            packet,
        }
    }

    #[test]
    fn orders_and_deduplicates_across_wrap_around() {
        let isn = u32::MAX - 2;
        let syn = Piece {
            syn: true,
            ..piece(isn, b"", 1)
        };
        let pieces = [
            syn,
            piece(isn.wrapping_add(6), b"fgh", 3), // arrives early
            piece(isn.wrapping_add(1), b"abcd", 2),
            piece(isn.wrapping_add(1), b"abcd", 4), // retransmission
            piece(isn.wrapping_add(3), b"cdef", 5), // overlap that fills the hole
            piece(isn.wrapping_add(9), b"ij", 6),
        ];
        let flow = reassemble(&pieces, Some(isn));
        assert_eq!(flow.bytes, b"abcdefghij");
        assert_eq!(flow.gaps, []);
        assert_eq!(flow.retransmissions, 1);
        assert_eq!(flow.out_of_order, 2);
        assert_eq!(flow.conflicting_overlaps, 0);
        assert_eq!(
            flow.chunks[1],
            Chunk {
                offset: 4,
                len: 2,
                file_offset: 502,
                packet: 5
            }
        );
        assert_eq!(
            flow.chunks[2],
            Chunk {
                offset: 6,
                len: 2,
                file_offset: 301,
                packet: 3
            }
        );
    }

    #[test]
    fn reports_gaps_and_conflicts_without_filling_them() {
        let pieces = [
            piece(100, b"abc", 1),
            piece(u32::MAX / 2, b"far", 2), // two gigabytes later: a gap, not an allocation
            piece(101, b"XY", 3),
        ];
        let flow = reassemble(&pieces, None);
        assert_eq!(flow.bytes, b"abcfar");
        assert_eq!(flow.gaps.len(), 1);
        assert_eq!(flow.gaps[0].offset, 3);
        assert_eq!(flow.gaps[0].len, u64::from(u32::MAX / 2 - 103));
        assert_eq!(flow.conflicting_overlaps, 1);
        assert_eq!(reassemble(&[], None), Flow::default());
    }
}
