//! Captures of real TLS connections read by the capture reader (`mtlskit_inspect::capture`) and by
//! tshark: reassembly, damaged files, TLS decoding and the diagnosis of failed handshakes.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod decrypt;
mod diagnosis;
mod robust;
mod stream;
mod tls;
mod tshark;
