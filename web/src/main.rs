//! The page's entry point (built by trunk for wasm32; a no-op natively).
fn main() {}
