//! The decoders of `mtlskit_inspect` against openssl and tshark: certificates, CRLs, CSRs, keys and
//! PKCS#7 bundles made by openssl at test time, and TLS bytes built here or captured from real
//! handshakes.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod certificate;
mod crl;
mod csr_key;
mod tls_bytes;
mod tls_tshark;
