//! `mtlskit diagnose` and `mtlskit_inspect::diagnose` on generated chains (verdicts and codes
//! against `openssl verify`, findings that point at their bytes) and on captured handshakes.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod capture;
mod revocation;
mod scenarios;
mod spans;
