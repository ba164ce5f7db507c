//! The record layer: splitting one direction of a connection into records.
//!
//! A record is a 5-byte header (content type, version, length) and a fragment of at most
//! 2^14 + 2048 bytes (RFC 5246 6.2.3). The first record may instead be an SSLv2-compatible
//! ClientHello (RFC 5246 appendix E.2), which old clients still send. Splitting stops at the
//! first header that cannot be a TLS record, with a finding, and a last record cut short keeps
//! the bytes it has and is reported as truncated.

use alloc::format;
use alloc::vec::Vec;

use crate::finding::{Code, Finding};
use crate::span::Span;

/// The largest fragment a record may carry (TLSCiphertext, RFC 5246 6.2.3).
pub const MAX_FRAGMENT: usize = (1 << 14) + 2048;

/// A record's content type; values this crate does not know are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    ChangeCipherSpec,
    Alert,
    Handshake,
    ApplicationData,
    Heartbeat,
    Unknown(u8),
}

impl From<u8> for ContentType {
    fn from(v: u8) -> Self {
        match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            24 => Self::Heartbeat,
            other => Self::Unknown(other),
        }
    }
}

impl From<ContentType> for u8 {
    fn from(v: ContentType) -> Self {
        match v {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
            ContentType::Unknown(other) => other,
        }
    }
}

/// One record as framed, before its content is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawRecord<'a> {
    pub content_type: ContentType,
    pub version: u16,
    /// The length the header declares.
    pub length: usize,
    /// The whole record as present in the input (may be shorter than declared).
    pub span: Span,
    /// The fragment bytes that are present.
    pub fragment: &'a [u8],
    pub fragment_offset: usize,
    pub truncated: bool,
    /// An SSLv2-compatible ClientHello: `fragment` is the v2 message after its 2-byte header.
    pub sslv2: bool,
}

/// A 5-byte header that can start a TLS record: SSL 3.0 to TLS 1.3 version, sane length.
fn plausible_header(h: &[u8]) -> Option<(u8, u16, usize)> {
    let [ct, major, minor, hi, lo] = *h.get(..5)? else {
        return None;
    };
    let length = usize::from(hi) << 8 | usize::from(lo);
    (major == 3 && minor <= 4 && length <= MAX_FRAGMENT).then_some((
        ct,
        u16::from(major) << 8 | u16::from(minor),
        length,
    ))
}

/// The length of an SSLv2-compatible ClientHello starting `bytes` (2-byte header form).
fn sslv2_client_hello(bytes: &[u8]) -> Option<usize> {
    let [b0, b1, kind, major, minor] = *bytes.get(..5)? else {
        return None;
    };
    let len = usize::from(b0 & 0x7f) << 8 | usize::from(b1);
    let version_ok = (major == 0 && minor == 2) || (major == 3 && minor <= 3);
    // The fixed part: type, version, three lengths = 9 bytes.
    (b0 & 0x80 != 0 && kind == 1 && version_ok && len >= 9).then_some(len)
}

/// `true` when the bytes start like a TLS stream: a record header with a known content type,
/// or an SSLv2-compatible ClientHello.
pub fn looks_like_tls(bytes: &[u8]) -> bool {
    if sslv2_client_hello(bytes).is_some() {
        return true;
    }
    matches!(plausible_header(bytes), Some((20..=24, _, 1..)))
}

/// Splits `bytes` into records; findings say where and why splitting stopped early.
pub fn split(bytes: &[u8]) -> (Vec<RawRecord<'_>>, Vec<Finding>) {
    let mut records = Vec::new();
    let mut findings = Vec::new();
    let mut pos = 0;
    if let Some(len) = sslv2_client_hello(bytes) {
        let available = bytes.len().saturating_sub(2).min(len);
        let fragment = bytes.get(2..2 + available).unwrap_or_default();
        let truncated = available < len;
        records.push(RawRecord {
            content_type: ContentType::Handshake,
            version: 0x0002,
            length: len,
            span: Span::new(0, 2 + available),
            fragment,
            fragment_offset: 2,
            truncated,
            sslv2: true,
        });
        if truncated {
            findings.push(truncated_record(0, len, available));
        }
        pos = 2 + available;
    }
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        if rest.len() < 5 {
            findings.push(
                Finding::warning(
                    Code::TruncatedRecord,
                    format!(
                        "The stream ends with {} bytes at offset {pos}, too few for a record \
                         header.",
                        rest.len()
                    ),
                )
                .at(Span::new(pos, rest.len())),
            );
            break;
        }
        let Some((ct, version, length)) = plausible_header(rest) else {
            findings.push(
                Finding::error(
                    Code::NotARecord,
                    format!(
                        "The bytes at offset {pos} are not a TLS record header; the {} bytes \
                         from there on are not decoded.",
                        rest.len()
                    ),
                )
                .at(Span::new(pos, rest.len())),
            );
            break;
        };
        let available = (rest.len() - 5).min(length);
        let truncated = available < length;
        if truncated {
            findings.push(truncated_record(pos, length, available));
        }
        records.push(RawRecord {
            content_type: ContentType::from(ct),
            version,
            length,
            span: Span::new(pos, 5 + available),
            fragment: rest.get(5..5 + available).unwrap_or_default(),
            fragment_offset: pos + 5,
            truncated,
            sslv2: false,
        });
        pos += 5 + available;
    }
    (records, findings)
}

fn truncated_record(offset: usize, length: usize, available: usize) -> Finding {
    Finding::warning(
        Code::TruncatedRecord,
        format!(
            "The record at offset {offset} declares {length} bytes but only {available} are \
             present."
        ),
    )
    .at(Span::new(offset, available))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_records_and_reports_truncation() {
        let bytes = [
            22, 3, 1, 0, 2, 0xaa, 0xbb, 20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 9, 1,
        ];
        let (records, findings) = split(&bytes);
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].content_type, ContentType::Handshake);
        assert_eq!(records[0].fragment, &[0xaa, 0xbb]);
        assert_eq!(records[1].content_type, ContentType::ChangeCipherSpec);
        assert!(records[2].truncated && records[2].length == 9);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "truncated_record");
    }

    #[test]
    fn stops_at_garbage() {
        let (records, findings) = split(b"GET / HTTP/1.1\r\n");
        assert!(records.is_empty());
        assert_eq!(findings[0].code, "not_a_record");
        assert!(!looks_like_tls(b"GET / HTTP/1.1\r\n"));
        assert!(looks_like_tls(&[22, 3, 1, 0, 5]));
    }

    #[test]
    fn recognises_sslv2_client_hello() {
        let mut v2 = alloc::vec![0x80, 12, 1, 3, 1, 0, 3, 0, 0, 0, 1, 0, 0, 5, 0xff];
        v2.truncate(14);
        assert!(looks_like_tls(&v2));
        let (records, _) = split(&v2);
        assert!(records[0].sslv2 && records[0].fragment.len() == 12);
    }
}
