//! Large captures read as a stream: the file in chunks through the library's
//! [`Reader`](mtlskit_inspect::capture::Reader), each connection decoded as it finishes, the
//! summary counted by [`SummaryBuilder`] (the same facts as `mtlskit inspect --summary`), and one
//! light [`Row`] kept per connection for the card's list.
//!
//! Plain Rust, so `cargo test -p mtlskit-web` tests it; `ui::stream` drives it from the file's
//! `Blob` slices, yielding to the browser between pieces of work so the tab stays responsive.
//!
//! A capture of this size has tens of thousands of connections: the page keeps, for each, the
//! header it shows and a [`slim`] copy of the connection with what a [`Filter`] reads (the
//! records, messages and the server's certificates are dropped), never the file's bytes.

use std::rc::Rc;

use mtlskit_inspect::capture::model::Connection;
use mtlskit_inspect::capture::summary::{Filter, Summary, SummaryBuilder};
use mtlskit_inspect::capture::{decode_stream, ConnectionReport, Reader};
use mtlskit_inspect::diagnose::capture::Outcome;
use mtlskit_inspect::{Error, Timestamp};

use crate::capture::{self, Header};

/// Captures at least this large are read as a stream (summary and virtual list); smaller ones
/// are inspected whole, with ladders and the hex view.
pub const STREAM_AT_LEAST: usize = 8 << 20;

/// Rows of the issuer, subject, JA4 and server name tables (the CLI's `--top` default).
pub const TOP: usize = 10;

/// Certificates seen on the wire expiring within this many days are listed (the CLI's
/// `--expiring-days` default).
pub const EXPIRING_DAYS: i64 = 30;

/// Whether the first bytes of a file are those of a pcap (either byte order, micro- or
/// nanosecond) or a pcapng file.
pub fn is_capture(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    head.get(..4).is_some_and(|m| MAGICS.iter().any(|x| x == m))
}

/// One TLS connection of a streamed capture, as its list row shows it.
#[derive(Clone, Debug)]
pub struct Row {
    /// Who, the summary line, the client certificate sentence (computed once, as it finished).
    pub header: Header,
    /// How the handshake ended, as the capture diagnosis tells it.
    pub outcome: Outcome,
    /// The finding codes of the connection, errors first.
    pub codes: Vec<&'static str>,
    /// The connection, [`slim`]: what a [`Filter`] reads.
    pub conn: Connection,
}

impl Row {
    /// The row of a decoded connection.
    pub fn new(conn: Connection) -> Row {
        let header = capture::header(&conn);
        let outcome = mtlskit_inspect::diagnose::capture::connection(&conn).outcome;
        let mut codes: Vec<&'static str> = Vec::new();
        for f in capture::findings(&conn) {
            if !codes.contains(&f.code.as_str()) {
                codes.push(f.code.as_str());
            }
        }
        Row {
            header,
            outcome,
            codes,
            conn: slim(conn),
        }
    }
}

/// The outcome's name, as the summary's `outcomes` fields spell it.
pub fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "completed",
        Outcome::Failed => "failed",
        Outcome::Unknown => "unknown",
        Outcome::NoHandshake => "no_handshake",
    }
}

/// The connection without what neither its row nor a [`Filter`] reads: the records and
/// messages of both directions, the server's certificates, the client's beyond its leaf.
pub fn slim(mut conn: Connection) -> Connection {
    for tls in [&mut conn.client_to_server, &mut conn.server_to_client] {
        tls.records = Vec::new();
        tls.messages = Vec::new();
        tls.new_session_tickets = Vec::new();
        tls.server_key_exchange = None;
        tls.certificate_request = None;
        tls.decryption = None;
    }
    conn.client_to_server.certificates.truncate(1);
    conn.server_to_client.certificates = Vec::new();
    conn.gaps = Vec::new();
    conn.decryption = None;
    conn
}

/// Reads a capture in chunks: connections out as rows, the summary counted along.
#[derive(Debug)]
pub struct Decoder {
    reader: Reader,
    builder: SummaryBuilder,
    now: Timestamp,
}

impl Decoder {
    /// A decoder judging certificates' validity at `now`.
    pub fn new(now: Timestamp) -> Decoder {
        Decoder {
            reader: Reader::default(),
            builder: SummaryBuilder::new(Some(now), EXPIRING_DAYS),
            now,
        }
    }

