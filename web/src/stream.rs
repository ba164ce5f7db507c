//! Large captures read as a stream: the file in chunks through the library's
//! [`Reader`](mtlskit_inspect::capture::Reader), each connection decoded as it finishes, the
//! summary counted by [`SummaryBuilder`] (the same facts as `mtlskit inspect --summary`), and one
//! light [`Row`] per connection for the card's list.
//!
//! Two sides, which talk in [`Command`]s and [`Report`]s (JSON between them): the [`Engine`]
//! decodes and keeps a [`slim`] copy of each connection, what a [`Filter`] reads; it runs in a
//! Web Worker (`crate::worker`), or on the page's thread when no worker can start. The page's
//! [`StreamCard`] keeps what it shows: the summary, the rows and which of them the picked summary
//! row matches, as the engine answered. Never the file's bytes.
//!
//! Plain Rust, so `cargo test -p mtlskit-web` tests both sides and what crosses between them.

use std::rc::Rc;

use mtlskit_inspect::capture::model::Connection;
use mtlskit_inspect::capture::summary::{Filter, Summary, SummaryBuilder};
use mtlskit_inspect::capture::{decode_stream, ConnectionReport, Reader};
use mtlskit_inspect::diagnose::capture::Outcome;
use mtlskit_inspect::{Error, Timestamp};
use serde::{Deserialize, Serialize};

use crate::capture;
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

/// One TLS connection of a streamed capture, as its list row shows it (computed once, as it
/// finished, by the engine).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// "127.0.0.1:50000 → 127.0.0.1:443" (the card header's title).
    pub title: String,
    /// "TLS 1.2, TLS_ECDHE_..., SNI localhost, full handshake" (the card header's summary).
    pub summary: String,
    /// What happened to the client certificate, in a sentence.
    pub certificate: String,
    /// How the handshake ended, as the capture diagnosis tells it ([`outcome_name`]).
    pub outcome: String,
    /// The finding codes of the connection, errors first.
    pub codes: Vec<String>,
}

impl Row {
    /// The row of a decoded connection.
    pub fn new(conn: &Connection) -> Row {
        let header = capture::header(conn);
        let outcome = mtlskit_inspect::diagnose::capture::connection(conn).outcome;
        let mut codes: Vec<String> = Vec::new();
        for f in capture::findings(conn) {
            if !codes.iter().any(|c| c == f.code.as_str()) {
                codes.push(f.code.as_str().to_string());
            }
        }
        Row {
            title: header.title,
            summary: header.summary,
            certificate: header.certificate,
            outcome: outcome_name(outcome).to_string(),
            codes,
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

/// The connection without what a [`Filter`] does not read: the records and messages of both
/// directions, the server's certificates, the client's beyond its leaf.
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

/// What the card shows of the library's [`Summary`]: the fields it renders, read from the
/// summary's JSON (the `--summary --json` one), so they cross from the worker as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Overview {
    /// TLS connections counted.
    pub connections: usize,
    /// TCP connections without TLS.
    pub other_connections: usize,
    /// Handshakes by outcome.
    pub outcomes: Outcomes,
    /// About the file and its packets.
    pub file_findings: Vec<Note>,
    /// Finding codes.
    pub codes: Vec<Tally>,
    /// Negotiated versions.
    pub versions: Vec<Tally>,
    /// Chosen cipher suites.
    pub cipher_suites: Vec<Tally>,
    /// What became of the client certificate.
    pub client_certificates: Vec<Tally>,
    /// The clients' JA4 fingerprints (top).
    pub ja4: Vec<Tally>,
    /// Server names (top).
    pub server_names: Vec<Tally>,
    /// Client certificate subjects (top).
    pub client_subjects: Vec<Tally>,
    /// Client certificate issuers (top).
    pub client_issuers: Vec<Tally>,
    /// Certificates seen on the wire expiring soon, soonest first.
    pub expiring: Vec<Soon>,
    /// The window of `expiring`, in days.
    pub expiring_within_days: i64,
}

/// Handshakes by outcome (the summary's `outcomes`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Outcomes {
    /// Completed handshakes.
    pub completed: usize,
    /// Failed handshakes.
    pub failed: usize,
    /// Handshakes whose end is not in the capture.
    pub unknown: usize,
    /// Connections without a handshake.
    pub no_handshake: usize,
}

/// A finding about the file: how bad, and the sentence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Note {
    /// "info", "warning" or "error".
    pub severity: String,
    /// The sentence.
    pub message: String,
}

