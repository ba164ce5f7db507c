//! Decryption of captured TLS with the secrets of a key log (`SSLKEYLOGFILE`).
//!
//! TLS 1.3 encrypts the part of an mTLS handshake that matters: the server's
//! CertificateRequest, the client's Certificate and CertificateVerify, and the alert that ends
//! a refused handshake. With the secrets the endpoints logged, the capture reader decrypts
//! them and decodes them like plaintext ones ([`crate::capture::decode_keyed`]).
//!
//! - [`KeyLog`]: the NSS key log format, from a file or a pcapng Decryption Secrets Block;
//!   secrets are never printed (their `Debug` shows a length) and never serialised.
//! - TLS 1.3 with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 (early data, handshake and
//!   application traffic secrets, key updates); TLS 1.2 with the master secret of `CLIENT_RANDOM` and the
//!   AES-GCM, ChaCha20-Poly1305 and AES-CBC with HMAC-SHA1/SHA256/SHA384 suites (encrypt-then-MAC
//!   respected). CCM, 3DES, Camellia and older versions are reported as not decrypted.
//! - A record that does not authenticate is reported as failed; nothing is guessed.
//!
//! RustCrypto's aes-gcm, chacha20poly1305, aes, cbc, hkdf and hmac do the cryptography; they
//! are no_std.

mod cipher;
mod keylog;

use alloc::vec::Vec;

pub(crate) use keylog::unhex;
pub use keylog::{looks_like_key_log, KeyLog, Label, LineProblem, Secret, Secrets};

use cipher::{Aead, Failure, Hash, RecordKey};

/// Why a connection's records cannot be decrypted at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// The key log has no secret for the connection's client random.
    NoSecrets,
    /// The secrets present are not the ones this version needs (`CLIENT_RANDOM` for TLS 1.2,
    /// the traffic secrets for TLS 1.3).
    WrongSecrets,
    /// The cipher suite is not one this crate decrypts (CCM, 3DES, Camellia, ...).
    UnsupportedSuite,
    /// The version is older than TLS 1.2, or not known.
    UnsupportedVersion,
    /// The capture holds no ClientHello or ServerHello for the connection.
    NoHello,
}

impl Unusable {
    /// One phrase for the report.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unusable::NoSecrets => "the key log has no secret for this connection's client random",
            Unusable::WrongSecrets => {
                "the key log's secrets for this connection are not the ones its version needs"
            }
            Unusable::UnsupportedSuite => "its cipher suite is not one mtlskit decrypts",
            Unusable::UnsupportedVersion => "only TLS 1.2 and TLS 1.3 are decrypted",
            Unusable::NoHello => "the capture lacks its ClientHello or ServerHello",
        }
    }
}

display_as_str!(Unusable);

/// What a direction's decoder needs to decrypt its records.
#[derive(Clone, Debug)]
pub(crate) struct DirectionKeys {
    /// The negotiated version, for the message formats of the decrypted messages.
    pub version: u16,
    /// TLS 1.3: the suite's AEAD and hash, for the traffic secrets.
    suite13: Option<(Aead, Hash)>,
    /// TLS 1.3, the client: the early traffic secret of 0-RTT data.
    early: Option<Vec<u8>>,
    /// TLS 1.3: the handshake traffic secret.
    handshake: Option<Vec<u8>>,
    /// TLS 1.3: application traffic secret 0.
    application: Option<Vec<u8>>,
    /// TLS 1.2: the write key, used from the ChangeCipherSpec on.
    tls12: Option<RecordKey>,
}