    /// Reads the next chunk of the file; the connections it finished are decoded one by one
    /// from [`Decoder::next_row`].
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.reader.feed(chunk)
    }

    /// Decodes the next finished connection: `Some(Some(row))` for a TLS connection,
    /// `Some(None)` for a TCP connection without TLS (counted), `None` when none is waiting.
    /// One connection at a time, so the caller can yield to the browser between them.
    pub fn next_row(&mut self) -> Option<Option<Row>> {
        let stream = self.reader.next_stream()?;
        let key_log = self.reader.key_log();
        let key_log = (!key_log.is_empty()).then_some(key_log);
        Some(
            match decode_stream(stream, Some(self.now), false, key_log) {
                ConnectionReport::Other(_) => {
                    self.builder.add_other();
                    None
                }
                ConnectionReport::Tls(t) => {
                    self.builder.add(&t.connection);
                    Some(Row::new(t.connection))
                }
            },
        )
    }

    /// The end of the file: every open connection finishes (decode them with
    /// [`Decoder::next_row`], then take [`Decoder::summary`]).
    pub fn finish(&mut self) -> Result<(), Error> {
        let trailer = self.reader.finish()?;
        self.builder.file(&trailer);
        Ok(())
    }

    /// The summary of the connections decoded so far.
    pub fn summary(&self) -> Summary {
        self.builder.clone().finish(Some(TOP))
    }

    /// Bytes given so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.bytes_received()
    }
}

/// How far a streamed capture got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Being read.
    Reading,
    /// Read to its end.
    Done,
    /// Stopped by the user: the summary and the list cover the part read.
    Cancelled,
    /// Not readable as a capture (the reason); the part read before stays.
    Failed(String),
}

/// A summary row that filters the list: which table and which value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    /// The table's name ("codes", "ja4", "server_names", "client_subjects").
    pub table: &'static str,
    /// The row's value.
    pub value: String,
}

impl Pick {
    /// The filter of a summary row, when its table has one (`None` for "(none)" and
    /// "(other)" rows, which name no value).
    pub fn filter(&self) -> Option<Filter> {
        if self.value.starts_with('(') {
            return None;
        }
        let key = match self.table {
            "codes" => "code",
            "ja4" => "ja4",
            "server_names" => "sni",
            "client_subjects" => "subject",
            _ => return None,
        };
        Filter::parse(&format!("{key}={}", self.value)).ok()
    }
}

/// The tables of the summary whose rows filter the list (see [`Pick::filter`]).
pub const FILTERING: [&str; 4] = ["codes", "ja4", "server_names", "client_subjects"];

/// A streamed capture's card.
#[derive(Clone, Debug)]
pub struct StreamCard {
    /// Stable for the life of the page (its own numbering, apart from inputs').
    pub id: u32,
    /// The file's name.
    pub name: String,
    /// The file's size in bytes.
    pub size: u64,
    /// Bytes read so far.
    pub read: u64,
    /// Reading, done, cancelled or failed.
    pub progress: Progress,
    /// The summary of what was read.
    pub summary: Rc<Summary>,
    /// The TLS connections, in the order they finished.
    pub rows: Rc<Vec<Rc<Row>>>,
    /// The summary row picked to filter the list, and its filter.
    pub pick: Option<(Pick, Filter)>,
    /// Positions in `rows` of the connections the list shows (all without a pick).
    pub shown: Rc<Vec<u32>>,
}

impl StreamCard {
    /// A card for a file about to be read.
    pub fn new(id: u32, name: String, size: u64) -> StreamCard {
        StreamCard {
            id,
            name,
            size,
            read: 0,
            progress: Progress::Reading,
            summary: Rc::new(Summary::default()),
            rows: Rc::new(Vec::new()),
            pick: None,
            shown: Rc::new(Vec::new()),
        }
    }

    /// Adds decoded rows; the list shows those the pick matches.
    pub fn push(&mut self, rows: Vec<Row>) {
        let start = self.rows.len();
        let list = Rc::make_mut(&mut self.rows);
        list.extend(rows.into_iter().map(Rc::new));
        let shown = Rc::make_mut(&mut self.shown);
        for (i, row) in self.rows.iter().enumerate().skip(start) {
            if self.pick.as_ref().is_none_or(|(_, f)| f.matches(&row.conn)) {
                shown.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
    }

    /// Filters the list by a summary row, or (`None`, or the row already picked) shows all.
    pub fn set_pick(&mut self, pick: Option<Pick>) {
        let same = pick.as_ref() == self.pick.as_ref().map(|(p, _)| p);
        self.pick = pick
            .filter(|_| !same)
            .and_then(|p| p.filter().map(|f| (p, f)));
        let shown = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| self.pick.as_ref().is_none_or(|(_, f)| f.matches(&row.conn)))
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        self.shown = Rc::new(shown);
    }
}

/// The rows a virtual list renders: those in the viewport (`top` pixels scrolled, `height`
/// pixels tall, rows of `row` pixels) and `overscan` more on each side, of `total`.
pub fn visible(
    top: f64,
    height: f64,
    row: f64,
    total: usize,
    overscan: usize,
) -> core::ops::Range<usize> {
    if total == 0 || row <= 0.0 {
        return 0..0;
    }
    let first = (top.max(0.0) / row).floor() as usize;
    let count = (height.max(0.0) / row).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = first
        .saturating_add(count)
        .saturating_add(overscan)
        .min(total);
    start..end.max(start)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
