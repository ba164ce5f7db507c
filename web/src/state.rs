//! The page's state and its reducer: inputs in, one report, cards, and what is open or selected.
//!
//! Plain Rust (no Yew), so the reducer is tested natively; `ui::app` wraps it in
//! `yew::Reducible`. Every action that changes the inputs or the moment re-inspects all inputs
//! together (keys are matched to certificates across cards) and rebuilds the cards; the other
//! actions only touch what is open and what is selected.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use mtlskit_inspect::diagnose::Role;
use mtlskit_inspect::{inspect_with, Input, ItemBody, Node, Options, Report, Span, Timestamp};

use crate::hexview;
use crate::moment::Moment;
use crate::stream::{self, Pick, Progress, StreamCard, Thread};
use crate::summary::plural;
use crate::verdict::{self, Choice, Outcome};

/// An input: one dropped or picked file, or one pasted block.
#[derive(Clone, Debug)]
pub struct Source {
    /// Stable for the life of the page; cards and actions refer to inputs by it.
    pub id: u32,
    /// The file name (made unique on the page: a second "ca.pem" is "ca.pem (2)").
    pub name: String,
    /// Its bytes, shared with every re-inspection.
    pub bytes: Rc<[u8]>,
}

/// An item of the report, addressed by its input and its position in that input.
pub type ItemKey = (u32, usize);

/// One card: an input and where its items and errors are in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    /// The input's [`Source::id`].
    pub id: u32,
    /// The input's name, as the card heading shows it.
    pub name: String,
    /// The input's length in bytes.
    pub size: usize,
    /// Positions in `report.items`, in order.
    pub items: Vec<usize>,
    /// Positions in `report.errors`.
    pub errors: Vec<usize>,
    /// A key log: not inspected (its secrets stay out of the report), it decrypts the
    /// captures; this is what its card says about it.
    pub key_log: Option<String>,
}

impl Card {
    /// Nothing in the input could be decoded: the card is an error card.
    pub fn failed(&self) -> bool {
        self.items.is_empty() && self.key_log.is_none()
    }
}

/// Inputs with at most this many items open all of them at once; longer lists (a CA bundle)
/// show summary lines only until one is opened.
pub const OPEN_AT_MOST: usize = 3;

/// Everything the page shows: the inputs, their report and cards at the moment, and what is
/// open, selected and chosen.
#[derive(Clone, Debug)]
pub struct State {
    /// The inputs, in the order they were added.
    pub sources: Vec<Source>,
    next_id: u32,
    /// Texts pasted or dropped since the page was last empty (their inputs are numbered).
    texts: u32,
    /// When validity is judged.
    pub moment: Moment,
    /// The report of all inputs inspected together at the moment.
    pub report: Rc<Report>,
    /// One card per input, in the order of `sources`.
    pub cards: Rc<Vec<Card>>,
    /// Items whose details (findings, tree, hex) are shown.
    pub open: BTreeSet<ItemKey>,
    /// The selected field of each item, as a path of child indexes into its tree.
    pub selected: BTreeMap<ItemKey, Vec<usize>>,
    /// The first hex row shown for items longer than one page.
    pub hex_row: BTreeMap<ItemKey, usize>,
    /// A short message for the status line ("Copied the JSON report").
    pub notice: Option<String>,
    /// The item to bring into view, with a count that changes on each request (the same item
    /// asked for twice is scrolled to twice).
    pub reveal: Option<(ItemKey, u32)>,
    /// The verdict panel's choices (role, host name, certificate to check).
    pub verdict: verdict::Options,
    /// The items given to the diagnosis engine, and its answer at the moment.
    pub choice: Rc<Choice>,
    /// The diagnosis engine's answer for `choice`.
    pub outcome: Rc<Outcome>,
    /// Large captures read as a stream (`crate::stream`), in the order they were dropped.
    pub streams: Vec<Rc<StreamCard>>,
}

