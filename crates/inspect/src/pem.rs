//! PEM: any number of `-----BEGIN X-----` blocks with any text around them.
//!
//! Written by hand rather than with the `pem` crate because we need what it does not give:
//! each block's position in the source (so errors and the page can point at it), RFC 1421
//! headers (`Proc-Type: 4,ENCRYPTED` marks a legacy encrypted key), tolerance of the text that
//! `openssl x509 -text` writes before a block, and a per-block error that does not lose the
//! other blocks of the same file.

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;

use crate::error::Error;
use crate::span::Span;

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";

/// One PEM block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The label of the BEGIN line ("CERTIFICATE").
    pub label: String,
    /// RFC 1421 headers (`Proc-Type`, `DEK-Info`), in order.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub der: Vec<u8>,
    /// Where the block (BEGIN line to END line) sits in the source text.
    pub span: Span,
}

impl Block {
    /// A legacy OpenSSL encrypted key (`Proc-Type: 4,ENCRYPTED`).
    pub fn is_encrypted(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED"))
    }
}

/// Whether the text holds at least one BEGIN line.
pub fn contains_pem(text: &[u8]) -> bool {
    find(text, BEGIN, 0).is_some()
}

/// Every block in the text, in order; a bad block is an error in its place.
pub fn blocks(text: &[u8]) -> Vec<Result<Block, Error>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(start) = find(text, BEGIN, pos) {
        let label_start = start + BEGIN.len();
        let Some(label_end) = find(text, DASHES, label_start) else {
            out.push(Err(Error::UnterminatedPem {
                label: String::new(),
            }));
            break;
        };
        let label = String::from_utf8_lossy(&text[label_start..label_end]).into_owned();
        if label.contains('\n') {
            // "-----BEGIN " without a closing run of dashes on its line: not a block.
            pos = label_start;
            continue;
        }
        let body_start = label_end + DASHES.len();
        let Some(end) = find(text, END, body_start) else {
            out.push(Err(Error::UnterminatedPem { label }));
            break;
        };
        let after_end =
            find(text, DASHES, end + END.len()).map_or(text.len(), |d| d + DASHES.len());
        let end_label = String::from_utf8_lossy(
            text.get(end + END.len()..after_end.saturating_sub(5))
                .unwrap_or(&[]),
        );
        let span = Span::new(start, after_end - start);
        pos = after_end;
        if end_label.trim() != label.trim() {
            out.push(Err(Error::UnterminatedPem { label }));
            continue;
        }
        out.push(decode_body(label, &text[body_start..end], span));
    }
    out
}

fn decode_body(label: String, body: &[u8], span: Span) -> Result<Block, Error> {
    let mut headers = Vec::new();
    let mut b64 = Vec::with_capacity(body.len());
    for line in body.split(|b| *b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if let Some(colon) = line.iter().position(|b| *b == b':') {
            let (k, v) = line.split_at(colon);
            headers.push((
                String::from_utf8_lossy(k.trim_ascii()).into_owned(),
                String::from_utf8_lossy(v[1..].trim_ascii()).into_owned(),
            ));
            continue;
        }
        b64.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
    }
    match base64::engine::general_purpose::STANDARD.decode(&b64) {
        Ok(der) => Ok(Block {
            label,
            headers,
            der,
            span,
        }),
        Err(_) => Err(Error::BadBase64 { label }),
    }
}

/// PEM text of DER bytes, 64 columns, as openssl writes it.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(core::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Decodes bare base64 (whitespace allowed, padding optional); `None` if it is not base64.
pub fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if clean.is_empty() {
        return None;
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(&clean).ok()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "Certificate:\n    Data: ...\n-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\r\n\
        junk\n-----BEGIN PRIVATE KEY-----\r\nMAMCAQU=\r\n-----END PRIVATE KEY-----\n";

    #[test]
    fn finds_blocks_with_text_around() {
        let blocks = blocks(TWO.as_bytes());
        assert_eq!(blocks.len(), 2);
        let first = blocks[0].as_ref().map(|b| (b.label.clone(), b.der.clone()));
        assert_eq!(
            first,
            Ok((String::from("CERTIFICATE"), alloc::vec![0x30, 3, 2, 1, 5]))
        );
        let span = blocks[0].as_ref().map(|b| b.span).unwrap_or_default();
        assert!(TWO[span.offset..span.end()].starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(TWO[span.offset..span.end()].ends_with("-----END CERTIFICATE-----"));
        assert_eq!(
            blocks[1].as_ref().map(|b| b.label.as_str()),
            Ok("PRIVATE KEY")
        );
    }

    #[test]
    fn bad_blocks_do_not_hide_good_ones() {
        let text = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n\
            -----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n-----BEGIN X-----\nMAMC";
        let blocks = blocks(text.as_bytes());
        assert!(matches!(blocks[0], Err(Error::BadBase64 { .. })));
        assert!(blocks[1].is_ok());
        assert!(matches!(blocks[2], Err(Error::UnterminatedPem { .. })));
    }

    #[test]
    fn legacy_encrypted_headers() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAMCAQU=\n-----END RSA PRIVATE KEY-----\n";
        let blocks = blocks(text.as_bytes());
        assert_eq!(blocks[0].as_ref().map(Block::is_encrypted), Ok(true));
    }

    #[test]
    fn encode_round_trips() {
        let der: Vec<u8> = (0..=255u8).collect();
        let text = encode("CERTIFICATE", &der);
        assert!(text.lines().all(|l| l.len() <= 64));
        let back = blocks(text.as_bytes());
        assert_eq!(back[0].as_ref().map(|b| b.der.clone()), Ok(der));
    }
}
