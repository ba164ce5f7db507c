//! Hostile client chains built by hand in DER, with no private key behind the CA certificates:
//! the shape of issue 11's "expensive rejection" (a leaf "issued by CN=X" with a
//! 2048-byte RSA signature, then many self-issued `CN=X` CA certificates whose RSA keys are
//! 16384 bits with the exponent 2^33-1). Nothing here is ever valid; it only has to parse.
//!
//! The leaf carries a real public key (the client's P-256 key, `client.key`) so that TLS
//! clients, which check that key and certificate match, will send it.

use std::path::Path;

use crate::openssl_bytes;

/// DER of one element.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive INTEGER from a big-endian magnitude, minimally encoded (as DER wants).
fn uint(be: &[u8]) -> Vec<u8> {
    let be = &be[be.iter().take_while(|b| **b == 0).count().min(be.len() - 1)..];
    let mut c = Vec::with_capacity(be.len() + 1);
    if be[0] & 0x80 != 0 {
        c.push(0);
    }
    c.extend_from_slice(be);
    tlv(0x02, &c)
}

/// `CN=<cn>`.
fn name(cn: &str) -> Vec<u8> {
    let atv = seq(&[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, cn.as_bytes())]);
    seq(&[tlv(0x31, &atv)])
}

const SHA256_WITH_RSA: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];

/// Deterministic filler bytes (xorshift), different per `seed`.
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A certificate: `issuer` -> `subject` with `spki`, signed "sha256WithRSA" with `signature`.
fn certificate(
    serial: u64,
    issuer: &str,
    subject: &str,
    spki: Vec<u8>,
    ca: bool,
    signature: &[u8],
) -> Vec<u8> {
    let validity = seq(&[tlv(0x17, b"200101000000Z"), tlv(0x17, b"491231235959Z")]);
    let mut tbs = vec![
        tlv(0xa0, &tlv(0x02, &[2])),
        uint(&serial.to_be_bytes()),
        SHA256_WITH_RSA.to_vec(),
        name(issuer),
        validity,
        name(subject),
        spki,
    ];
    if ca {
        // basicConstraints, critical, CA:TRUE.
        let bc = seq(&[
            tlv(0x06, &[0x55, 0x1d, 0x13]),
            tlv(0x01, &[0xff]),
            tlv(0x04, &seq(&[tlv(0x01, &[0xff])])),
        ]);
        tbs.push(tlv(0xa3, &seq(&[bc])));
    }
    let mut bits = vec![0u8];
    bits.extend_from_slice(signature);
    seq(&[seq(&tbs), SHA256_WITH_RSA.to_vec(), tlv(0x03, &bits)])
}

/// An rsaEncryption SubjectPublicKeyInfo with a `bits`-bit modulus (not a product of primes:
/// no one will sign with it) and the exponent 2^33-1.
fn rsa_spki(seed: u64, bits: usize) -> Vec<u8> {
    let mut n = filler(seed, bits / 8);
    n[0] |= 0x80;
    if let Some(last) = n.last_mut() {
        *last |= 1;
    }
    let e = [0x01, 0xff, 0xff, 0xff, 0xff];
    let key = seq(&[uint(&n), uint(&e)]);
    let mut bit_string = vec![0u8];
    bit_string.extend(key);
    seq(&[
        seq(&[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            tlv(0x05, &[]),
        ]),
        tlv(0x03, &bit_string),
    ])
}

fn pem(der: &[u8]) -> String {
    use std::fmt::Write;
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        let _ = writeln!(out, "{}", String::from_utf8_lossy(line));
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Writes `file`: a leaf for `client.key` "issued by CN=X" with a `bits / 8`-byte signature,
/// then `cas` self-issued `CN=X` CA certificates with `bits`-bit RSA keys (exponent 2^33-1).
/// The leaf's signature is below every modulus, so a verifier that computes with these keys
/// does the whole modular exponentiation before it fails.
pub fn hostile_chain(dir: &Path, file: &str, cas: usize, bits: usize) {
    let leaf_spki = openssl_bytes(
        dir,
        &["pkey", "-in", "client.key", "-pubout", "-outform", "DER"],
    );
    let mut signature = filler(7, bits / 8);
    signature[0] = 0x01;
    let mut out = pem(&certificate(
        1, "X", "hostile", leaf_spki, false, &signature,
    ));
    for i in 0..cas {
        let seed = 100 + i as u64;
        out.push_str(&pem(&certificate(
            seed,
            "X",
            "X",
            rsa_spki(seed, bits),
            true,
            &filler(seed, 16),
        )));
    }
    std::fs::write(dir.join(file), out).expect("write hostile chain");
}