/// What the page asks of the reducer ([`State::apply`]): one per user action.
#[derive(Clone, Debug)]
pub enum Action {
    /// Files read (name, bytes), with the browser's clock at that moment.
    Add {
        /// Each file's name and bytes.
        files: Vec<(String, Vec<u8>)>,
        /// The browser's clock when the files were read.
        now: Timestamp,
    },
    /// Pasted text becomes an input named "pasted text N".
    Paste {
        /// The text pasted.
        text: String,
        /// The browser's clock when the text was pasted.
        now: Timestamp,
    },
    /// Text dropped on the page (not a file) becomes an input named "dropped text N".
    DropText {
        /// The text dropped.
        text: String,
        /// The browser's clock when the text was dropped.
        now: Timestamp,
    },
    /// Remove the input with this id, and its card.
    Remove(u32),
    /// Remove every input.
    Clear,
    /// Judge validity at this moment (re-inspects every input).
    SetMoment(Moment),
    /// Open or close an item's details.
    Toggle(ItemKey),
    /// Select a field by its path in the item's tree (an empty path clears the selection).
    Select(ItemKey, Vec<usize>),
    /// Select the deepest field containing this byte of the item.
    SelectByte(ItemKey, usize),
    /// Show the hex page that starts at this row.
    HexRow(ItemKey, usize),
    /// Show this message on the status line, or clear it.
    Notice(Option<String>),
    /// Check the certificate as a client (mTLS) or as a server certificate.
    SetRole(Role),
    /// The host name a server certificate is checked for.
    SetHost(String),
    /// The certificate the verdict panel checks, by source name and index.
    ChooseLeaf(Option<(String, usize)>),
    /// Show the bytes that prove a diagnosis finding: open the certificate with this SHA-256,
    /// select the field of exactly this span (else the deepest one holding its first byte) and
    /// bring it into view.
    ShowBytes {
        /// The certificate's SHA-256, lowercase hex (as the diagnosis chain lists it).
        certificate: String,
        /// The bytes the finding points at, in that certificate's DER.
        span: Span,
    },
    /// A large capture is about to be read as a stream (`crate::stream`).
    StreamStart {
        /// The stream card's id (the page numbers streams apart from inputs).
        id: u32,
        /// The file's name.
        name: String,
        /// The file's size in bytes.
        size: u64,
    },
    /// Where a streamed capture is decoded (a worker, or the page's thread and why).
    StreamThread {
        /// The stream card's id.
        id: u32,
        /// Where.
        thread: Thread,
    },
    /// What the engine of a streamed capture said: more read, the rows a pick shows, the end.
    StreamReport {
        /// The stream card's id.
        id: u32,
        /// What it said.
        report: stream::Report,
    },
    /// The user pressed Cancel: the engine stops at its next chunk and ends the stream.
    StreamCancel(u32),
    /// Filter a streamed capture's list by a summary row (`None`: all); the engine answers
    /// with a [`stream::Report::Shown`] for request `request`.
    StreamPick {
        /// The stream card's id.
        id: u32,
        /// The request's number (larger than any before).
        request: u32,
        /// The summary row.
        pick: Option<Pick>,
    },
    /// Remove a streamed capture's card.
    StreamRemove(u32),
}

impl State {
    /// An empty page whose moment is the browser's clock `now`.
    pub fn new(now: Timestamp) -> Self {
        Self {
            sources: Vec::new(),
            next_id: 1,
            texts: 0,
            moment: Moment::Now(now),
            report: Rc::new(Report::default()),
            cards: Rc::new(Vec::new()),
            open: BTreeSet::new(),
            selected: BTreeMap::new(),
            hex_row: BTreeMap::new(),
            notice: None,
            reveal: None,
            verdict: verdict::Options::default(),
            choice: Rc::new(Choice::default()),
            outcome: Rc::new(Outcome::NoLeaf),
            streams: Vec::new(),
        }
    }

    /// The next state. Never panics, whatever the bytes.
    pub fn apply(&self, action: Action) -> Self {
        let mut next = self.clone();
        match action {
            Action::Add { files, now } => {
                let ids = next.add_sources(files);
                next.refresh_clock(now);
                next.reinspect();
                next.open_small(&ids);
                next.notice = None;
            }
            Action::Paste { text, now } => next.add_text("pasted text", text, now),
            Action::DropText { text, now } => next.add_text("dropped text", text, now),
            Action::Remove(id) => {
                next.sources.retain(|s| s.id != id);
                if next.sources.is_empty() {
                    next.texts = 0;
                }
                next.forget(|key| key.0 == id);
                next.reinspect();
            }
            Action::Clear => {
                next.streams.clear();
                next.sources.clear();
                next.texts = 0;
                next.forget(|_| true);
                next.reinspect();
                next.notice = None;
            }
            Action::SetMoment(moment) => {
                next.moment = moment;
                next.reinspect();
            }
            Action::Toggle(key) => {
                if !next.open.remove(&key) {
                    next.open.insert(key);
                }
            }
            Action::Select(key, path) => next.select(key, path),
            Action::SelectByte(key, offset) => {
                let path = next
                    .item(key)
                    .map(|item| Node::path_at(&item.tree, offset))
                    .unwrap_or_default();
                next.select(key, path);
            }
            Action::HexRow(key, row) => {
                next.hex_row.insert(key, row);
            }
            Action::Notice(notice) => next.notice = notice,
            Action::SetRole(role) => {
                next.verdict.role = Some(role);
                next.diagnose();
            }
            Action::SetHost(host) => {
                next.verdict.host = host;
                next.diagnose();
            }
            Action::ChooseLeaf(leaf) => {
                next.verdict.leaf = leaf;
                next.verdict.role = None; // each certificate in its own role
                next.diagnose();
            }
            Action::ShowBytes { certificate, span } => next.show_bytes(&certificate, span),
            Action::StreamStart { id, name, size } => {
                let name = next.unique_name(if name.is_empty() { "unnamed" } else { &name });
                next.streams.push(Rc::new(StreamCard::new(id, name, size)));
                next.notice = None;
            }
            Action::StreamThread { id, thread } => {
                if let Some(card) = next.stream_mut(id, true) {
                    card.thread = thread;
                }
            }
            Action::StreamReport { id, report } => {
                if let Some(card) = next.stream_mut(id, false) {
                    card.take(report);
                }
            }
            Action::StreamCancel(id) => {
                if let Some(card) = next.stream_mut(id, true) {
                    card.stopping = true;
                }
            }
            Action::StreamPick { id, request, pick } => {
                if let Some(card) = next.stream_mut(id, false) {
                    card.set_pick(request, pick);
                }
            }
            Action::StreamRemove(id) => next.streams.retain(|s| s.id != id),
        }
        next
    }

