//! Keys (placeholder until the key decoder lands).
use super::{Decoded, KeyFormat};
use crate::error::Error;

pub fn decode_private(_der: &[u8], _format: KeyFormat) -> Result<Decoded, Error> {
    Err(Error::NotDecoded {
        what: "a private key",
        reason: "the decoder is being written",
    })
}

pub fn decode_public(_der: &[u8], _pkcs1: bool) -> Result<Decoded, Error> {
    Err(Error::NotDecoded {
        what: "a public key",
        reason: "the decoder is being written",
    })
}
