//! mtlskit-pki: the certificates of an mTLS setup, made right the first time.
//!
//! A CA (optionally with an intermediate), server certificates with serverAuth and the names
//! clients will check, client certificates with clientAuth, CSRs with requested SANs, and the
//! signing of CSRs with the key usage and EKU their role needs. Built on rcgen (aws-lc-rs, the
//! provider rustls uses, which can also generate RSA keys). Key files are written 0600 and no
//! file is ever overwritten without `force`.

#![deny(missing_docs)]

mod algorithm;
mod error;
mod files;
mod issue;
pub mod load;
mod names;
pub mod revoke;

pub use algorithm::KeyAlgorithm;
pub use error::Error;
pub use files::{init, write_private, write_public, InitOptions, Written};
pub use issue::{new_ca, new_csr, new_intermediate, new_leaf, sign_csr, Ca, Issued, Options, Role};
pub use names::{parse_sans, San};