    /// The report item with this key.
    pub fn item(&self, key: ItemKey) -> Option<&mtlskit_inspect::Item> {
        let card = self.cards.iter().find(|c| c.id == key.0)?;
        card.items
            .iter()
            .filter_map(|&pos| self.report.items.get(pos))
            .find(|item| item.index == key.1)
    }

    /// The key of the report item at this position.
    pub fn key_of(&self, pos: usize) -> Option<ItemKey> {
        let card = self.cards.iter().find(|c| c.items.contains(&pos))?;
        Some((card.id, self.report.items.get(pos)?.index))
    }

    /// The status line: how many items from how many inputs, and how many TLS connections the
    /// captures read as a stream hold (they are not items of the report).
    pub fn status(&self) -> String {
        let mut parts = Vec::new();
        if !self.cards.is_empty() {
            parts.push(format!(
                "{} from {}",
                plural(self.item_count(), "item", "items"),
                plural(self.cards.len(), "input", "inputs")
            ));
        }
        if !self.streams.is_empty() {
            let connections: usize = self.streams.iter().map(|s| s.summary.connections).sum();
            let reading = self.streams.iter().any(|s| s.progress == Progress::Reading);
            parts.push(format!(
                "{} from {} read as a stream{}",
                plural(connections, "TLS connection", "TLS connections"),
                plural(self.streams.len(), "capture", "captures"),
                if reading { " (reading)" } else { "" }
            ));
        }
        if parts.is_empty() {
            "Drop certificates, keys, CSRs or bundles anywhere on this page.".to_string()
        } else {
            parts.join(" · ")
        }
    }

    /// How many items the report holds, over all inputs.
    pub fn item_count(&self) -> usize {
        self.report.items.len()
    }

    /// The stream card with this id (`reading`: only while it is being read).
    fn stream_mut(&mut self, id: u32, reading: bool) -> Option<&mut StreamCard> {
        self.streams
            .iter_mut()
            .find(|s| s.id == id && (!reading || s.progress == Progress::Reading))
            .map(Rc::make_mut)
    }

    /// Pasted or dropped text becomes an input named "<what> N".
    fn add_text(&mut self, what: &str, text: String, now: Timestamp) {
        if text.trim().is_empty() {
            self.notice = Some("Paste PEM, base64 or hex text first.".to_string());
            return;
        }
        self.texts += 1;
        let name = format!("{what} {}", self.texts);
        let ids = self.add_sources(vec![(name, text.into_bytes())]);
        self.refresh_clock(now);
        self.reinspect();
        self.open_small(&ids);
        self.notice = None;
    }

    fn add_sources(&mut self, files: Vec<(String, Vec<u8>)>) -> Vec<u32> {
        let mut ids = Vec::new();
        for (name, bytes) in files {
            let name = self.unique_name(if name.is_empty() { "unnamed" } else { &name });
            let id = self.next_id;
            self.next_id += 1;
            self.sources.push(Source {
                id,
                name,
                bytes: bytes.into(),
            });
            ids.push(id);
        }
        ids
    }

    fn unique_name(&self, name: &str) -> String {
        let taken = |n: &str| {
            self.sources.iter().any(|s| s.name == n) || self.streams.iter().any(|s| s.name == n)
        };
        if !taken(name) {
            return name.to_string();
        }
        (2..)
            .map(|i| format!("{name} ({i})"))
            .find(|n| !taken(n))
            .unwrap_or_default()
    }

    /// "Now" follows the browser's clock unless the user fixed a moment.
    fn refresh_clock(&mut self, now: Timestamp) {
        if !self.moment.is_fixed() {
            self.moment = Moment::Now(now);
        }
    }

