//! mtlskit-inspect: decode the artifacts of a mutual-TLS setup and say what is wrong with them.
//!
//! Callers hand in bytes and a moment in time; this crate never reads a clock or a file, so the
//! same code runs in the CLI, the proxy's logs and the browser (WebAssembly).
//!
//! The entry point is [`inspect()`]: it sniffs the format of one source (PEM with any number of
//! blocks, DER, base64, hex dumps), decodes every object in it into an [`Item`] that
//! keeps the DER bytes and a tree of named fields with byte spans, and attaches findings.
//! [`Report`] is the serialisable model of design.md's `inspect --json` contract.
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// Implements `Display` for a registry enum by its `as_str()`, the spelling of the JSON.
macro_rules! display_as_str {
    ($t:ty) => {
        impl core::fmt::Display for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// `line_parts()` for a summary with the fields [`tls::model::summary_line`] takes (one
/// direction's summary and a connection's).
macro_rules! summary_line_parts {
    ($t:ty) => {
        impl $t {
            /// The parts of the one-line summary: see [`crate::tls::model::summary_line`].
            pub fn line_parts(&self) -> alloc::vec::Vec<alloc::string::String> {
                crate::tls::model::summary_line(
                    self.version_name.as_deref(),
                    self.cipher_suite_name.as_deref(),
                    self.alpn.as_deref(),
                    self.server_name.as_deref(),
                    self.handshake,
                )
            }
        }
    };
}

// The public surface: the modules below that are `pub` are the areas a front end calls into
// (TLS bytes, captures, diagnosis, PEM/DER/hex helpers, time, the X.509 decoders); the report
// model and the small shared types are re-exported here, at the root.
pub mod capture;
pub mod der;
pub mod diagnose;
mod error;
mod finding;
pub mod hexdump;
mod inspect;
mod objects;
mod oid;
pub mod pem;
mod report;
mod sniff;
mod span;
pub mod time;
pub mod tls;
#[cfg(feature = "std")]
pub mod x509;

pub use error::Error;
pub use finding::{Code, Finding, Severity};
#[cfg(feature = "std")]
pub use inspect::link_issuers;
pub use inspect::{inspect, inspect_many, inspect_with, Input, IssuerLink, Options};
pub use objects::{Attribute, Certificate, Csr, Extension, ItemRef, Key, Opaque, PublicKeyInfo};
pub use report::{Item, ItemBody, Report, SourceError};
pub use span::{Node, Span};
pub use time::Timestamp;
