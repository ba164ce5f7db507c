//! The Yew components of the page (wasm32 only).
//!
//! `app` owns the state (`use_reducer`) and hands its dispatcher down through a context, so
//! components send actions up without callbacks in their props (props stay comparable, and a
//! selection in one item does not re-render the 140 rows of a CA bundle). Each module is one
//! part of the page; `browser` (clock, files, clipboard, downloads) and `focus` (keyboard focus and
//! scrolling) are the only ones that talk to browser APIs beyond rendering.

pub mod app;
mod browser;
mod capture;
mod card;
mod focus;
mod hex;
mod item;
mod ladder;
mod panic;
mod shared;
mod stream;
mod toolbar;
mod tree;
mod verdict;

pub use app::App;
pub use panic::install_panic_hook;
