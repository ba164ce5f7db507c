//! `mtlskit inspect --jsonl | --summary CAPTURE`: a capture of any size read as a stream.
//!
//! The file (or stdin, `-`: `tcpdump -w - | mtlskit inspect --summary -`) is read in 1 MiB
//! chunks into the library's streaming [`Reader`], which hands over each TCP connection when it
//! finishes. Connections are independent, so they are decoded on `--jobs` threads (one per
//! core by default); results are put back in the order the connections finished, so the output
//! is the same whatever the number of threads. The reader waits when too many connections are
//! in flight, so memory stays bounded whatever the file's size. The summary is counted by the
//! library ([`SummaryBuilder`]); this module only renders it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use mtlskit_inspect::capture::model::Connection;
use mtlskit_inspect::capture::summary::{Filter, SummaryBuilder};
use mtlskit_inspect::capture::{
    merged_key_log, ConnectionDecoder, ConnectionReport, Reader, Stream,
};
use mtlskit_inspect::decrypt::KeyLog;
use mtlskit_inspect::Timestamp;

use super::describe_io;
use crate::args::InspectArgs;
use crate::render;
use crate::Status;

/// The read size.
const CHUNK: usize = 1 << 20;

/// Connections to decode: the place of the first in the output, the streams, the key log
/// then. Sent in batches: one message per connection cost a tenth of the time in wakeups.
type Job = (u64, Vec<Stream>, Arc<Option<KeyLog>>);

/// Connections per batch.
const BATCH: usize = 32;

/// A decoded connection: its place, and what the output needs of it.
enum Done {
    /// A TCP connection without TLS.
    Other,
    /// Filtered out.
    Skipped,
    /// A TLS connection: its JSON line (with --jsonl) and the connection (with --summary).
    Tls(Option<String>, Option<Box<Connection>>),
}

