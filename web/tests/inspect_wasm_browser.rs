//! The inspect crate's WebAssembly tests (crates/inspect/tests/wasm.rs) in headless Chromium via
//! chromedriver: `cargo test -p mtlskit-web --target wasm32-unknown-unknown --test
//! inspect_wasm_browser` (`cargo xtask web test` sets the driver's options).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "../../crates/inspect/tests/wasm.rs"]
mod cases;
