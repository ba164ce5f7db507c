//! Session-ticket keys from files, shared by every instance behind one name (`ticket_key_file`).
//!
//! The files are in nginx's `ssl_session_ticket_key` format, so one key generator (`openssl
//! rand 80 > ticket.key`) serves a mixed fleet: 80 bytes are a 16-byte key name, a 32-byte
//! HMAC-SHA256 key and a 32-byte AES-256 key; 48 bytes are a key name, a 16-byte AES-128 key
//! and a 16-byte HMAC key. A ticket is made as OpenSSL's ticket callback makes it (RFC 5077's
//! recommended construction): `key name (16) | IV (16) | AES-CBC(PKCS#7) ciphertext |
//! HMAC-SHA256 over everything before it (32)`. The first file's key encrypts new tickets;
//! every file's key decrypts the tickets that carry its name (the previous key during a
//! rotation). rustls's own ticketers only make random keys, hence this one, on aws-lc-rs's
//! AES-CBC and HMAC (the primitives rustls's ticketer uses).
//!
//! Key bytes never appear in an error, a log line or `Debug`. A ticket from a client is
//! unauthenticated input: its MAC is checked (in constant time, by aws-lc) before anything is
//! decrypted, and a ticket of another key name, too short or not a whole number of blocks is
//! refused without a panic.

use std::path::{Path, PathBuf};

use aws_lc_rs::cipher::{
    DecryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
    AES_128, AES_256, AES_CBC_IV_LEN,
};
use aws_lc_rs::{hmac, iv};
use rustls::server::ProducesTickets;

/// Bytes of a key name.
const NAME: usize = 16;
/// Bytes of the HMAC-SHA256 tag.
const TAG: usize = 32;

/// Why a ticket key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TicketKeyError {
    /// The file cannot be read.
    #[error("{}: cannot read the ticket key file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not 48 or 80 bytes long.
    #[error("{}: a ticket key file must be 48 or 80 bytes (nginx's ssl_session_ticket_key format, e.g. openssl rand 80), not {len}", path.display())]
    Size {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// aws-lc refused the key (it does not for keys of these sizes).
    #[error("{}: the ticket key cannot be used", path.display())]
    Crypto {
        /// The file.
        path: PathBuf,
    },
}

/// One key of a ticket key file.
struct Key {
    name: [u8; NAME],
    encrypt: PaddedBlockEncryptingKey,
    decrypt: PaddedBlockDecryptingKey,
    hmac: hmac::Key,
}

impl Key {
    /// The key in `bytes` (48 or 80 of them, as nginx reads them); `None` for another size.
    fn from_bytes(bytes: &[u8]) -> Option<Result<Key, aws_lc_rs::error::Unspecified>> {
        let (name, aes, mac, cipher) = match bytes.len() {
            48 => (&bytes[..16], &bytes[16..32], &bytes[32..48], &AES_128),
            80 => (&bytes[..16], &bytes[48..80], &bytes[16..48], &AES_256),
            _ => return None,
        };
        let make = || {
            Ok(Key {
                name: name.try_into().map_err(|_| aws_lc_rs::error::Unspecified)?,
                encrypt: PaddedBlockEncryptingKey::cbc_pkcs7(UnboundCipherKey::new(cipher, aes)?)?,
                decrypt: PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(cipher, aes)?)?,
                hmac: hmac::Key::new(hmac::HMAC_SHA256, mac),
            })
        };
        Some(make())
    }
}

/// Reads one ticket key file: its size, and the key in it. `check` and `serve` both call it.
fn read(path: &Path) -> Result<Key, TicketKeyError> {
    let len = std::fs::metadata(path)
        .map_err(|source| TicketKeyError::Read {
            path: path.into(),
            source,
        })?
        .len();
    if len != 48 && len != 80 {
        return Err(TicketKeyError::Size {
            path: path.into(),
            len,
        });
    }
    let mut bytes = std::fs::read(path).map_err(|source| TicketKeyError::Read {
        path: path.into(),
        source,
    })?;
    let key = Key::from_bytes(&bytes);
    // The raw key does not outlive the aws-lc keys made from it.
    bytes.fill(0);
    std::hint::black_box(&bytes);
    match key {
        Some(Ok(k)) => Ok(k),
        Some(Err(_)) => Err(TicketKeyError::Crypto { path: path.into() }),
        None => Err(TicketKeyError::Size {
            path: path.into(),
            len: bytes.len() as u64,
        }),
    }
}

/// The keys of `ticket_key_file`: the first encrypts, all decrypt.
pub struct FileTicketer {
    keys: Vec<Key>,
    lifetime: u32,
}

