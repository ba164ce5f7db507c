//! Fuzz target `decrypt`: see `mtlskit_fuzz::decrypt` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::decrypt(data));
