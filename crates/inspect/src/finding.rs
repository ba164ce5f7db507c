//! Findings: what is wrong (or worth knowing) about an item, with a stable code.
//!
//! Codes are part of the JSON contract (design.md) and documented in docs/; messages are one
//! sentence a person understands. A finding may point at the bytes that prove it.

use alloc::string::String;
use serde::Serialize;

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// The bytes of the item that prove the finding, when there are such bytes.
    #[serde(skip)]
    pub span: Option<Span>,
    /// For findings about one certificate among several (diagnosis): its SHA-256, to which
    /// `span` then refers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

impl Finding {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            span: None,
            certificate: None,
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Points at `span` in the certificate with this SHA-256 (when the span is known).
    pub fn in_certificate(mut self, sha256: &str, span: Option<Span>) -> Self {
        self.certificate = Some(String::from(sha256));
        self.span = span;
        self
    }
}
