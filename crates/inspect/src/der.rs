//! A small DER reader: tag-length-value with spans, and a generic field tree.
//!
//! Written by hand because the sniffer and the no_std build need to look at DER structure
//! without x509-parser (which needs std), and because every element must keep its offset so
//! the hex view can highlight it. It reads definite lengths only, as DER requires, and never
//! recurses deeper than [`MAX_DEPTH`], so hostile input cannot exhaust the stack.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::error::Error;
use crate::span::{Node, Span};

/// How deep [`tree`] descends into nested structures.
pub const MAX_DEPTH: usize = 32;

/// Universal tag of BOOLEAN.
pub const TAG_BOOLEAN: u8 = 0x01;
/// Universal tag of INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// Universal tag of BIT STRING.
pub const TAG_BIT_STRING: u8 = 0x03;
/// Universal tag of OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// Universal tag of NULL.
pub const TAG_NULL: u8 = 0x05;
/// Universal tag of OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// Tag of SEQUENCE (constructed).
pub const TAG_SEQUENCE: u8 = 0x30;
/// Tag of SET (constructed).
pub const TAG_SET: u8 = 0x31;

/// One DER element: its tag, header and content, as sub-slices of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet (class, constructed bit, tag number below 31).
    pub tag: u8,
    /// The whole element, header included.
    pub raw: &'a [u8],
    /// The content octets.
    pub content: &'a [u8],
    /// The element's offset in the buffer it was read from.
    pub offset: usize,
}

impl<'a> Tlv<'a> {
    /// Length of the tag and length octets.
    pub const fn header_len(&self) -> usize {
        self.raw.len() - self.content.len()
    }

    /// Where the whole element (header and content) lies.
    pub const fn span(&self) -> Span {
        Span::new(self.offset, self.raw.len())
    }

    /// Whether the constructed bit of the tag is set.
    pub const fn is_constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// Context-specific tag number, when the element has one (`[n]`).
    pub const fn context(&self) -> Option<u8> {
        if self.tag & 0xc0 == 0x80 {
            Some(self.tag & 0x1f)
        } else {
            None
        }
    }

    /// The children of a constructed element.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, Error> {
        let base = self.offset + self.header_len();
        let mut reader = Reader::at(self.content, base);
        let mut out = Vec::new();
        while !reader.is_empty() {
            out.push(reader.read()?);
        }
        Ok(out)
    }
}

/// Reads consecutive elements out of a buffer, tracking their offsets.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub const fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// A reader whose offsets start at `base` (the position of `buf` in a larger buffer).
    pub const fn at(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    pub const fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    pub fn read(&mut self) -> Result<Tlv<'a>, Error> {
        let at = self.base + self.pos;
        let input = self.rest();
        let (tag, first) = match input {
            [tag, first, ..] => (*tag, *first),
            _ => {
                return Err(Error::Truncated {
                    what: "DER element",
                    offset: at,
                })
            }
        };
        if tag & 0x1f == 0x1f {
            return Err(Error::BadDer {
                what: "DER element (high tag number)",
                offset: at,
            });
        }
        let (len, header) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(Error::BadDer {
                    what: "DER length",
                    offset: at + 1,
                });
            }
            let bytes = input.get(2..2 + n).ok_or(Error::Truncated {
                what: "DER length",
                offset: at + 1,
            })?;
            let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, 2 + n)
        };
        let end = header
            .checked_add(len)
            .filter(|end| *end <= input.len())
            .ok_or(Error::Truncated {
                what: "DER element",
                offset: at,
            })?;
        let raw = &input[..end];
        self.pos += end;
        Ok(Tlv {
            tag,
            raw,
            content: &raw[header..],
            offset: at,
        })
    }

    /// Reads an element and checks its tag (the X.509 decoders' reading).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, Error> {
        let at = self.base + self.pos;
        let tlv = self.read()?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(Error::BadDer { what, offset: at })
        }
    }
}

/// Reads exactly one element spanning all of `input`.
pub fn single(input: &[u8]) -> Result<Tlv<'_>, Error> {
    let mut reader = Reader::new(input);
    let tlv = reader.read()?;
    if reader.is_empty() {
        Ok(tlv)
    } else {
        Err(Error::BadDer {
            what: "DER object (trailing bytes)",
            offset: tlv.raw.len(),
        })
    }
}

/// Dotted text of an OBJECT IDENTIFIER's content octets.
pub fn oid_to_string(content: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut value: u64 = 0;
    let mut first = true;
    if content.is_empty() || content.last().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    for b in content {
        if value > (u64::MAX >> 7) {
            return None;
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if first {
                let (a, b) = if value < 40 {
                    (0, value)
                } else if value < 80 {
                    (1, value - 40)
                } else {
                    (2, value - 80)
                };
                push_decimal(&mut out, a);
                out.push('.');
                push_decimal(&mut out, b);
                first = false;
            } else {
                out.push('.');
                push_decimal(&mut out, value);
            }
            value = 0;
        }
    }
    Some(out)
}

/// Appends a number in decimal without the formatting machinery (OIDs are printed for every
/// algorithm, name attribute and extension).
fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        out.push(char::from(*d));
    }
}

/// Lowercase hex of bytes, for values a person may compare with other tools.
pub fn hex(bytes: &[u8]) -> String {
    // By table rather than `write!` per byte: fingerprints and field values are hexed for
    // every certificate, and the formatting machinery was a tenth of the CLI's time.
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.extend(hex_byte(*b));
    }
    s
}

