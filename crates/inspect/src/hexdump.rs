//! Hex text: a plain stream, bytes separated by spaces, colons or commas, `0x`/`\x` prefixes,
//! and dumps with an offset column (`xxd`, `hexdump -C`, Wireshark's "Hex + ASCII" copy).
//!
//! Written by hand because no crate reads all of these dump layouts; the `hex` crate only takes
//! a bare stream. The rule that tells an offset column from data: every line starts with a
//! token of at least four hex digits (the first one all zeros) followed by byte-sized tokens,
//! or the token ends in `:` as xxd writes it. ASCII columns are cut at `|` (hexdump -C) or at
//! the first run of two or more spaces after the bytes (xxd, Wireshark).

use alloc::vec::Vec;

/// Decodes hex text in any of the layouts above; `None` when it is not hex.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let text = core::str::from_utf8(text).ok()?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return None;
    }
    if has_offset_column(&lines) {
        // hexdump -C ends its rows with an ASCII column in bars; decided once for the whole
        // dump, since an xxd ASCII column may show a '|' byte too.
        let piped = lines.first().is_some_and(|l| l.ends_with('|'));
        let mut out = Vec::new();
        for line in &lines {
            dump_line(line, piped, &mut out)?;
        }
        return Some(out);
    }
    stream(text)
}

/// A plain stream: separators and `0x`/`\x` prefixes are dropped, the rest must be hex pairs.
fn stream(text: &str) -> Option<Vec<u8>> {
    let mut digits = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if (c == b'0' || c == b'\\') && matches!(next, Some(b'x' | b'X')) {
            i += 2;
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b',' | b';' | b'-' | b'"' | b'{' | b'}'
            | b'[' | b']' => {}
            c if c.is_ascii_hexdigit() => digits.push(c),
            _ => return None,
        }
        i += 1;
    }
    pairs(&digits)
}

fn has_offset_column(lines: &[&str]) -> bool {
    let mut first = true;
    for line in lines {
        let mut tokens = line.split_whitespace();
        let Some(head) = tokens.next() else { continue };
        let (head, colon) = match head.strip_suffix(':') {
            Some(h) => (h, true),
            None => (head, false),
        };
        if head.len() < 4 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        if first && !head.bytes().all(|b| b == b'0') {
            return false;
        }
        first = false;
        // Without xxd's colon, the next token must look like one byte (or be absent, as on
        // hexdump's closing offset line), else this is a stream that happens to start with hex.
        if !colon
            && tokens
                .next()
                .is_some_and(|t| t.len() != 2 || !t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return false;
        }
    }
    true
}

fn dump_line(line: &str, piped: bool, out: &mut Vec<u8>) -> Option<()> {
    let line = match line.find("  |") {
        Some(p) if piped => &line[..p],
        _ => line,
    };
    let line = line.trim_start();
    let start = line.find(char::is_whitespace).unwrap_or(line.len());
    let rest = &line[start..];
    // The bytes begin after the offset's separator; an ASCII column follows two or more spaces,
    // except in hexdump -C, whose double space splits the row in halves and whose ASCII column
    // was cut at '|' above.
    let body = rest.trim_start();
    let hex_part = if piped {
        body
    } else {
        match body.find("  ") {
            Some(p) => &body[..p],
            None => body,
        }
    };
    let mut digits = Vec::new();
    for token in hex_part.split_whitespace() {
        if !token.bytes().all(|b| b.is_ascii_hexdigit()) || token.len() % 2 != 0 {
            return None;
        }
        digits.extend(token.bytes());
    }
    if !digits.is_empty() {
        out.extend(pairs(&digits)?);
    }
    Some(())
}

fn pairs(digits: &[u8]) -> Option<Vec<u8>> {
    if digits.is_empty() || digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const BYTES: [u8; 18] = [
        0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
        0x01, 0x01, 0x05,
    ];

    #[test]
    fn streams_and_separators() {
        let want = Some(vec![0x30, 0x82, 0xab]);
        assert_eq!(decode(b"3082ab"), want);
        assert_eq!(decode(b"30 82 AB\n"), want);
        assert_eq!(decode(b"30:82:ab"), want);
        assert_eq!(decode(b"0x30, 0x82, 0xab"), want);
        assert_eq!(decode(b"\\x30\\x82\\xab"), want);
        assert_eq!(decode(b"308"), None);
        assert_eq!(decode(b"hello"), None);
        assert_eq!(decode(b""), None);
    }

    #[test]
    fn xxd_layout() {
        let text = "00000000: 3082 0122 300d 0609 2a86 4886 f70d 0101  0..\"0...*.H.....\n\
                    00000010: 0105                                     ..\n";
        assert_eq!(decode(text.as_bytes()), Some(BYTES.to_vec()));
    }

    #[test]
    fn hexdump_c_layout() {
        let text =
            "00000000  30 82 01 22 30 0d 06 09  2a 86 48 86 f7 0d 01 01  |0..\"0...*.H.....|\n\
                    00000010  01 05                                             |..|\n\
                    00000012\n";
        assert_eq!(decode(text.as_bytes()), Some(BYTES.to_vec()));
    }

    #[test]
    fn xxd_ascii_column_may_hold_bars_and_spaces() {
        let text = "00000000: 7c20 7c41  | |A\n00000004: 2020       \n";
        assert_eq!(
            decode(text.as_bytes()),
            Some(vec![0x7c, 0x20, 0x7c, 0x41, 0x20, 0x20])
        );
    }

    #[test]
    fn wireshark_layout() {
        let text = "0000   30 82 01 22 30 0d 06 09 2a 86 48 86 f7 0d 01 01   0..\"0...*.H.....\n\
                    0010   01 05                                             ..\n";
        assert_eq!(decode(text.as_bytes()), Some(BYTES.to_vec()));
    }

    #[test]
    fn stream_starting_with_long_token_is_not_a_dump() {
        assert_eq!(decode(b"30820122\n300d0609\n"), Some(BYTES[..8].to_vec()));
    }
}
