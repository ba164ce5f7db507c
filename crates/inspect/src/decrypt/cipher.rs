//! Keys from secrets, and records decrypted with them.
//!
//! TLS 1.3 (RFC 8446): a traffic secret gives a key and an IV by HKDF-Expand-Label (7.1, 7.3);
//! the nonce is the IV XOR the record's sequence number (5.3); the additional data is the
//! record header (5.2); the plaintext ends with its real content type and zero padding (5.4);
//! a KeyUpdate replaces the secret by its "traffic upd" expansion (7.2).
//!
//! TLS 1.2 (RFC 5246 6.3, RFC 5288, RFC 7905): the master secret of `CLIENT_RANDOM` gives the
//! key block by the PRF with "key expansion" and the two randoms; AES-GCM records carry an
//! 8-byte explicit nonce after a 4-byte implicit salt, ChaCha20-Poly1305 records use the
//! TLS 1.3 nonce construction; the additional data is the sequence number, type, version and
//! plaintext length.
//!
//! TLS 1.2 CBC suites (RFC 5246 6.2.3.2, RFC 5246 appendix A.5, RFC 5289): the key block
//! starts with the two MAC keys; each record is a 16-byte IV and the AES-CBC ciphertext of
//! the content, its HMAC and the padding (MAC-then-encrypt), or, when the ServerHello has the
//! encrypt_then_mac extension (RFC 7366), the HMAC follows the IV and ciphertext and covers
//! them. The HMAC covers the sequence number, type, version and length. A record whose padding
//! or HMAC is wrong did not decrypt (this reader is no endpoint, so no padding oracle to hide).

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use alloc::boxed::Box;
use alloc::vec::Vec;
use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, InnerIvInit};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};

const TAG: usize = 16;

/// The record protection of a cipher suite this module decrypts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Aead {
    const fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm => 16,
            Aead::Aes256Gcm | Aead::ChaCha20Poly1305 => 32,
        }
    }
}

/// The hash of a suite's key schedule (HKDF in TLS 1.3, the PRF in TLS 1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
}

/// A cipher suite's AEAD and hash, or `None` for the suites this module does not decrypt
/// (CBC, CCM, export, NULL...).
pub(crate) fn suite(code: u16) -> Option<(Aead, Hash)> {
    use Aead::*;
    use Hash::*;
    Some(match code {
        // TLS 1.3 (RFC 8446 B.4)
        0x1301 => (Aes128Gcm, Sha256),
        0x1302 => (Aes256Gcm, Sha384),
        0x1303 => (ChaCha20Poly1305, Sha256),
        // TLS 1.2 AES-GCM (RFC 5288, RFC 5289): RSA, DHE, ECDHE-ECDSA, ECDHE-RSA
        0x009c | 0x009e | 0xc02b | 0xc02f => (Aes128Gcm, Sha256),
        0x009d | 0x009f | 0xc02c | 0xc030 => (Aes256Gcm, Sha384),
        // TLS 1.2 ChaCha20-Poly1305 (RFC 7905): ECDHE-RSA, ECDHE-ECDSA, DHE-RSA
        0xcca8..=0xccaa => (ChaCha20Poly1305, Sha256),
        _ => return None,
    })
}

/// The HMAC of a TLS 1.2 CBC suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacHash {
    Sha1,
    Sha256,
    Sha384,
}

impl MacHash {
    const fn len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
        }
    }
}

/// A TLS 1.2 CBC suite: the AES key length, the HMAC and the PRF hash; `None` for the others.
pub(crate) fn cbc_suite(code: u16) -> Option<(usize, MacHash, Hash)> {
    use Hash::*;
    use MacHash::Sha1 as S1;
    Some(match code {
        // RSA, DHE-RSA, ECDHE-ECDSA, ECDHE-RSA with AES-CBC and HMAC-SHA1 (RFC 5246, RFC 4492)
        0x002f | 0x0033 | 0xc009 | 0xc013 => (16, S1, Sha256),
        0x0035 | 0x0039 | 0xc00a | 0xc014 => (32, S1, Sha256),
        // ... with HMAC-SHA256 (RFC 5246) and HMAC-SHA256/384 with their PRF (RFC 5289)
        0x003c | 0x0067 | 0xc023 | 0xc027 => (16, MacHash::Sha256, Sha256),
        0x003d | 0x006b => (32, MacHash::Sha256, Sha256),
        0xc024 | 0xc028 => (32, MacHash::Sha384, Sha384),
        _ => return None,
    })
}

