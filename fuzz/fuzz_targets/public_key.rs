//! Fuzz target `public_key`: see `mtlskit_fuzz::public_key` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::public_key(data));