/// The keys of both directions of a connection: (client's, server's). `encrypt_then_mac`:
/// the ServerHello has the encrypt_then_mac extension (RFC 7366; it changes CBC suites only).
pub(crate) fn connection_keys(
    secrets: &Secrets,
    version: u16,
    suite: u16,
    encrypt_then_mac: bool,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<(DirectionKeys, DirectionKeys), Unusable> {
    if let (0x0303, Some(cbc)) = (version, cipher::cbc_suite(suite)) {
        let master = secrets
            .get(Label::ClientRandom)
            .ok_or(Unusable::WrongSecrets)?;
        let (c, s) = RecordKey::tls12_cbc(
            cbc,
            encrypt_then_mac,
            master.bytes(),
            client_random,
            server_random,
        )
        .ok_or(Unusable::WrongSecrets)?;
        let keys = |k: RecordKey| DirectionKeys {
            version,
            suite13: None,
            early: None,
            handshake: None,
            application: None,
            tls12: Some(k),
        };
        return Ok((keys(c), keys(s)));
    }
    let (aead, hash) = cipher::suite(suite).ok_or(Unusable::UnsupportedSuite)?;
    let empty = DirectionKeys {
        version,
        suite13: Some((aead, hash)),
        early: None,
        handshake: None,
        application: None,
        tls12: None,
    };
    let secret = |l: Label| secrets.get(l).map(|s| s.bytes().to_vec());
    match version {
        0x0304 => {
            if (suite >> 8) != 0x13 {
                return Err(Unusable::UnsupportedSuite);
            }
            let client = DirectionKeys {
                early: secret(Label::ClientEarlyTrafficSecret),
                handshake: secret(Label::ClientHandshakeTrafficSecret),
                application: secret(Label::ClientTrafficSecret0),
                ..empty.clone()
            };
            let server = DirectionKeys {
                handshake: secret(Label::ServerHandshakeTrafficSecret),
                application: secret(Label::ServerTrafficSecret0),
                ..empty
            };
            let none = |k: &DirectionKeys| {
                k.early.is_none() && k.handshake.is_none() && k.application.is_none()
            };
            if none(&client) && none(&server) {
                return Err(Unusable::WrongSecrets);
            }
            Ok((client, server))
        }
        0x0303 => {
            if (suite >> 8) == 0x13 {
                return Err(Unusable::UnsupportedSuite);
            }
            let master = secrets
                .get(Label::ClientRandom)
                .ok_or(Unusable::WrongSecrets)?;
            let (c, s) = RecordKey::tls12(aead, hash, master.bytes(), client_random, server_random)
                .ok_or(Unusable::WrongSecrets)?;
            Ok((
                DirectionKeys {
                    tls12: Some(c),
                    ..empty.clone()
                },
                DirectionKeys {
                    tls12: Some(s),
                    ..empty
                },
            ))
        }
        _ => Err(Unusable::UnsupportedVersion),
    }
}

/// The outcome of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Opened {
    /// The inner content type and the plaintext.
    Plain(u8, Vec<u8>),
    /// The record did not decrypt.
    Failed(FailReason),
    /// No secret for the epoch the record belongs to.
    NoKey,
}

/// Why a record did not decrypt, for the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailReason {
    /// The authentication tag did not verify.
    Authentication,
    /// The record is too short or cut short by the capture.
    Short,
    /// TLS 1.3: no content type in the plaintext.
    NoContentType,
}

impl From<Failure> for FailReason {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Authentication => FailReason::Authentication,
            Failure::Short => FailReason::Short,
            Failure::NoContentType => FailReason::NoContentType,
        }
    }
}

/// Which keys protect a TLS 1.3 direction's records now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Epoch {
    /// The client's 0-RTT data, up to its EndOfEarlyData.
    Early,
    Handshake,
    /// Application traffic secret N.
    Application,
}

/// A direction's decryption state, record after record.
#[derive(Debug)]
pub(crate) struct Decrypter {
    keys: DirectionKeys,
    epoch: Epoch,
    current: Option<RecordKey>,
    /// The application traffic secret of the current generation.
    app_secret: Option<Vec<u8>>,
    started: bool,
}

impl Decrypter {
    pub fn new(keys: DirectionKeys) -> Decrypter {
        Decrypter {
            epoch: Epoch::Handshake,
            current: None,
            app_secret: keys.application.clone(),
            started: false,
            keys,
        }
    }

