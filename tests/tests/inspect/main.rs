//! `mtlskit inspect` on generated certificates, keys, CSRs and TLS bytes in every encoding, and
//! its errors.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod errors;
mod formats;
mod keys;
mod tls;
