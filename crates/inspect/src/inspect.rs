//! (being written)
use alloc::string::String;
use alloc::vec::Vec;

use crate::report::Report;
use crate::time::Timestamp;

/// One source to inspect.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub source: &'a str,
    pub bytes: &'a [u8],
}

pub fn inspect(source: &str, bytes: &[u8], now: Option<Timestamp>) -> Report {
    inspect_many(&[Input { source, bytes }], now)
}

pub fn inspect_many(inputs: &[Input<'_>], _now: Option<Timestamp>) -> Report {
    let _: Vec<String> = inputs.iter().map(|i| String::from(i.source)).collect();
    Report::default()
}