impl std::fmt::Debug for FileTicketer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTicketer")
            .field("keys", &self.keys.len())
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl FileTicketer {
    /// Reads every file (at least one), for tickets that live `lifetime` seconds.
    pub fn load(paths: &[PathBuf], lifetime: u32) -> Result<FileTicketer, TicketKeyError> {
        let keys = paths
            .iter()
            .map(|p| read(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FileTicketer { keys, lifetime })
    }

    /// The files whose key names repeat an earlier file's (only the earlier one can decrypt).
    pub fn repeated_names(&self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (i, k) in self.keys.iter().enumerate() {
            if self.keys[..i].iter().any(|e| e.name == k.name) {
                out.extend(paths.get(i).cloned());
            }
        }
        out
    }
}

impl ProducesTickets for FileTicketer {
    fn enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    fn lifetime(&self) -> u32 {
        self.lifetime
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let key = self.keys.first()?;
        let mut state = plain.to_vec();
        let context = key.encrypt.encrypt(&mut state).ok()?;
        let iv: &[u8] = (&context).try_into().ok()?;
        let mut out = Vec::with_capacity(NAME + AES_CBC_IV_LEN + state.len() + TAG);
        out.extend_from_slice(&key.name);
        out.extend_from_slice(iv);
        out.extend_from_slice(&state);
        let tag = hmac::sign(&key.hmac, &out);
        out.extend_from_slice(tag.as_ref());
        Some(out)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let (name, rest) = ticket.split_first_chunk::<NAME>()?;
        let key = self.keys.iter().find(|k| &k.name == name)?;
        let (signed, tag) = ticket.split_at(ticket.len().checked_sub(TAG)?);
        let (iv, state) = rest
            .get(..rest.len().checked_sub(TAG)?)?
            .split_first_chunk::<AES_CBC_IV_LEN>()?;
        if state.is_empty() || state.len() % AES_CBC_IV_LEN != 0 {
            return None;
        }
        hmac::verify(&key.hmac, signed, tag).ok()?;
        let mut out = state.to_vec();
        let context = DecryptionContext::Iv128(iv::FixedLength::from(*iv));
        let len = key.decrypt.decrypt(&mut out, context).ok()?.len();
        out.truncate(len);
        Some(out)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn ticketer(bytes: &[&[u8]]) -> FileTicketer {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = bytes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = dir.path().join(format!("{i}.key"));
                std::fs::write(&p, b).expect("write");
                p
            })
            .collect();
        FileTicketer::load(&paths, 300).expect("load")
    }

    #[test]
    fn both_sizes_round_trip_and_the_previous_key_still_decrypts() {
        let old: Vec<u8> = (0..48u8).collect();
        let new: Vec<u8> = (100..180u8).collect();
        let a = ticketer(&[&old]);
        let t_old = a.encrypt(b"session state").expect("encrypt");
        assert_eq!(&t_old[..16], &old[..16]);
        assert_eq!(t_old.len(), 16 + 16 + 16 + 32);
        assert_eq!(a.decrypt(&t_old).as_deref(), Some(&b"session state"[..]));
        // Rotated: the new key encrypts, the old one still decrypts its tickets.
        let b = ticketer(&[&new, &old]);
        let t_new = b.encrypt(b"another").expect("encrypt");
        assert_eq!(&t_new[..16], &new[..16]);
        assert_eq!(b.decrypt(&t_new).as_deref(), Some(&b"another"[..]));
        assert_eq!(b.decrypt(&t_old).as_deref(), Some(&b"session state"[..]));
        // Without the old key, its tickets are refused.
        let c = ticketer(&[&new]);
        assert_eq!(c.decrypt(&t_old), None);
    }

    #[test]
    fn tampered_or_short_tickets_are_refused() {
        let k: Vec<u8> = (0..80u8).collect();
        let t = ticketer(&[&k]);
        let good = t.encrypt(b"x").expect("encrypt");
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 1;
            assert_eq!(t.decrypt(&bad), None, "byte {i} flipped");
        }
        for n in 0..good.len() {
            assert_eq!(t.decrypt(&good[..n]), None, "{n} bytes");
        }
        // Same name, other secrets: the MAC fails.
        let mut other = k.clone();
        other[40] ^= 1;
        assert_eq!(ticketer(&[&other]).decrypt(&good), None);
    }

    #[test]
    fn other_sizes_are_refused_naming_the_file_and_not_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("ticket.key");
        std::fs::write(&p, [7u8; 64]).expect("write");
        let e = FileTicketer::load(std::slice::from_ref(&p), 300).expect_err("64 bytes");
        assert_eq!(
            e.to_string(),
            format!("{}: a ticket key file must be 48 or 80 bytes (nginx's ssl_session_ticket_key format, e.g. openssl rand 80), not 64", p.display())
        );
        let e = FileTicketer::load(&[dir.path().join("none")], 300).expect_err("missing");
        assert!(e.to_string().contains("cannot read the ticket key file"));
        let t = ticketer(&[&[7u8; 80]]);
        assert!(!format!("{t:?}").contains('7'));
    }
}
