//! One module per command: each reads its arguments, calls the libraries, prints through
//! [`crate::render`] and returns the [`crate::Status`] for the exit code.

pub mod check;
pub mod diagnose;
pub mod import_nginx;
pub mod inspect;
pub mod inspect_stream;
pub mod pki;
pub mod probe;
pub mod reload;
pub mod serve;
pub mod web;

/// An I/O error as one short phrase after a path ("no such file").
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_string(),
        _ => format!("cannot be read ({e})"),
    }
}
