//! Fuzz target `key_log`: see `mtlskit_fuzz::key_log` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::key_log(data));
