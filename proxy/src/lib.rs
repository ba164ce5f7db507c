//! mtlskit-proxy: the mTLS reverse proxy behind `mtlskit serve`, as a library.
//!
//! A small surface: [`Config::load`] reads and validates a TOML config (docs/config.md),
//! [`serve`] runs the proxy until a shutdown future completes (or [`run`] on a runtime of its
//! own until SIGINT/SIGTERM), [`check`] finds what would make `serve` fail or clients be refused
//! (as `nginx -t` does), [`import_nginx`] converts an nginx `server { ... }` block. Errors are
//! [`Error`]. Nothing here parses a command line or prints; the `mtlskit` binary does.
//!
//! rustls decides every handshake; the inspect crate's diagnosis engine only explains refusals
//! in the logs. Modules, one concept each: `config`, `serve` (the proxy), `check`, `nginx`
//! (import), `certinfo` (the certificate facts serve and check read), `page` (the web
//! inspector's page server, for `mtlskit web` and the admin listener's `/inspect/`).

#![deny(missing_docs)]

mod authz;
mod certinfo;
mod check;
pub mod config;
mod error;
mod nginx;
pub mod page;
mod serve;

pub use check::{check, Findings};
pub use config::{Config, ConfigError};
pub use error::Error;
pub use nginx::{convert as import_nginx, Converted, ParseError};
pub use serve::{
    client_verifier, run, serve, shutdown_signal, LogError, Shutdown, TicketKeyError, TlsSetupError,
};