    /// The negotiated version.
    pub fn version(&self) -> u16 {
        self.keys.version
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        if let Some(k) = &self.keys.tls12 {
            self.current = Some(k.clone());
        } else if let Some(early) = self.tls13_key(self.keys.early.as_deref()) {
            self.epoch = Epoch::Early;
            self.current = Some(early);
        } else {
            self.current = self.tls13_key(self.keys.handshake.as_deref());
        }
    }

    fn tls13_key(&self, secret: Option<&[u8]>) -> Option<RecordKey> {
        let (aead, hash) = self.keys.suite13?;
        RecordKey::tls13(aead, hash, secret?)
    }

    /// Decrypts the next protected record of the direction.
    pub fn open(&mut self, header: [u8; 5], fragment: &[u8]) -> Opened {
        self.start();
        if self.epoch == Epoch::Early {
            return self.open_early(header, fragment);
        }
        let first = self.current.as_mut().map(|k| k.open(header, fragment));
        match first {
            Some(Ok((t, p))) => Opened::Plain(t, p),
            // TLS 1.3: a handshake epoch that fails (or has no secret) may be over without a
            // Finished this reader saw; try application secret 0 from its first record.
            other if self.keys.tls12.is_none() && self.epoch == Epoch::Handshake => {
                if let Some(mut k) = self.application_key() {
                    if let Ok((t, p)) = k.open(header, fragment) {
                        self.epoch = Epoch::Application;
                        self.current = Some(k);
                        return Opened::Plain(t, p);
                    }
                }
                match other {
                    Some(Err(e)) => Opened::Failed(e.into()),
                    _ => Opened::NoKey,
                }
            }
            Some(Err(e)) => Opened::Failed(e.into()),
            None => Opened::NoKey,
        }
    }

    /// A client record after a ClientHello whose key log has an early traffic secret: 0-RTT
    /// data (and the EndOfEarlyData), or, when it does not open with that secret (the client
    /// sent no early data, or the server refused it and the client went on), the first record
    /// of the handshake epoch. The handshake key is tried on a copy, so a refused early record
    /// does not move its sequence number; such a record is reported as failed.
    fn open_early(&mut self, header: [u8; 5], fragment: &[u8]) -> Opened {
        let early = self.current.as_mut().map(|k| k.open(header, fragment));
        if let Some(Ok((t, p))) = early {
            return Opened::Plain(t, p);
        }
        let mut handshake = self.tls13_key(self.keys.handshake.as_deref());
        if let Some(Ok((t, p))) = handshake.as_mut().map(|k| k.open(header, fragment)) {
            self.epoch = Epoch::Handshake;
            self.current = handshake;
            return Opened::Plain(t, p);
        }
        match early {
            Some(Err(e)) => Opened::Failed(e.into()),
            _ => Opened::NoKey,
        }
    }

    fn application_key(&self) -> Option<RecordKey> {
        self.tls13_key(self.app_secret.as_deref())
    }

    /// The client sent its EndOfEarlyData: the handshake traffic secret protects what follows
    /// (RFC 8446 4.5).
    pub fn end_of_early_data(&mut self) {
        if self.epoch == Epoch::Early {
            self.epoch = Epoch::Handshake;
            self.current = self.tls13_key(self.keys.handshake.as_deref());
        }
    }

    /// The direction sent its Finished: TLS 1.3 switches to the application traffic secret.
    pub fn finished(&mut self) {
        if self.keys.tls12.is_none() && self.epoch == Epoch::Handshake {
            self.epoch = Epoch::Application;
            self.current = self.application_key();
        }
    }

    /// The direction sent a KeyUpdate: the next generation of its application secret.
    pub fn key_update(&mut self) {
        if self.keys.tls12.is_some() || self.epoch != Epoch::Application {
            return;
        }
        self.app_secret = self
            .app_secret
            .as_deref()
            .zip(self.keys.suite13)
            .and_then(|(s, (_, hash))| cipher::next_secret(hash, s));
        self.current = self.application_key();
    }
}
