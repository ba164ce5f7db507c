//! The byte reader every TLS decoder in this module uses, with named errors.
//!
//! Modelled on rustls' `msgs/codec.rs`: a cursor over a borrowed slice that reads big-endian
//! integers and length-prefixed vectors, and fails with an [`InvalidMessage`] that says what was
//! being read. Unlike rustls it remembers where its slice sits in the whole stream (`base`), so
//! every value read can be given a [`Span`] for the hex view. It never panics: every read is
//! checked against the bytes left.

use alloc::string::String;
use core::fmt::{self, Write};

use crate::finding::Code;
use crate::span::Span;

/// Why a TLS structure could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidMessage {
    /// The bytes ended while `what` was being read.
    MissingData(&'static str),
    /// Bytes are left over after `what`.
    TrailingData(&'static str),
    /// A value that must be one of a few is not (`what` names the field).
    IllegalValue(&'static str),
}

impl InvalidMessage {
    /// The finding code for this error.
    pub const fn code(self) -> Code {
        match self {
            InvalidMessage::MissingData(_) => Code::TruncatedHandshake,
            _ => Code::MalformedHandshake,
        }
    }
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidMessage::MissingData(what) => write!(f, "the bytes end inside the {what}"),
            InvalidMessage::TrailingData(what) => write!(f, "bytes are left after the {what}"),
            InvalidMessage::IllegalValue(what) => write!(f, "the {what} has an illegal value"),
        }
    }
}

pub type Result<T> = core::result::Result<T, InvalidMessage>;

/// A cursor over part of a stream; offsets are stream offsets.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    nodes: bool,
}

impl<'a> Reader<'a> {
    /// Reads `buf`, whose first byte is at `base` in the stream.
    pub const fn new(buf: &'a [u8], base: usize) -> Self {
        Self {
            buf,
            pos: 0,
            base,
            nodes: true,
        }
    }

    /// This reader, and every reader of a vector it reads, saying whether the caller keeps
    /// the field tree (by default it does).
    pub const fn with_nodes(mut self, nodes: bool) -> Self {
        self.nodes = nodes;
        self
    }

    /// Whether the caller keeps the field tree: when not, the decoders that read with this
    /// reader build no node and format no value for one (the report's values are the same).
    pub const fn nodes(&self) -> bool {
        self.nodes
    }

    /// The stream offset of the next byte.
    pub const fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub fn any_left(&self) -> bool {
        self.left() > 0
    }

    /// The bytes not read yet (not consumed).
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Fails with `TrailingData` when bytes are left.
    pub fn expect_empty(&self, what: &'static str) -> Result<()> {
        if self.any_left() {
            Err(InvalidMessage::TrailingData(what))
        } else {
            Ok(())
        }
    }

    /// Takes `n` bytes with their span.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<(&'a [u8], Span)> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(InvalidMessage::MissingData(what))?;
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or(InvalidMessage::MissingData(what))?;
        let span = Span::new(self.offset(), n);
        self.pos = end;
        Ok((bytes, span))
    }

    /// Takes whatever is left.
    pub fn take_rest(&mut self) -> (&'a [u8], Span) {
        let rest = self.rest();
        let span = Span::new(self.offset(), rest.len());
        self.pos = self.buf.len();
        (rest, span)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<(u8, Span)> {
        let (b, span) = self.take(1, what)?;
        Ok((b.first().copied().unwrap_or_default(), span))
    }

    pub fn u16(&mut self, what: &'static str) -> Result<(u16, Span)> {
        let (b, span) = self.take(2, what)?;
        Ok((be(b) as u16, span))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<(u32, Span)> {
        let (b, span) = self.take(4, what)?;
        Ok((be(b) as u32, span))
    }

    /// A vector with a `prefix`-byte length (1, 2 or 3): a reader over its body, and the span of
    /// the whole vector (length included).
    pub fn vec(&mut self, prefix: usize, what: &'static str) -> Result<(Reader<'a>, Span)> {
        let start = self.offset();
        let (len_bytes, _) = self.take(prefix, what)?;
        let len = be(len_bytes) as usize;
        if len > self.left() {
            return Err(InvalidMessage::MissingData(what));
        }
        let body_base = self.offset();
        let (body, _) = self.take(len, what)?;
        let body = Reader::new(body, body_base).with_nodes(self.nodes);
        Ok((body, Span::new(start, prefix + len)))
    }
}

/// Big-endian value of up to 8 bytes.
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// Lowercase hex, as the report prints randoms, session ids and hashes.
pub use crate::der::hex;

/// Hex of at most `max` bytes, with "…" and the full length when cut, for tree values.
pub fn hex_short(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return hex(bytes);
    }
    let mut s = hex(bytes.get(..max).unwrap_or_default());
    let _ = write!(s, "… ({} bytes)", bytes.len());
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_and_vectors_with_spans() {
        let bytes = [0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb, 0x01];
        let mut r = Reader::new(&bytes, 10);
        assert_eq!(r.u16("version"), Ok((0x0303, Span::new(10, 2))));
        let (mut body, span) = r.vec(2, "list").unwrap();
        assert_eq!(span, Span::new(12, 4));
        assert_eq!(body.u16("item"), Ok((0xaabb, Span::new(14, 2))));
        assert!(!body.any_left());
        assert_eq!(r.u16("x"), Err(InvalidMessage::MissingData("x")));
        assert_eq!(r.u8("y"), Ok((1, Span::new(16, 1))));
    }

    #[test]
    fn vector_longer_than_input_is_missing_data() {
        let mut r = Reader::new(&[0x00, 0x05, 0x01], 0);
        assert!(matches!(
            r.vec(2, "v"),
            Err(InvalidMessage::MissingData("v"))
        ));
    }
}