/// The two lowercase hex digits of a byte.
pub const fn hex_byte(b: u8) -> [char; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [
        DIGITS[(b >> 4) as usize] as char,
        DIGITS[(b & 0x0f) as usize] as char,
    ]
}

/// The universal name of a tag, as asn1js and `openssl asn1parse` show it.
pub fn tag_name(tag: u8) -> String {
    let name = match tag {
        TAG_BOOLEAN => "BOOLEAN",
        TAG_INTEGER => "INTEGER",
        TAG_BIT_STRING | 0x23 => "BIT STRING",
        TAG_OCTET_STRING | 0x24 => "OCTET STRING",
        TAG_NULL => "NULL",
        TAG_OID => "OBJECT IDENTIFIER",
        0x0a => "ENUMERATED",
        0x0c => "UTF8String",
        0x12 => "NumericString",
        0x13 => "PrintableString",
        0x14 => "T61String",
        0x16 => "IA5String",
        0x17 => "UTCTime",
        0x18 => "GeneralizedTime",
        0x1a => "VisibleString",
        0x1c => "UniversalString",
        0x1e => "BMPString",
        TAG_SEQUENCE => "SEQUENCE",
        TAG_SET => "SET",
        t if t & 0xc0 == 0x80 => return format!("[{}]", t & 0x1f),
        t if t & 0xc0 == 0x40 => return format!("[APPLICATION {}]", t & 0x1f),
        t => return format!("tag 0x{t:02x}"),
    };
    String::from(name)
}

/// A generic tree of every element, named by tag, for bytes no schema names.
///
/// Constructed elements get children; primitive ones a short value. Content that does not parse
/// as DER is shown as hex, never an error: the tree is for looking at bytes.
pub fn tree(input: &[u8]) -> Vec<Node> {
    let mut out = Vec::new();
    walk(input, 0, 0, &mut out);
    out
}

fn walk(buf: &[u8], base: usize, depth: usize, out: &mut Vec<Node>) {
    let mut reader = Reader::at(buf, base);
    while !reader.is_empty() {
        let at = base + (buf.len() - reader.rest().len());
        let Ok(tlv) = reader.read() else {
            let rest = reader.rest();
            out.push(Node::new("bytes", hex(rest), Span::new(at, rest.len())));
            return;
        };
        let mut node = Node::new(tag_name(tlv.tag), primitive_value(&tlv), tlv.span());
        if tlv.is_constructed() && depth < MAX_DEPTH {
            walk(
                tlv.content,
                tlv.offset + tlv.header_len(),
                depth + 1,
                &mut node.children,
            );
        }
        out.push(node);
    }
}

/// A short text for a primitive element's value.
pub fn primitive_value(tlv: &Tlv<'_>) -> String {
    if tlv.is_constructed() {
        return String::new();
    }
    match tlv.tag {
        TAG_OID => oid_to_string(tlv.content).unwrap_or_else(|| hex(tlv.content)),
        TAG_BOOLEAN => String::from(if tlv.content.first().is_some_and(|b| *b != 0) {
            "TRUE"
        } else {
            "FALSE"
        }),
        TAG_NULL => String::new(),
        0x0c | 0x12 | 0x13 | 0x16 | 0x17 | 0x18 | 0x1a => {
            String::from_utf8_lossy(tlv.content).into_owned()
        }
        _ => {
            let shown = &tlv.content[..tlv.content.len().min(64)];
            let mut s = hex(shown);
            if tlv.content.len() > shown.len() {
                let _ = write!(s, "... ({} bytes)", tlv.content.len());
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let short = [0x30, 0x03, 0x02, 0x01, 0x05];
        let tlv = single(&short);
        assert!(matches!(tlv, Ok(Tlv { tag: 0x30, .. })));
        let mut long = alloc::vec![0x04, 0x81, 0x80];
        long.extend([0u8; 128]);
        assert_eq!(single(&long).map(|t| t.content.len()), Ok(128));
    }

    #[test]
    fn rejects_truncation_and_bad_lengths() {
        assert!(matches!(
            single(&[0x30, 0x05, 0x01]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(single(&[0x30, 0x80]), Err(Error::BadDer { .. })));
        assert!(matches!(single(&[0x30]), Err(Error::Truncated { .. })));
        assert!(matches!(
            single(&[0x30, 0x00, 0x00]),
            Err(Error::BadDer { .. })
        ));
    }

    #[test]
    fn oid_text() {
        // 1.2.840.113549.1.1.11 sha256WithRSAEncryption
        let oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
        assert_eq!(
            oid_to_string(&oid).as_deref(),
            Some("1.2.840.113549.1.1.11")
        );
        assert_eq!(
            oid_to_string(&[0x55, 0x1d, 0x11]).as_deref(),
            Some("2.5.29.17")
        );
        assert_eq!(oid_to_string(&[0x86]), None);
    }

    #[test]
    fn tree_keeps_spans_and_survives_garbage() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x05, 0x00, 0xff];
        let t = tree(&der);
        assert_eq!(t[0].span, Span::new(0, 8));
        assert_eq!(t[0].children[0].span, Span::new(2, 3));
        assert_eq!(t[0].children[1].name, "NULL");
        assert_eq!(t[0].children[2].name, "bytes");
        let nested = [0x30u8; 4096];
        let _ = tree(&nested);
    }
}
