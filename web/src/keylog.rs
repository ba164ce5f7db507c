//! Key logs dropped beside a capture: the NSS key log (`SSLKEYLOGFILE`) decrypts the TLS of the
//! captures on the page (`mtlskit_inspect::decrypt`).
//!
//! A key log is a secret: it is never inspected as an item, so it is in no report, no JSON
//! export and no hex view; its card says what it holds by count only, and that it stays in
//! this browser.

use mtlskit_inspect::decrypt::{looks_like_key_log, KeyLog};

use crate::state::Source;

/// Whether an input is a key log (kept out of the report).
pub fn is_key_log(source: &Source) -> bool {
    looks_like_key_log(&source.bytes)
}

/// Every key log among the inputs, merged; `None` when there is none.
pub fn merged(sources: &[Source]) -> Option<KeyLog> {
    let mut logs = sources
        .iter()
        .filter(|s| is_key_log(s))
        .map(|s| KeyLog::parse(&s.bytes));
    let mut all = logs.next()?;
    for log in logs {
        all.merge(log);
    }
    Some(all)
}

/// What a key log's card says: how many secrets for how many connections, never a value.
pub fn describe(source: &Source) -> String {
    let log = KeyLog::parse(&source.bytes);
    let mut text = format!(
        "Key log: {} secrets for {} TLS connections, used to decrypt the captures on this \
         page. It stays in this browser and is never part of an export.",
        log.secret_lines,
        log.client_randoms()
    );
    if !log.problems.is_empty() {
        text.push_str(&format!(" {} lines are not secrets.", log.problems.len()));
    }
    text
}
