//! mtlskit-web: the inspector page. Drop certificates, CSRs, keys (and, as the inspect crate
//! learns them, TLS streams and captures) into a browser tab and read every decoded field, its
//! bytes and what is wrong with it. Nothing leaves the browser.
//!
//! The modules outside `ui` are plain Rust that compiles natively, so `cargo test -p mtlskit-web`
//! tests the state, the reducer and everything a card shows; `ui` holds the Yew components and
//! builds for `wasm32` only (trunk, see Trunk.toml and index.html at the repository root).
//!
//! Data flow, as in Yew's `function_todomvc`: one [`state::State`] behind `use_reducer`, actions
//! go up through callbacks, props come down. Every change of the inputs or of the moment
//! re-runs `mtlskit_inspect::inspect_many` over all inputs, so keys are matched to certificates
//! across cards. Large captures are the exception: [`stream`] reads them in chunks through the
//! library's streaming reader into cards of their own (summary first, a virtual list), outside
//! the re-inspection, decoded in a Web Worker ([`worker`], the same binary) when one starts.
#![deny(missing_docs)]

pub mod capture;
pub mod export;
pub mod hexview;
pub mod keylog;
pub mod ladder;
pub mod links;
pub mod moment;
pub mod state;
pub mod stream;
pub mod summary;
#[cfg(target_arch = "wasm32")]
pub mod ui;
pub mod verdict;
#[cfg(target_arch = "wasm32")]
pub mod worker;