pub fn run(args: &InspectArgs, now: Timestamp, key_log: Option<KeyLog>) -> anyhow::Result<Status> {
    let [path] = args.paths.as_slice() else {
        eprintln!(
            "mtlskit: --jsonl and --summary read one capture (got {} paths)",
            args.paths.len()
        );
        return Ok(Status::Usage);
    };
    let mut filters = Vec::new();
    for f in &args.filter {
        match Filter::parse(f) {
            Ok(filter) => filters.push(filter),
            Err(e) => {
                eprintln!("mtlskit: --filter: {e}");
                return Ok(Status::Usage);
            }
        }
    }
    let mut input: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("mtlskit: {path}: {}", describe_io(&e));
                return Ok(Status::Usage);
            }
        }
    };
    let jobs = args
        .jobs
        .map(std::num::NonZeroUsize::get)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let filters = Arc::new(filters);
    let jsonl = args.jsonl;
    let summary = args.summary;
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(jobs * 4);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = mpsc::channel::<(u64, Vec<Done>)>();
    let mut workers = Vec::new();
    for _ in 0..jobs {
        let rx = Arc::clone(&job_rx);
        let tx = done_tx.clone();
        let filters = Arc::clone(&filters);
        workers.push(std::thread::spawn(move || {
            // One per thread: it keeps the certificates it decoded for the next connections.
            let mut decoder = ConnectionDecoder::new(Some(now), false);
            loop {
                let next = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, streams, log)) = next else {
                    return;
                };
                let done = streams
                    .into_iter()
                    .map(|stream| match decoder.decode(stream, (*log).as_ref()) {
                        ConnectionReport::Other(_) => Done::Other,
                        ConnectionReport::Tls(t) => {
                            let c = t.connection;
                            if filters.iter().all(|f| f.matches(&c)) {
                                let line = if jsonl {
                                    serde_json::to_string(&c).ok()
                                } else {
                                    None
                                };
                                Done::Tls(line, summary.then(|| Box::new(c)))
                            } else {
                                Done::Skipped
                            }
                        }
                    })
                    .collect();
                if tx.send((seq, done)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(done_tx);

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut builder = SummaryBuilder::new(Some(now), args.expiring_days);
    let mut pending: BTreeMap<u64, Vec<Done>> = BTreeMap::new();
    let mut next_out = 0u64;
    let mut write = |done: Done, out: &mut dyn Write| -> std::io::Result<()> {
        match done {
            Done::Other => builder.add_other(),
            Done::Skipped => {}
            Done::Tls(line, conn) => {
                if let Some(line) = line {
                    writeln!(out, "{line}")?;
                }
                if let Some(c) = conn {
                    builder.add(&c);
                }
            }
        }
        Ok(())
    };
    // Writes every result whose turn has come; with `wait`, blocks for one result first.
    let flush = |pending: &mut BTreeMap<u64, Vec<Done>>,
                 next_out: &mut u64,
                 wait: bool,
                 out: &mut dyn Write,
                 write: &mut dyn FnMut(Done, &mut dyn Write) -> std::io::Result<()>|
     -> std::io::Result<bool> {
        let first = if wait { done_rx.recv().ok() } else { None };
        let got = first.is_some();
        for (seq, done) in first.into_iter().chain(done_rx.try_iter()) {
            pending.insert(seq, done);
        }
        while let Some(batch) = pending.remove(next_out) {
            *next_out += batch.len().max(1) as u64;
            for done in batch {
                write(done, out)?;
            }
        }
        if jsonl {
            out.flush()?;
        }
        Ok(got)
    };

    let mut reader = Reader::default();
    let mut dispatch = Dispatch {
        log: Arc::new(None),
        version: usize::MAX,
        given: key_log,
        jobs: job_tx,
        sent: 0,
    };
    let mut buf = vec![0u8; CHUNK];
    let mut failed = None;
    let in_flight_limit = (jobs * BATCH * 2) as u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("mtlskit: {path}: {}", describe_io(&e));
                return Ok(Status::Usage);
            }
        };
        if let Err(e) = reader.feed(buf.get(..n).unwrap_or_default()) {
            failed = Some(e);
            break;
        }
        dispatch.send(&mut reader)?;
        while dispatch.sent - next_out > in_flight_limit {
            flush(&mut pending, &mut next_out, true, &mut out, &mut write)?;
        }
        flush(&mut pending, &mut next_out, false, &mut out, &mut write)?;
    }
    let trailer = match failed {
        Some(e) => Err(e),
        None => reader.finish(),
    };
    let trailer = match trailer {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mtlskit: {path}: not a readable capture: {e}");
            return Ok(Status::Bad);
        }
    };
    dispatch.send(&mut reader)?;
    let sent = dispatch.sent;
    drop(dispatch);
    while next_out < sent {
        if !flush(&mut pending, &mut next_out, true, &mut out, &mut write)? {
            break;
        }
    }
    for w in workers {
        let _ = w.join();
    }
    if summary {
        builder.file(&trailer);
        let s = builder.finish(Some(args.top));
        if args.json {
            serde_json::to_writer_pretty(&mut out, &s).context("writing the summary")?;
            writeln!(out)?;
        } else {
            render::summary(path, &s, &mut out)?;
        }
    } else {
        for f in &trailer.findings {
            eprintln!("mtlskit: {path}: {}: {}", f.severity.as_str(), f.message);
        }
    }
    out.flush()?;
    Ok(Status::Ok)
}

/// Sends the connections the reader has finished to the workers, with the key log of the
/// moment (rebuilt when a Decryption Secrets Block added secrets).
struct Dispatch {
    log: Arc<Option<KeyLog>>,
    version: usize,
    given: Option<KeyLog>,
    jobs: mpsc::SyncSender<Job>,
    /// Connections sent so far.
    sent: u64,
}

impl Dispatch {
    fn send(&mut self, reader: &mut Reader) -> anyhow::Result<()> {
        if self.version != reader.key_log_version() {
            self.version = reader.key_log_version();
            self.log = Arc::new(merged_key_log(self.given.as_ref(), reader.key_log()));
        }
        loop {
            let batch: Vec<Stream> = std::iter::from_fn(|| reader.next_stream())
                .take(BATCH)
                .collect();
            if batch.is_empty() {
                return Ok(());
            }
            let n = batch.len() as u64;
            self.jobs
                .send((self.sent, batch, Arc::clone(&self.log)))
                .context("a decoding thread stopped")?;
            self.sent += n;
        }
    }
}