/// How the nonce and the additional data are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Tls13,
    /// AES-GCM: a 4-byte salt here, 8 explicit bytes in each record.
    Tls12Explicit,
    /// ChaCha20-Poly1305: the whole 12-byte IV XOR the sequence number.
    Tls12Xor,
    /// AES-CBC and HMAC, MAC-then-encrypt or (RFC 7366) encrypt-then-MAC.
    Tls12Cbc {
        encrypt_then_mac: bool,
    },
}

/// The expanded key schedules are large (AES-256's ~1 KB): boxed, so a `RecordKey` is small.
#[derive(Clone)]
enum Key {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
    Aes128Cbc(Box<aes::Aes128>, Mac12),
    Aes256Cbc(Box<aes::Aes256>, Mac12),
}

/// A CBC suite's HMAC key.
#[derive(Clone)]
struct Mac12 {
    hash: MacHash,
    key: Vec<u8>,
}

impl Mac12 {
    /// Whether `tag` is the HMAC of the sequence number, the record's type and version, the
    /// length of `data` and `data` (RFC 5246 6.2.3.1).
    fn verifies(&self, seq: u64, header: [u8; 5], data: &[u8], tag: &[u8]) -> bool {
        let len = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
        let parts: [&[u8]; 5] = [&seq.to_be_bytes(), &header[..1], &header[1..3], &len, data];
        fn check<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
            let Ok(mut m) = <M as Mac>::new_from_slice(key) else {
                return false;
            };
            for p in parts {
                m.update(p);
            }
            m.verify_slice(tag).is_ok()
        }
        match self.hash {
            MacHash::Sha1 => check::<Hmac<Sha1>>(&self.key, &parts, tag),
            MacHash::Sha256 => check::<Hmac<Sha256>>(&self.key, &parts, tag),
            MacHash::Sha384 => check::<Hmac<Sha384>>(&self.key, &parts, tag),
        }
    }
}

/// One direction's record protection for one epoch: key, IV and sequence number.
#[derive(Clone)]
pub(crate) struct RecordKey {
    key: Key,
    iv: [u8; 12],
    seq: u64,
    framing: Framing,
}

impl core::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RecordKey(seq {})", self.seq)
    }
}

/// Why a record was not decrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The tag did not verify: wrong secret, or the bytes were changed.
    Authentication,
    /// Too short to hold a tag (and the explicit nonce), or cut short by the capture.
    Short,
    /// TLS 1.3: the plaintext is all padding, with no content type.
    NoContentType,
}

fn key(aead: Aead, bytes: &[u8]) -> Option<Key> {
    Some(match aead {
        Aead::Aes128Gcm => Key::Aes128(Aes128Gcm::new_from_slice(bytes).ok()?.into()),
        Aead::Aes256Gcm => Key::Aes256(Aes256Gcm::new_from_slice(bytes).ok()?.into()),
        Aead::ChaCha20Poly1305 => Key::ChaCha(ChaCha20Poly1305::new_from_slice(bytes).ok()?.into()),
    })
}

impl RecordKey {
    /// TLS 1.3: the key and IV of a traffic secret (RFC 8446 7.3).
    pub fn tls13(aead: Aead, hash: Hash, secret: &[u8]) -> Option<RecordKey> {
        let k = expand_label(hash, secret, b"key", aead.key_len())?;
        let iv = expand_label(hash, secret, b"iv", 12)?;
        Some(RecordKey {
            key: key(aead, &k)?,
            iv: iv.try_into().ok()?,
            seq: 0,
            framing: Framing::Tls13,
        })
    }

