//! Handshake reassembly: messages cut across records, and several messages in one record.
//!
//! The fragments of plaintext handshake records are appended to one buffer, and a map keeps
//! where each fragment came from, so a message decoded from the buffer can still point at the
//! stream bytes (a field cut by a record header gets a span covering that header too). The
//! buffer holds at most the handshake bytes of the input, so memory stays bounded by it.

use alloc::vec::Vec;

use crate::span::{Node, Span};

/// One handshake message as found in the buffer: its type, body and where it is.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub kind: u8,
    /// Offset of the 4-byte header in the buffer.
    pub start: usize,
    /// The declared body length.
    pub length: usize,
    /// `false` when the stream ended before the whole body arrived.
    pub complete: bool,
    /// Index of the record the header started in.
    pub record: usize,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    buf: usize,
    stream: usize,
    len: usize,
    record: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Reassembly {
    buf: Vec<u8>,
    segments: Vec<Segment>,
    /// Buffer offset of the next message header.
    next: usize,
}

impl Reassembly {
    /// Adds a plaintext handshake fragment found at `stream` offset in record `record`.
    pub fn push(&mut self, fragment: &[u8], stream: usize, record: usize) {
        if fragment.is_empty() {
            return;
        }
        self.segments.push(Segment {
            buf: self.buf.len(),
            stream,
            len: fragment.len(),
            record,
        });
        self.buf.extend_from_slice(fragment);
    }

    /// The buffered bytes; message offsets index into them.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes received but not yet part of a complete message.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_sub(self.next)
    }

    /// The next complete message, if the buffer holds one.
    pub fn next_complete(&mut self) -> Option<Message> {
        let msg = self.peek()?;
        if !msg.complete {
            return None;
        }
        self.next = msg.start + 4 + msg.length;
        Some(msg)
    }

    /// What is left at the end of the stream: an incomplete message (or header bytes).
    pub fn take_incomplete(&mut self) -> Option<Message> {
        let msg = self.peek();
        self.next = self.buf.len();
        msg
    }

    /// Drops the buffered bytes (a record that cannot be plaintext follows them).
    pub fn discard_pending(&mut self) {
        self.next = self.buf.len();
    }

    fn peek(&self) -> Option<Message> {
        let header = self.buf.get(self.next..)?;
        if header.is_empty() {
            return None;
        }
        let record = self.record_of(self.next);
        if header.len() < 4 {
            return Some(Message {
                kind: header.first().copied().unwrap_or_default(),
                start: self.next,
                length: 0,
                complete: false,
                record,
            });
        }
        let [kind, a, b, c] = *header.get(..4)? else {
            return None;
        };
        let length = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        Some(Message {
            kind,
            start: self.next,
            length,
            complete: header.len() >= 4 + length,
            record,
        })
    }

    fn segment_of(&self, buf: usize) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.buf <= buf);
        self.segments.get(i.checked_sub(1)?)
    }

    fn record_of(&self, buf: usize) -> usize {
        self.segment_of(buf).map_or(0, |s| s.record)
    }

    /// The stream offset of buffer offset `buf` (one past the end maps past the last byte).
    pub fn to_stream(&self, buf: usize) -> usize {
        match self.segment_of(buf) {
            Some(s) if buf < s.buf + s.len => s.stream + (buf - s.buf),
            Some(s) => s.stream + s.len,
            None => 0,
        }
    }

    /// A buffer span as a stream span: from its first byte's position to its last byte's.
    pub fn span(&self, span: Span) -> Span {
        if span.len == 0 {
            return Span::new(self.to_stream(span.offset), 0);
        }
        let start = self.to_stream(span.offset);
        let last = self.to_stream(span.end() - 1);
        Span::new(start, last.saturating_sub(start) + 1)
    }

    /// Rewrites every span of a tree from buffer offsets to stream offsets.
    pub fn remap(&self, nodes: &mut [Node]) {
        for node in nodes {
            node.span = self.span(node.span);
            self.remap(&mut node.children);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn message_across_two_records_maps_back() {
        let mut r = Reassembly::default();
        // Record 0 at stream offset 5 holds the header and 2 body bytes; record 1 at 16 the rest.
        r.push(&[14, 0, 0, 4, 1, 2], 5, 0);
        assert!(r.next_complete().is_none());
        r.push(&[3, 4, 20, 0], 16, 1);
        let m = r.next_complete().unwrap();
        assert_eq!((m.kind, m.length, m.record), (14, 4, 0));
        assert_eq!(r.span(Span::new(0, 8)), Span::new(5, 13));
        assert_eq!(r.to_stream(6), 16);
        assert!(r.next_complete().is_none());
        let rest = r.take_incomplete().unwrap();
        assert_eq!((rest.kind, rest.complete, rest.record), (20, false, 1));
    }
}
