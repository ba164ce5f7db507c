//! Fuzz target `pem`: see `mtlskit_fuzz::pem` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::pem(data));
