//! `mtlskit inspect`: read every path, decode them together, print text or JSON.
//!
//! Sources are decoded together so a key is matched to the certificates given with it. An
//! unreadable file does not stop the others; it only sets the exit status. `--keylog` decrypts
//! the captures' TLS; the key log is read here and never printed. `--jsonl` and `--summary`
//! read one capture as a stream ([`super::inspect_stream`]).

use std::io::{Read, Write};

use anyhow::Context;
use mtlskit_inspect::{inspect_with, Input, Options, Timestamp};

use super::{describe_io, read_key_log};
use crate::args::InspectArgs;
use crate::render;
use crate::Status;

pub fn run(args: &InspectArgs) -> anyhow::Result<Status> {
    let now = match &args.at {
        Some(at) => match Timestamp::parse_rfc3339(at) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("mtlskit: --at: {e}");
                return Ok(Status::Usage);
            }
        },
        None => Timestamp::now(),
    };
    let key_log = match &args.keylog {
        Some(path) => match read_key_log(path) {
            Ok(log) => Some(log),
            Err(message) => {
                eprintln!("mtlskit: {path}: {message}");
                return Ok(Status::Usage);
            }
        },
        None => None,
    };
    if args.jsonl || args.summary {
        return super::inspect_stream::run(args, now, key_log);
    }
    let mut status = Status::Ok;
    let mut sources: Vec<(String, Vec<u8>)> = Vec::new();
    for path in &args.paths {
        match read(path) {
            Ok(bytes) => sources.push((path.clone(), bytes)),
            Err(e) => {
                eprintln!("mtlskit: {path}: {}", describe_io(&e));
                status = Status::Usage;
            }
        }
    }
    let inputs: Vec<Input<'_>> = sources
        .iter()
        .map(|(source, bytes)| Input { source, bytes })
        .collect();
    // The CLI shows no hex view: skip the field trees.
    let mut options = Options::default();
    options.trees = false;
    options.key_log = key_log.as_ref();
    let report = inspect_with(&inputs, Some(now), options);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report).context("writing the report")?;
        writeln!(out)?;
    } else {
        render::text(&report, now, &mut out)?;
    }
    out.flush()?;
    for e in &report.errors {
        eprintln!("mtlskit: {}: {}", e.source, e.message);
    }
    if !report.errors.is_empty() && status == Status::Ok {
        status = Status::Bad;
    }
    // The process ends right after this: freeing a large report node by node (a capture of
    // thousands of connections holds millions of allocations) took a third of the run time.
    std::mem::forget(report);
    Ok(status)
}

fn read(path: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(path)?;
    }
    Ok(bytes)
}
