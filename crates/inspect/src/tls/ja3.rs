//! JA3 and JA3S fingerprints (Salesforce), exactly as tshark's `tls.handshake.ja3_full`,
//! `ja3`, `ja3s_full` and `ja3s` print them.
//!
//! JA3 is `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats` with each
//! list in wire order, joined by `-`, GREASE values dropped; JA3S is
//! `SSLVersion,Cipher,Extensions`. The fingerprint is the MD5 of that string in lowercase hex.

use alloc::string::String;
use core::fmt::Write;

use md5::{Digest, Md5};

use super::codec::hex;
use super::names::is_grease;

/// `a-b-c` of the values that are not GREASE.
fn dashed<T: Copy + Into<u16>>(values: &[T]) -> String {
    let mut s = String::new();
    for v in values
        .iter()
        .map(|v| (*v).into())
        .filter(|v| !is_grease(*v))
    {
        if !s.is_empty() {
            s.push('-');
        }
        let _ = write!(s, "{v}");
    }
    s
}

/// The JA3 string of a ClientHello.
pub fn ja3_full(
    version: u16,
    ciphers: &[u16],
    extensions: &[u16],
    groups: &[u16],
    point_formats: &[u8],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{version},{},{},{},{}",
        dashed(ciphers),
        dashed(extensions),
        dashed(groups),
        dashed(point_formats)
    );
    s
}

/// The JA3S string of a ServerHello.
pub fn ja3s_full(version: u16, cipher: u16, extensions: &[u16]) -> String {
    let mut s = String::new();
    let _ = write!(s, "{version},{cipher},{}", dashed(extensions));
    s
}

/// MD5 of a JA3/JA3S string, lowercase hex.
pub fn md5_hex(full: &str) -> String {
    hex(&Md5::digest(full.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_grease_and_hashes() {
        let full = ja3_full(
            771,
            &[0x0a0a, 4865, 49195],
            &[0x1a1a, 0, 23, 65281],
            &[0x2a2a, 29, 23],
            &[0],
        );
        assert_eq!(full, "771,4865-49195,0-23-65281,29-23,0");
        assert_eq!(
            ja3s_full(771, 49199, &[65281, 0, 11]),
            "771,49199,65281-0-11"
        );
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(ja3_full(769, &[], &[], &[], &[]), "769,,,,");
    }
}
