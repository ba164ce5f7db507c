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

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use alloc::vec::Vec;
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
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

/// How the nonce and the additional data are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Tls13,
    /// AES-GCM: a 4-byte salt here, 8 explicit bytes in each record.
    Tls12Explicit,
    /// ChaCha20-Poly1305: the whole 12-byte IV XOR the sequence number.
    Tls12Xor,
}

/// The expanded key schedules are large (AES-256's ~1 KB): boxed, so a `RecordKey` is small.
#[derive(Clone)]
enum Key {
    Aes128(alloc::boxed::Box<Aes128Gcm>),
    Aes256(alloc::boxed::Box<Aes256Gcm>),
    ChaCha(alloc::boxed::Box<ChaCha20Poly1305>),
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
        let mut seed = Vec::with_capacity(64);
        seed.extend_from_slice(server_random);
        seed.extend_from_slice(client_random);
        let block = prf(
            hash,
            master,
            b"key expansion",
            &seed,
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

    /// Decrypts one record (`header` is its 5-byte header): the content type and the
    /// plaintext. The sequence number advances whether or not the record decrypts, so one
    /// damaged record does not stop the ones after it.
    pub fn open(&mut self, header: [u8; 5], fragment: &[u8]) -> Result<(u8, Vec<u8>), Failure> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
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
            Framing::Tls12Xor | Framing::Tls13 => {
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
