//! One module per command: each reads its arguments, calls the libraries, prints through
//! [`crate::render`] and returns the [`crate::Status`] for the exit code.

pub mod check;
pub mod diagnose;
pub mod dist_assets;
pub mod import_nginx;
pub mod inspect;
pub mod inspect_stream;
pub mod pki;
pub mod probe;
pub mod reload;
pub mod serve;
pub mod web;

use mtlskit_inspect::decrypt::{looks_like_key_log, KeyLog};

/// An I/O error as one short phrase after a path ("no such file").
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_string(),
        _ => format!("cannot be read ({e})"),
    }
}

/// The key log of `--keylog`: a file of NSS key log lines (an unreadable file, or one with no
/// line of the format, is a usage error).
pub fn read_key_log(path: &str) -> Result<KeyLog, String> {
    let bytes = std::fs::read(path).map_err(|e| describe_io(&e))?;
    if !looks_like_key_log(&bytes) {
        return Err(
            "not an NSS key log (lines like `CLIENT_RANDOM <random> <secret>`)".to_string(),
        );
    }
    Ok(KeyLog::parse(&bytes))
}