    /// TLS 1.2: the client's and the server's write keys from the master secret (RFC 5246
    /// 6.3; an AEAD suite has no MAC keys).
    pub fn tls12(
        aead: Aead,
        hash: Hash,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Option<(RecordKey, RecordKey)> {
        let (key_len, iv_len) = (
            aead.key_len(),
            if aead == Aead::ChaCha20Poly1305 {
                12
            } else {
                4
            },
        );
        let block = key_block(
            hash,
            master,
            client_random,
            server_random,
            2 * (key_len + iv_len),
        )?;
        let (client_key, rest) = block.split_at(key_len);
        let (server_key, rest) = rest.split_at(key_len);
        let (client_iv, server_iv) = rest.split_at(iv_len);
        let framing = if iv_len == 12 {
            Framing::Tls12Xor
        } else {
            Framing::Tls12Explicit
        };
        let make = |k: &[u8], iv: &[u8]| -> Option<RecordKey> {
            let mut full = [0u8; 12];
            full.get_mut(..iv.len())?.copy_from_slice(iv);
            Some(RecordKey {
                key: key(aead, k)?,
                iv: full,
                seq: 0,
                framing,
            })
        };
        Some((make(client_key, client_iv)?, make(server_key, server_iv)?))
    }

    /// TLS 1.2 CBC suites: the client's and the server's MAC and write keys from the master
    /// secret (RFC 5246 6.3; TLS 1.2 CBC records carry their IV, so no IV is taken).
    pub fn tls12_cbc(
        suite: (usize, MacHash, Hash),
        encrypt_then_mac: bool,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Option<(RecordKey, RecordKey)> {
        let (key_len, mac, hash) = suite;
        let block = key_block(
            hash,
            master,
            client_random,
            server_random,
            2 * (mac.len() + key_len),
        )?;
        let (client_mac, rest) = block.split_at(mac.len());
        let (server_mac, rest) = rest.split_at(mac.len());
        let (client_key, server_key) = rest.split_at(key_len);
        let make = |k: &[u8], m: &[u8]| -> Option<RecordKey> {
            let mac = Mac12 {
                hash: mac,
                key: m.to_vec(),
            };
            let key = match key_len {
                16 => Key::Aes128Cbc(Box::new(aes::Aes128::new_from_slice(k).ok()?), mac),
                _ => Key::Aes256Cbc(Box::new(aes::Aes256::new_from_slice(k).ok()?), mac),
            };
            Some(RecordKey {
                key,
                iv: [0; 12],
                seq: 0,
                framing: Framing::Tls12Cbc { encrypt_then_mac },
            })
        };
        Some((make(client_key, client_mac)?, make(server_key, server_mac)?))
    }

    /// Decrypts one record (`header` is its 5-byte header): the content type and the
    /// plaintext. The sequence number advances whether or not the record decrypts, so one
    /// damaged record does not stop the ones after it.
    pub fn open(&mut self, header: [u8; 5], fragment: &[u8]) -> Result<(u8, Vec<u8>), Failure> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        if let Framing::Tls12Cbc { encrypt_then_mac } = self.framing {
            return self.open_cbc(seq, header, fragment, encrypt_then_mac);
        }
        let mut nonce = self.iv;
        let (body, outer_type) = match self.framing {
            Framing::Tls12Explicit => {
                let explicit = fragment.get(..8).ok_or(Failure::Short)?;
                nonce
                    .get_mut(4..)
                    .ok_or(Failure::Short)?
                    .copy_from_slice(explicit);
                (fragment.get(8..).ok_or(Failure::Short)?, header[0])
            }
            Framing::Tls12Xor | Framing::Tls13 | Framing::Tls12Cbc { .. } => {
                for (n, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
                    *n ^= s;
                }
                (fragment, header[0])
            }
        };
        let split = body.len().checked_sub(TAG).ok_or(Failure::Short)?;
        let (ciphertext, tag) = body.split_at(split);
        let mut aad = Vec::with_capacity(13);
        if self.framing == Framing::Tls13 {
            aad.extend_from_slice(&header);
        } else {
            aad.extend_from_slice(&seq.to_be_bytes());
            aad.extend_from_slice(&[outer_type, header[1], header[2]]);
            aad.extend_from_slice(&(ciphertext.len() as u16).to_be_bytes());
        }
        let mut plain = ciphertext.to_vec();
        let tag: [u8; TAG] = tag.try_into().map_err(|_| Failure::Short)?;
        let tag = aes_gcm::Tag::from(tag);
        let nonce = aes_gcm::Nonce::from(nonce);
        let ok = match &self.key {
            Key::Aes128(k) => k.decrypt_in_place_detached(&nonce, &aad, &mut plain, &tag),
            Key::Aes256(k) => k.decrypt_in_place_detached(&nonce, &aad, &mut plain, &tag),
            Key::ChaCha(k) => k.decrypt_in_place_detached(&nonce, &aad, &mut plain, &tag),
            Key::Aes128Cbc(..) | Key::Aes256Cbc(..) => return Err(Failure::Authentication),
        };
        ok.map_err(|_| Failure::Authentication)?;
        if self.framing != Framing::Tls13 {
            return Ok((outer_type, plain));
        }
        let end = plain
            .iter()
            .rposition(|&b| b != 0)
            .ok_or(Failure::NoContentType)?;
        let inner = plain[end];
        plain.truncate(end);
        Ok((inner, plain))
    }
}

impl RecordKey {
    /// A TLS 1.2 CBC record: IV, ciphertext (content, HMAC, padding), or with encrypt-then-MAC
    /// IV, ciphertext (content, padding), HMAC.
    fn open_cbc(
        &self,
        seq: u64,
        header: [u8; 5],
        fragment: &[u8],
        encrypt_then_mac: bool,
    ) -> Result<(u8, Vec<u8>), Failure> {
        const BLOCK: usize = 16;
        let mac = match &self.key {
            Key::Aes128Cbc(_, m) | Key::Aes256Cbc(_, m) => m,
            _ => return Err(Failure::Authentication),
        };
        let body = if encrypt_then_mac {
            let split = fragment
                .len()
                .checked_sub(mac.hash.len())
                .ok_or(Failure::Short)?;
            let (body, tag) = fragment.split_at(split);
            if !mac.verifies(seq, header, body, tag) {
                return Err(Failure::Authentication);
            }
            body
        } else {
            fragment
        };
        if body.len() < 2 * BLOCK || body.len() % BLOCK != 0 {
            return Err(Failure::Short);
        }
        let (iv, ciphertext) = body.split_at(BLOCK);
        let mut plain = ciphertext.to_vec();
        let opened = match &self.key {
            Key::Aes128Cbc(k, _) => {
                cbc::Decryptor::<aes::Aes128>::inner_iv_slice_init(*k.clone(), iv)
                    .map_err(|_| Failure::Short)?
                    .decrypt_padded_mut::<NoPadding>(&mut plain)
                    .is_ok()
            }
            Key::Aes256Cbc(k, _) => {
                cbc::Decryptor::<aes::Aes256>::inner_iv_slice_init(*k.clone(), iv)
                    .map_err(|_| Failure::Short)?
                    .decrypt_padded_mut::<NoPadding>(&mut plain)
                    .is_ok()
            }
            _ => false,
        };
        if !opened {
            return Err(Failure::Short);
        }
        // The padding: its length in the last byte, and that many bytes of the same value.
        let pad = usize::from(*plain.last().ok_or(Failure::Short)?);
        let end = plain
            .len()
            .checked_sub(pad + 1)
            .ok_or(Failure::Authentication)?;
        if plain[end..].iter().any(|&b| usize::from(b) != pad) {
            return Err(Failure::Authentication);
        }
        plain.truncate(end);
        if !encrypt_then_mac {
            let split = plain
                .len()
                .checked_sub(mac.hash.len())
                .ok_or(Failure::Authentication)?;
            let tag = plain.split_off(split);
            if !mac.verifies(seq, header, &plain, &tag) {
                return Err(Failure::Authentication);
            }
        }
        Ok((header[0], plain))
    }
}

/// The next TLS 1.3 application traffic secret (RFC 8446 7.2).
pub(crate) fn next_secret(hash: Hash, secret: &[u8]) -> Option<Vec<u8>> {
    let len = match hash {
        Hash::Sha256 => 32,
        Hash::Sha384 => 48,
    };
    expand_label(hash, secret, b"traffic upd", len)
}

/// HKDF-Expand-Label with an empty context (RFC 8446 7.1).
fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut info = Vec::with_capacity(4 + 6 + label.len());
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(6 + label.len()).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = alloc::vec![0u8; len];
    match hash {
        Hash::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        Hash::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
    }
    Some(out)
}

