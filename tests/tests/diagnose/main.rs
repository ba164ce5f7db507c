//! `mtlskit diagnose` and `mtlskit_inspect::diagnose` on generated chains: verdicts and codes
//! against `openssl verify`, and findings that point at their bytes.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod revocation;
mod scenarios;
mod spans;
