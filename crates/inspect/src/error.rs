//! Errors of the decoders: named, so a caller can say in one sentence what is wrong.

use alloc::string::String;
use core::fmt;

/// Why a source or an object in it could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input holds no bytes (or only whitespace).
    Empty,
    /// The bytes are in no format this crate knows.
    UnknownFormat,
    /// A PEM block was opened but never closed.
    UnterminatedPem {
        /// The label of the BEGIN line.
        label: String,
    },
    /// A PEM block's body is not valid base64.
    BadBase64 {
        /// The label of the BEGIN line.
        label: String,
    },
    /// A DER structure ended before its declared length.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A DER structure broke an encoding rule.
    BadDer {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// The object was recognised but is not of the expected shape.
    Malformed {
        /// The object or field.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The object is recognised and deliberately not decoded (encrypted key, PKCS#12).
    NotDecoded {
        /// The object.
        what: &'static str,
        /// Why it is not decoded.
        reason: &'static str,
    },
    /// A clock value or time string could not be read.
    BadTime(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Empty => f.write_str("the input is empty"),
            Error::UnknownFormat => f.write_str(
                "the input is not a certificate, CSR, key or bundle in PEM, DER, base64 or hex",
            ),
            Error::UnterminatedPem { label } => {
                write!(f, "the PEM block \"{label}\" has no END line")
            }
            Error::BadBase64 { label } => {
                write!(f, "the PEM block \"{label}\" does not hold valid base64")
            }
            Error::Truncated { what, offset } => {
                write!(f, "the {what} is truncated at byte {offset}")
            }
            Error::BadDer { what, offset } => {
                write!(f, "the {what} is not valid DER at byte {offset}")
            }
            Error::Malformed { what, reason } => write!(f, "the {what} is malformed: {reason}"),
            Error::NotDecoded { what, reason } => write!(f, "this is {what}; {reason}"),
            Error::BadTime(s) => write!(f, "\"{s}\" is not an RFC 3339 time"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