/// The TLS 1.2 key block: the PRF of the master secret with "key expansion" and the server's
/// then the client's random (RFC 5246 6.3).
fn key_block(
    hash: Hash,
    master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Option<Vec<u8>> {
    let mut seed = Vec::with_capacity(64);
    seed.extend_from_slice(server_random);
    seed.extend_from_slice(client_random);
    prf(hash, master, b"key expansion", &seed, len)
}

/// The TLS 1.2 PRF, P_SHA256 or P_SHA384 (RFC 5246 5).
fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Option<Vec<u8>> {
    match hash {
        Hash::Sha256 => p_hash::<Hmac<Sha256>>(secret, label, seed, len),
        Hash::Sha384 => p_hash::<Hmac<Sha384>>(secret, label, seed, len),
    }
}

fn p_hash<M: Mac + hmac::digest::KeyInit>(
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let new = || <M as Mac>::new_from_slice(secret).ok();
    let mut out = Vec::with_capacity(len);
    // A(1) = HMAC(secret, label + seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = {
        let mut m = new()?;
        m.update(label);
        m.update(seed);
        m.finalize().into_bytes().to_vec()
    };
    while out.len() < len {
        let mut m = new()?;
        m.update(&a);
        m.update(label);
        m.update(seed);
        out.extend_from_slice(&m.finalize().into_bytes());
        let mut m = new()?;
        m.update(&a);
        a = m.finalize().into_bytes().to_vec();
    }
    out.truncate(len);
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::decrypt::keylog::unhex;

    fn h(s: &str) -> Vec<u8> {
        unhex(s.as_bytes()).unwrap()
    }

    /// RFC 8448 3 (simple 1-RTT handshake): the server's handshake traffic secret gives the
    /// key and IV the RFC lists, and they open the server's first encrypted record.
    #[test]
    fn rfc8448_server_handshake_keys() {
        let secret = h("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        assert_eq!(
            expand_label(Hash::Sha256, &secret, b"key", 16).unwrap(),
            h("3fce516009c21727d0f2e4e86ee403bc")
        );
        assert_eq!(
            expand_label(Hash::Sha256, &secret, b"iv", 12).unwrap(),
            h("5d313eb2671276ee13000b30")
        );
    }

    #[test]
    fn tls12_prf_matches_the_known_vector() {
        // The P_SHA256 test vector of the IETF TLS mailing list (also in Go's prf_test.go).
        let out = prf(
            Hash::Sha256,
            &h("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &h("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        )
        .unwrap();
        assert_eq!(&out[..16], h("e3f229ba727be17b8d122620557cd453").as_slice());
    }

    /// Seals `content` as a TLS 1.2 CBC record the way RFC 5246 6.2.3.2 and RFC 7366 say,
    /// with the client's keys of [`RecordKey::tls12_cbc`]'s key block.
    fn seal_cbc(
        suite: (usize, MacHash, Hash),
        etm: bool,
        master: &[u8],
        seq: u64,
        content: &[u8],
    ) -> ([u8; 5], Vec<u8>) {
        use cbc::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
        let (key_len, mac, hash) = suite;
        let block = key_block(hash, master, &[1; 32], &[2; 32], 2 * (mac.len() + key_len)).unwrap();
        let (mac_key, enc_key) = (&block[..mac.len()], &block[2 * mac.len()..][..key_len]);
        let mac_of = |data: &[u8], len: usize| -> Vec<u8> {
            fn tag<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
                let mut h = <M as Mac>::new_from_slice(key).unwrap();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().into_bytes().to_vec()
            }
            let len = (len as u16).to_be_bytes();
            let parts: [&[u8]; 5] = [&seq.to_be_bytes(), &[23], &[3, 3], &len, data];
            match mac {
                MacHash::Sha1 => tag::<Hmac<Sha1>>(mac_key, &parts),
                MacHash::Sha256 => tag::<Hmac<Sha256>>(mac_key, &parts),
                MacHash::Sha384 => tag::<Hmac<Sha384>>(mac_key, &parts),
            }
        };
        let iv = [9u8; 16];
        let mut inner = content.to_vec();
        if !etm {
            inner.extend(mac_of(content, content.len()));
        }
        let pad = 15 - inner.len() % 16;
        inner.extend(core::iter::repeat_n(pad as u8, pad + 1));
        let len = inner.len();
        let sealed = match key_len {
            16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(enc_key, &iv)
                .unwrap()
                .encrypt_padded_mut::<NoPadding>(&mut inner, len)
                .unwrap()
                .to_vec(),
            _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(enc_key, &iv)
                .unwrap()
                .encrypt_padded_mut::<NoPadding>(&mut inner, len)
                .unwrap()
                .to_vec(),
        };
        let mut fragment = iv.to_vec();
        fragment.extend(sealed);
        if etm {
            let tag = mac_of(&fragment, fragment.len());
            fragment.extend(tag);
        }
        let n = fragment.len() as u16;
        ([23, 3, 3, (n >> 8) as u8, n as u8], fragment)
    }

    #[test]
    fn cbc_records_open_with_mac_then_encrypt_and_encrypt_then_mac() {
        let master = [7u8; 48];
        for code in [0xc009u16, 0xc014, 0xc023, 0xc028, 0x002f, 0x003d] {
            let suite = cbc_suite(code).unwrap();
            for etm in [false, true] {
                let (mut client, _) =
                    RecordKey::tls12_cbc(suite, etm, &master, &[1; 32], &[2; 32]).unwrap();
                for (seq, content) in [&b"GET / HTTP/1.1\r\n"[..], b"", &[0x5a; 100]]
                    .into_iter()
                    .enumerate()
                {
                    let (header, fragment) = seal_cbc(suite, etm, &master, seq as u64, content);
                    assert_eq!(
                        client.open(header, &fragment),
                        Ok((23, content.to_vec())),
                        "{code:04x} etm {etm} record {seq}"
                    );
                }
                // A changed byte (or the other framing) fails; so does a cut record.
                let (header, mut fragment) = seal_cbc(suite, etm, &master, 3, b"hello");
                let mut other = client.clone();
                fragment[20] ^= 1;
                assert_eq!(client.open(header, &fragment), Err(Failure::Authentication));
                let (header, fragment) = seal_cbc(suite, !etm, &master, 4, b"hello");
                assert!(other.open(header, &fragment).is_err());
                assert!(other.open(header, &fragment[..20]).is_err());
            }
        }
        assert_eq!(cbc_suite(0xc02b), None, "GCM is not CBC");
    }

    #[test]
    fn a_record_sealed_with_a_key_opens_and_a_changed_byte_fails() {
        let secret = [7u8; 32];
        let mut sealer = RecordKey::tls13(Aead::ChaCha20Poly1305, Hash::Sha256, &secret).unwrap();
        let mut opener = sealer.clone();
        // Seal by hand: plaintext "hi" + content type 22, header with the sealed length.
        let Key::ChaCha(k) = &sealer.key else {
            panic!()
        };
        let mut body = b"hi\x16".to_vec();
        let header = [23, 3, 3, 0, (body.len() + TAG) as u8];
        let nonce = sealer.iv;
        let tag = k
            .encrypt_in_place_detached(&aes_gcm::Nonce::from(nonce), &header, &mut body)
            .unwrap();
        body.extend_from_slice(&tag);
        sealer.seq += 1;
        assert_eq!(opener.open(header, &body).unwrap(), (22, b"hi".to_vec()));
        let mut again = RecordKey::tls13(Aead::ChaCha20Poly1305, Hash::Sha256, &secret).unwrap();
        body[0] ^= 1;
        assert_eq!(again.open(header, &body), Err(Failure::Authentication));
        assert_eq!(again.open(header, &[0; 3]), Err(Failure::Short));
    }
}
