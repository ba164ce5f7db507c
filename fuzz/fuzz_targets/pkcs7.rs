//! Fuzz target `pkcs7`: see `mtlskit_fuzz::pkcs7` for what it calls and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mtlskit_fuzz::pkcs7(data));
