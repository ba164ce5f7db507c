//! JA4 (FoxIO), with its raw (`_r`) and original-order (`_o`, `_ro`) forms.
//!
//! Follows FoxIO's technical description (technical_details/JA4.md): `t` for TLS over TCP,
//! the version (highest supported_versions value, else the hello's), `d`/`i` for SNI present
//! or not, cipher and extension counts (GREASE excluded, at most 99), the first and last
//! character of the first ALPN value, then the truncated SHA-256 of the sorted cipher list and
//! of the sorted extension list (SNI and ALPN excluded) joined to the signature algorithms in
//! wire order. The `_o` forms keep wire order and keep SNI and ALPN, as the description says.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use super::codec::hex;
use super::names::is_grease;

/// What JA4 reads from a ClientHello.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub legacy_version: u16,
    pub ciphers: &'a [u16],
    pub extensions: &'a [u16],
    pub supported_versions: &'a [u16],
    pub signature_algorithms: &'a [u16],
    pub alpn_first: Option<&'a [u8]>,
}

/// The four renderings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ja4 {
    pub ja4: String,
    pub ja4_r: String,
    pub ja4_o: String,
    pub ja4_ro: String,
}

fn version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

fn alpn(first: Option<&[u8]>) -> String {
    let Some(value) = first.filter(|v| !v.is_empty()) else {
        return String::from("00");
    };
    let (a, b) = match (value.first(), value.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => return String::from("00"),
    };
    if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() {
        return format!("{}{}", char::from(a), char::from(b));
    }
    let h = hex(value);
    let mut chars = h.chars();
    match (chars.next(), h.chars().last()) {
        (Some(x), Some(y)) => format!("{x}{y}"),
        _ => String::from("00"),
    }
}

/// `0a0b,0c0d,...`: four lowercase hex digits per value, written straight into one string
/// (a `format!` per value was a fifth of the time of a connection in `inspect --summary`).
fn list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let [hi, lo] = v.to_be_bytes();
        out.extend(crate::der::hex_byte(hi));
        out.extend(crate::der::hex_byte(lo));
    }
    out
}

/// The first 12 hex digits of the SHA-256 of `text`.
fn hash12(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    hex(digest.get(..6).unwrap_or_default())
}

fn count(n: usize) -> String {
    format!("{:02}", n.min(99))
}

/// Computes JA4, JA4_r, JA4_o and JA4_ro.
pub fn compute(input: &Input<'_>) -> Ja4 {
    let clean = |v: &[u16]| {
        v.iter()
            .copied()
            .filter(|x| !is_grease(*x))
            .collect::<Vec<_>>()
    };
    let ciphers = clean(input.ciphers);
    let extensions = clean(input.extensions);
    let sigs = clean(input.signature_algorithms);
    let v = clean(input.supported_versions)
        .into_iter()
        .max()
        .unwrap_or(input.legacy_version);
    let sni = if extensions.contains(&0) { 'd' } else { 'i' };
    let a = format!(
        "t{}{sni}{}{}{}",
        version(v),
        count(ciphers.len()),
        count(extensions.len()),
        alpn(input.alpn_first)
    );

    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let mut sorted_ext: Vec<u16> = extensions
        .iter()
        .copied()
        .filter(|e| *e != 0 && *e != 0x10)
        .collect();
    sorted_ext.sort_unstable();

    let with_sigs = |exts: &str| {
        if sigs.is_empty() {
            String::from(exts)
        } else {
            format!("{exts}_{}", list(&sigs))
        }
    };
    let b_raw = list(&sorted_ciphers);
    let c_raw = with_sigs(&list(&sorted_ext));
    let bo_raw = list(&ciphers);
    let co_raw = with_sigs(&list(&extensions));
    let hashed = |raw: &str, empty: bool| {
        if empty {
            String::from("000000000000")
        } else {
            hash12(raw)
        }
    };
    Ja4 {
        ja4: format!(
            "{a}_{}_{}",
            hashed(&b_raw, ciphers.is_empty()),
            hashed(&c_raw, sorted_ext.is_empty())
        ),
        ja4_r: format!("{a}_{b_raw}_{c_raw}"),
        ja4_o: format!(
            "{a}_{}_{}",
            hashed(&bo_raw, ciphers.is_empty()),
            hashed(&co_raw, extensions.is_empty())
        ),
        ja4_ro: format!("{a}_{bo_raw}_{co_raw}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_characters() {
        assert_eq!(alpn(Some(b"h2")), "h2");
        assert_eq!(alpn(Some(b"http/1.1")), "h1");
        assert_eq!(alpn(Some(b"x")), "xx");
        assert_eq!(alpn(Some(&[0xab])), "ab");
        assert_eq!(alpn(Some(&[0xab, 0xcd])), "ad");
        assert_eq!(alpn(Some(&[0x30, 0xab])), "3b");
        assert_eq!(alpn(Some(&[0x30, 0xab, 0xcd, 0x31])), "01");
        assert_eq!(alpn(Some(b"")), "00");
        assert_eq!(alpn(None), "00");
    }

    #[test]
    fn lists_and_hashes() {
        assert_eq!(list(&[0x1301, 0xc02b, 0x000a]), "1301,c02b,000a");
        assert_eq!(list(&[]), "");
        // SHA-256("abc") = ba7816bf8f01cfea...
        assert_eq!(hash12("abc"), "ba7816bf8f01");
    }

    #[test]
    fn empty_lists_hash_to_zeros() {
        let j = compute(&Input {
            legacy_version: 0x0303,
            ciphers: &[],
            extensions: &[],
            supported_versions: &[],
            signature_algorithms: &[],
            alpn_first: None,
        });
        assert_eq!(j.ja4, "t12i000000_000000000000_000000000000");
    }
}