/// One row of a summary table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tally {
    /// The value.
    pub value: String,
    /// TLS connections with it.
    pub connections: usize,
}

/// A certificate expiring soon.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Soon {
    /// Its subject DN.
    pub subject: String,
    /// Days left (negative: expired).
    pub days_left: i64,
}

impl Overview {
    /// What the card shows of `summary` (empty if its JSON could not be read back, which the
    /// tests rule out).
    pub fn of(summary: &Summary) -> Overview {
        serde_json::to_value(summary)
            .and_then(serde_json::from_value)
            .unwrap_or_default()
    }
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

    /// Decodes the next finished connection: `Some(Some((row, slim connection)))` for a TLS
    /// connection, `Some(None)` for a TCP connection without TLS (counted), `None` when none is
    /// waiting. One connection at a time, so the caller can yield between them.
    pub fn next_row(&mut self) -> Option<Option<(Row, Connection)>> {
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
                    Some((Row::new(&t.connection), slim(t.connection)))
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    /// The table's name ("codes", "ja4", "server_names", "client_subjects").
    pub table: String,
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
        let key = match self.table.as_str() {
            "codes" => "code",
            "ja4" => "ja4",
            "server_names" => "sni",
            "client_subjects" => "subject",
            _ => return None,
        };
        Filter::parse(&format!("{key}={}", self.value)).ok()
    }
}

/// What pressing a summary row asks for, `current` being picked: that row, or all rows (`None`)
/// when it is the one already picked or names no value.
pub fn toggle(current: Option<&Pick>, pick: Pick) -> Option<Pick> {
    let same = current == Some(&pick);
    Some(pick).filter(|p| !same && p.filter().is_some())
}

/// The tables of the summary whose rows filter the list (see [`Pick::filter`]).
pub const FILTERING: [&str; 4] = ["codes", "ja4", "server_names", "client_subjects"];

/// What the page asks of the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Read the file (sent with it), judging validity at this moment (seconds since 1970).
    Start {
        /// The page's clock.
        now: i64,
    },
    /// Stop reading: what was read stays, and the list can still be filtered.
    Cancel,
    /// Show the rows this summary row matches (`None`: all); `pick` numbers the request, so
    /// the page knows which answer is for its latest.
    Pick {
        /// The request's number.
        pick: u32,
        /// The summary row.
        row: Option<Pick>,
    },
}

/// What the engine tells the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Report {
    /// The worker is running and waits for [`Command::Start`].
    Ready,
    /// The worker could not start (why): the page decodes on its own thread.
    Unavailable(String),
    /// More was read.
    Read {
        /// Bytes read so far.
        read: u64,
        /// The summary of what was read so far.
        summary: Box<Overview>,
        /// The TLS connections finished since the last report.
        rows: Vec<Row>,
        /// The pick request the matches are for.
        pick: u32,
        /// Positions (in all rows) of the new rows that request's summary row matches.
        matches: Vec<u32>,
    },
    /// The answer to a [`Command::Pick`]: the positions of the rows it matches, of all sent.
    Shown {
        /// The request's number.
        pick: u32,
        /// The positions of the matching rows.
        shown: Vec<u32>,
    },
    /// Reading stopped: done, cancelled or failed (after a last [`Report::Read`]).
    End(Progress),
}

/// The decoding side: the [`Decoder`], the slim connections, the list's filter.
#[derive(Debug)]
pub struct Engine {
    decoder: Decoder,
    conns: Vec<Connection>,
    rows: Vec<Row>,
    sent: usize,
    pick: u32,
    filter: Option<Filter>,
}

impl Engine {
    /// An engine judging certificates' validity at `now`.
    pub fn new(now: Timestamp) -> Engine {
        Engine {
            decoder: Decoder::new(now),
            conns: Vec::new(),
            rows: Vec::new(),
            sent: 0,
            pick: 0,
            filter: None,
        }
    }

