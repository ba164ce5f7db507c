//! Fuzz target `inspect_many`: see `mtlskit_fuzz::inspect_many` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::inspect_many(data));
