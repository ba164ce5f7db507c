//! Fuzz target `hexdump`: see `mtlskit_fuzz::hexdump` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::hexdump(data));