    /// Reads the next chunk of the file (decode what it finished with [`Engine::step`]).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.decoder.feed(chunk)
    }

    /// Decodes the next finished connection; `false` when none is waiting.
    pub fn step(&mut self) -> bool {
        match self.decoder.next_row() {
            None => false,
            Some(None) => true,
            Some(Some((row, conn))) => {
                self.rows.push(row);
                self.conns.push(conn);
                true
            }
        }
    }

    /// The end of the file (decode the connections it finished with [`Engine::step`]).
    pub fn finish(&mut self) -> Result<(), Error> {
        self.decoder.finish()
    }

    /// What was read since the last report, with the summary so far.
    pub fn report(&mut self) -> Report {
        let start = self.sent;
        self.sent = self.conns.len();
        let matches = self.matching(start);
        Report::Read {
            read: self.decoder.bytes_read(),
            summary: Box::new(Overview::of(&self.decoder.summary())),
            rows: std::mem::take(&mut self.rows),
            pick: self.pick,
            matches,
        }
    }

    /// Filters by a summary row from now on: the rows already reported that it matches.
    pub fn pick(&mut self, pick: u32, row: Option<Pick>) -> Report {
        self.pick = pick;
        self.filter = row.and_then(|r| r.filter());
        Report::Shown {
            pick,
            shown: self.matching(0),
        }
    }

    /// Positions from `start` to the last reported row that the filter matches.
    fn matching(&self, start: usize) -> Vec<u32> {
        self.conns
            .get(start..self.sent)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, c)| self.filter.as_ref().is_none_or(|f| f.matches(c)))
            .map(|(i, _)| u32::try_from(start + i).unwrap_or(u32::MAX))
            .collect()
    }
}

/// Where a streamed capture is decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Thread {
    /// Not known yet: the worker is starting.
    Starting,
    /// In a Web Worker, off the page's thread.
    Worker,
    /// On the page's thread, between its other work, because the worker could not start (why).
    Page(String),
}

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
    /// Cancel was pressed: the engine stops at its next chunk and says so.
    pub stopping: bool,
    /// Where it is decoded.
    pub thread: Thread,
    /// The summary of what was read.
    pub summary: Rc<Overview>,
    /// The TLS connections, in the order they finished.
    pub rows: Rc<Vec<Rc<Row>>>,
    /// The summary row picked to filter the list.
    pub pick: Option<Pick>,
    /// The number of the latest pick request (answers to older ones are stale).
    pub pick_request: u32,
    /// Positions in `rows` of the connections the list shows, as the engine answered.
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
            stopping: false,
            thread: Thread::Starting,
            summary: Rc::new(Overview::default()),
            rows: Rc::new(Vec::new()),
            pick: None,
            pick_request: 0,
            shown: Rc::new(Vec::new()),
        }
    }

    /// Takes what the engine said (the page handles [`Report::Ready`] and
    /// [`Report::Unavailable`] itself).
    pub fn take(&mut self, report: Report) {
        match report {
            Report::Read {
                read,
                summary,
                rows,
                pick,
                matches,
            } => {
                self.read = read;
                self.summary = Rc::new(*summary);
                self.push(rows, pick, matches);
            }
            Report::Shown { pick, shown } => self.show(pick, shown),
            Report::End(progress) if self.progress == Progress::Reading => {
                if progress == Progress::Done {
                    self.read = self.size;
                }
                self.progress = progress;
                self.stopping = false;
            }
            Report::End(_) | Report::Ready | Report::Unavailable(_) => {}
        }
    }

    /// New rows, and those of them the list shows (when the matches are for the latest pick;
    /// else the answer to it, still to come, covers them).
    fn push(&mut self, rows: Vec<Row>, pick: u32, matches: Vec<u32>) {
        let total = self.rows.len() + rows.len();
        Rc::make_mut(&mut self.rows).extend(rows.into_iter().map(Rc::new));
        if pick == self.pick_request {
            let shown = Rc::make_mut(&mut self.shown);
            shown.extend(matches.into_iter().filter(|&i| (i as usize) < total));
        }
    }

    /// The rows the list shows, the engine's answer to pick request `pick` (ignored when
    /// stale).
    fn show(&mut self, pick: u32, shown: Vec<u32>) {
        if pick == self.pick_request {
            let total = self.rows.len();
            self.shown = Rc::new(
                shown
                    .into_iter()
                    .filter(|&i| (i as usize) < total)
                    .collect(),
            );
        }
    }

    /// The list is filtered by `pick` (request number `request`): it shows nothing until the
    /// engine answers which rows match.
    pub fn set_pick(&mut self, request: u32, pick: Option<Pick>) {
        self.pick = pick;
        self.pick_request = request;
        self.shown = Rc::new(Vec::new());
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
