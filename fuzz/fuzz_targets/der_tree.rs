//! Fuzz target `der_tree`: see `mtlskit_fuzz::der_tree` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::der_tree(data));
