//! `mtlskit probe` against real servers.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod openssl;
