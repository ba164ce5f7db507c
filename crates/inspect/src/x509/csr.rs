//! CSRs (placeholder until the CSR decoder lands).
use super::Decoded;
use crate::error::Error;

pub fn decode(_der: &[u8]) -> Result<Decoded, Error> {
    Err(Error::NotDecoded {
        what: "a CSR",
        reason: "the decoder is being written",
    })
}
