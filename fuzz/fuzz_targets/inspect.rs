//! Fuzz target `inspect`: see `mtlskit_fuzz::inspect` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::inspect(data));
