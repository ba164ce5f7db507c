//! Fuzz target `capture_stream`: see `mtlskit_fuzz::capture_stream` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::capture_stream(data));
