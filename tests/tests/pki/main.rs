//! `mtlskit pki` and the `mtlskit_pki` library: what they make must satisfy openssl.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod cli;
mod openssl_verify;
