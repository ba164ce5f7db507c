//! Fuzz target `tls`: see `mtlskit_fuzz::tls` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::tls(data));