    fn reinspect(&mut self) {
        let inputs: Vec<Input<'_>> = self
            .sources
            .iter()
            .filter(|s| !crate::keylog::is_key_log(s))
            .map(|s| Input {
                source: &s.name,
                bytes: &s.bytes,
            })
            .collect();
        let key_log = crate::keylog::merged(&self.sources);
        let mut options = Options::default();
        options.key_log = key_log.as_ref();
        let report = inspect_with(&inputs, Some(self.moment.timestamp()), options);
        let cards = self
            .sources
            .iter()
            .map(|s| Card {
                id: s.id,
                name: s.name.clone(),
                size: s.bytes.len(),
                items: positions(report.items.iter().map(|i| &i.source), &s.name),
                errors: positions(report.errors.iter().map(|e| &e.source), &s.name),
                key_log: crate::keylog::is_key_log(s).then(|| crate::keylog::describe(s)),
            })
            .collect();
        self.report = Rc::new(report);
        self.cards = Rc::new(cards);
        // What is open or selected must still exist, and a selection must point into its tree.
        let items: BTreeMap<ItemKey, usize> = self
            .cards
            .iter()
            .flat_map(|c| c.items.iter().map(move |&pos| (c.id, pos)))
            .filter_map(|(id, pos)| Some(((id, self.report.items.get(pos)?.index), pos)))
            .collect();
        self.diagnose();
        let report = Rc::clone(&self.report);
        self.open.retain(|k| items.contains_key(k));
        self.hex_row.retain(|k, _| items.contains_key(k));
        self.selected.retain(|k, path| {
            items
                .get(k)
                .and_then(|&pos| report.items.get(pos))
                .is_some_and(|item| Node::at_path(&item.tree, path).is_some())
        });
    }

    /// Re-runs the diagnosis engine on the report with the panel's choices, at the moment.
    fn diagnose(&mut self) {
        let choice = verdict::choose(&self.report, &self.verdict);
        let outcome = verdict::run(
            &self.report,
            &choice,
            &self.verdict,
            self.moment.timestamp(),
        );
        self.choice = Rc::new(choice);
        self.outcome = Rc::new(outcome);
    }

    /// Opens every item of the new inputs that have only a few.
    fn open_small(&mut self, ids: &[u32]) {
        for card in self.cards.iter().filter(|c| ids.contains(&c.id)) {
            if card.items.len() <= OPEN_AT_MOST {
                for &pos in &card.items {
                    if let Some(item) = self.report.items.get(pos) {
                        self.open.insert((card.id, item.index));
                    }
                }
            }
        }
    }

    fn forget(&mut self, gone: impl Fn(&ItemKey) -> bool) {
        self.open.retain(|k| !gone(k));
        self.selected.retain(|k, _| !gone(k));
        self.hex_row.retain(|k, _| !gone(k));
    }

    fn show_bytes(&mut self, certificate: &str, span: Span) {
        let found =
            self.report.items.iter().position(
                |i| matches!(&i.body, ItemBody::Certificate(c) if c.sha256 == certificate),
            );
        let Some(key) = found.and_then(|pos| self.key_of(pos)) else {
            return;
        };
        let Some(item) = self.item(key) else { return };
        let path =
            exact_path(&item.tree, span).unwrap_or_else(|| Node::path_at(&item.tree, span.offset));
        self.open.insert(key);
        self.select(key, path);
        let count = self.reveal.map_or(0, |(_, n)| n).wrapping_add(1);
        self.reveal = Some((key, count));
    }

    fn select(&mut self, key: ItemKey, path: Vec<usize>) {
        let Some(item) = self.item(key) else { return };
        let Some(node) = Node::at_path(&item.tree, &path) else {
            self.selected.remove(&key);
            return;
        };
        let first = self.hex_row.get(&key).copied().unwrap_or(0);
        let row = hexview::row_in_view(node.span, first, item.bytes.len());
        self.hex_row.insert(key, row);
        self.selected.insert(key, path);
    }
}

/// The path of the outermost node whose span is exactly `span`.
fn exact_path(nodes: &[Node], span: Span) -> Option<Vec<usize>> {
    let mut path = Vec::new();
    let mut level = nodes;
    loop {
        let (i, node) = level
            .iter()
            .enumerate()
            .find(|(_, n)| n.span.contains(span.offset))?;
        path.push(i);
        if node.span == span {
            return Some(path);
        }
        level = &node.children;
    }
}

fn positions<'a>(sources: impl Iterator<Item = &'a String>, name: &str) -> Vec<usize> {
    sources
        .enumerate()
        .filter(|(_, s)| s.as_str() == name)
        .map(|(pos, _)| pos)
        .collect()
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
