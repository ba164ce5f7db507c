//! The Yew components of the page (wasm32 only).
