//! Fuzz target `diagnose`: see `mtlskit_fuzz::diagnose` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::diagnose(data));
