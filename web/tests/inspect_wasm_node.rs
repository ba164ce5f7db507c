//! The inspect crate's WebAssembly tests (crates/inspect/tests/wasm.rs) in Node, run from the web
//! crate, which already has wasm-bindgen-test:
//! `cargo test -p mtlskit-web --target wasm32-unknown-unknown --test inspect_wasm_node`.
#![cfg(target_arch = "wasm32")]

#[path = "../../crates/inspect/tests/wasm.rs"]
mod cases;
