//! A large capture read as a stream (`crate::stream`): the file is read in [`SLICE`] pieces of
//! its `Blob`, fed to the decoder, and the page yields to the browser whenever it has worked for
//! [`BUDGET_MS`], so clicks, keys and scrolling are handled while it decodes. The card shows a
//! progress bar with a Cancel button while reading, then the summary first (the same counts as
//! `mtlskit inspect --summary`), whose rows filter the list of connections below it; the list
//! renders only the rows in view (a virtual list of fixed-height rows), so tens of thousands of
//! connections cost the DOM a few dozen elements.
//!
//! Decoding runs on the page's thread between yields, not in a Web Worker: the decoder would
//! have to be a second wasm binary loaded by the worker (docs/architecture.md says what is
//! left).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use js_sys::Uint8Array;
use mtlskit_inspect::capture::summary::{Count, Summary};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, HtmlElement};
use yew::prelude::*;

use super::browser;
use super::shared::{use_dispatch, Dispatch, Shared};
use crate::state::Action;
use crate::stream::{self, Decoder, Pick, Progress, StreamCard, FILTERING};

/// Bytes read from the file at a time.
const SLICE: f64 = (1 << 20) as f64;
/// Bytes given to the decoder at a time (it decodes the connections they finish before the
/// next piece, so the work between two looks at the clock stays small).
const FEED: usize = 64 << 10;
/// Milliseconds of work before yielding to the browser.
const BUDGET_MS: f64 = 12.0;
/// Milliseconds between two progress updates of the card.
const UPDATE_MS: f64 = 150.0;
/// A list row's height in pixels (style.css `.vrow`).
const ROW_PX: f64 = 46.0;
/// The list's height in pixels (style.css `.vlist`).
const VIEW_PX: f64 = 460.0;
/// Rows rendered beyond the viewport on each side.
const OVERSCAN: usize = 4;

thread_local! {
    /// Streams being read; one leaves the set when cancelled, removed or cleared.
    static LIVE: RefCell<BTreeSet<u32>> = const { RefCell::new(BTreeSet::new()) };
    static NEXT: RefCell<u32> = const { RefCell::new(1) };
}

fn live(id: u32) -> bool {
    LIVE.with(|l| l.borrow().contains(&id))
}

/// Stops reading the stream `id`.
pub fn cancel(id: u32) {
    LIVE.with(|l| l.borrow_mut().remove(&id));
}

/// Stops reading every stream (the page is cleared).
pub fn cancel_all() {
    LIVE.with(|l| l.borrow_mut().clear());
}

/// Whether a file is read as a stream: large, and a capture by its first bytes.
pub async fn wants_stream(file: &File) -> bool {
    if file.size() < stream::STREAM_AT_LEAST as f64 {
        return false;
    }
    let Ok(head) = file.slice_with_f64_and_f64(0.0, 4.0) else {
        return false;
    };
    match JsFuture::from(head.array_buffer()).await {
        Ok(buffer) => stream::is_capture(&Uint8Array::new(&buffer).to_vec()),
        Err(_) => false,
    }
}

/// Starts reading `file` as a stream into a new card.
pub fn start(file: File, dispatch: Dispatch) {
    let id = NEXT.with(|n| {
        let mut n = n.borrow_mut();
        let id = *n;
        *n = n.wrapping_add(1);
        id
    });
    LIVE.with(|l| l.borrow_mut().insert(id));
    let size = file.size().max(0.0) as u64;
    dispatch.dispatch(Action::StreamStart {
        id,
        name: file.name(),
        size,
    });
    wasm_bindgen_futures::spawn_local(async move {
        let progress = read(id, &file, size, &dispatch).await;
        if live(id) {
            dispatch.dispatch(Action::StreamEnd { id, progress });
        }
        cancel(id);
    });
}

fn clock() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Lets the browser handle input and paint: resolves on the next timer turn.
async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let queued = web_sys::window()
            .map(|w| w.set_timeout_with_callback(&resolve).is_ok())
            .unwrap_or(false);
        if !queued {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Work done since the last yield, and when the card was last updated.
#[derive(Debug)]
struct Pace {
    since: f64,
    sent: f64,
}

impl Pace {
    /// Yields when the budget is spent; `false` when the stream was cancelled meanwhile.
    async fn breathe(&mut self, id: u32) -> bool {
        if clock() - self.since >= BUDGET_MS {
            yield_now().await;
            self.since = clock();
        }
        live(id)
    }
}

/// Decodes the connections the decoder has finished, yielding as [`Pace`] says; `false` when
/// the stream was cancelled meanwhile.
async fn drain(
    decoder: &mut Decoder,
    rows: &mut Vec<stream::Row>,
    pace: &mut Pace,
    id: u32,
) -> bool {
    while let Some(row) = decoder.next_row() {
        rows.extend(row);
        if !pace.breathe(id).await {
            return false;
        }
    }
    pace.breathe(id).await
}

/// Reads the file to its end (or until cancelled); what the card says when it stops.
async fn read(id: u32, file: &File, size: u64, dispatch: &Dispatch) -> Progress {
    let mut decoder = Decoder::new(browser::now());
    let mut rows = Vec::new();
    let mut pace = Pace {
        since: clock(),
        sent: clock(),
    };
    let update = |decoder: &Decoder, rows: &mut Vec<stream::Row>| {
        dispatch.dispatch(Action::StreamRead {
            id,
            read: decoder.bytes_read(),
            rows: std::mem::take(rows),
            summary: Rc::new(decoder.summary()),
        });
    };
    let mut offset = 0.0;
    while offset < size as f64 {
        let end = (offset + SLICE).min(size as f64);
        let bytes = match file.slice_with_f64_and_f64(offset, end) {
            Ok(blob) => JsFuture::from(blob.array_buffer()).await,
            Err(e) => Err(e),
        };
        let bytes = match bytes {
            Ok(buffer) => Uint8Array::new(&buffer).to_vec(),
            Err(e) => {
                update(&decoder, &mut rows);
                return Progress::Failed(format!("could not be read: {}", browser::text_of(&e)));
            }
        };
        offset = end;
        for piece in bytes.chunks(FEED) {
            let fed = decoder.feed(piece);
            if let Err(e) = fed {
                update(&decoder, &mut rows);
                return Progress::Failed(format!("not a readable capture: {e}"));
            }
            if !drain(&mut decoder, &mut rows, &mut pace, id).await {
                return Progress::Cancelled;
            }
        }
        if clock() - pace.sent >= UPDATE_MS {
            update(&decoder, &mut rows);
            pace.sent = clock();
        }
    }
    let end = decoder.finish();
    let drained = end.is_err() || drain(&mut decoder, &mut rows, &mut pace, id).await;
    if !drained {
        return Progress::Cancelled;
    }
    if let Err(e) = end {
        update(&decoder, &mut rows);
        return Progress::Failed(format!("not a readable capture: {e}"));
    }
    update(&decoder, &mut rows);
    Progress::Done
}

#[derive(Properties, PartialEq)]
pub struct StreamProps {
    pub card: Shared<StreamCard>,
}

/// A streamed capture's card: progress and Cancel while reading, the summary, the list.
#[function_component(StreamView)]
pub fn stream_view(props: &StreamProps) -> Html {
    let dispatch = use_dispatch();
    let card = &props.card;
    let id = card.id;
    let send = {
        let dispatch = dispatch.clone();
        move |action: Action| {
            if let Some(d) = &dispatch {
                d.dispatch(action);
            }
        }
    };
    let onremove = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| {
            cancel(id);
            send(Action::StreamRemove(id));
        })
    };
    let oncancel = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| {
            cancel(id);
            send(Action::StreamCancel(id));
        })
    };
    let state = match &card.progress {
        Progress::Reading => "reading",
        Progress::Done => "done",
        Progress::Cancelled => "cancelled",
        Progress::Failed(_) => "failed",
    };
    let note = match &card.progress {
        Progress::Reading | Progress::Done => None,
        Progress::Cancelled => Some(format!(
            "Cancelled after {} of {}: the summary and the list cover the part read.",
            mb(card.read),
            mb(card.size)
        )),
        Progress::Failed(why) => Some(format!(
            "Stopped after {} of {}: {why}. The summary and the list cover the part read.",
            mb(card.read),
            mb(card.size)
        )),
    };
    html! {
        <article class="card stream" data-source={card.name.clone()} aria-label={card.name.clone()}
            data-progress={state}>
            <header class="card-head">
                <h2 class="source">{ &card.name }</h2>
                <span class="size">{ format!("{} · capture read as a stream", mb(card.size)) }</span>
                <button class="remove" onclick={onremove}
                    aria-label={format!("Remove {}", card.name)} title="Remove">{ "×" }</button>
            </header>
            if card.progress == Progress::Reading {
                <div class="stream-progress">
                    <progress max={card.size.max(1).to_string()} value={card.read.to_string()}
                        aria-label={format!("Reading {}", card.name)} />
                    <span class="progress-text" role="status">
                        { format!("{} of {} read · {} TLS connections so far", mb(card.read),
                            mb(card.size), card.rows.len()) }
                    </span>
                    <button class="cancel" onclick={oncancel}>{ "Cancel" }</button>
                </div>
            }
            if let Some(note) = note {
                <p class="stream-note">{ note }</p>
            }
            <SummaryView id={id} summary={Shared(Rc::clone(&card.summary))}
                pick={card.pick.as_ref().map(|(p, _)| p.clone())} />
            <ListView card={props.card.clone()} />
        </article>
    }
}

fn mb(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

#[derive(Properties, PartialEq)]
struct SummaryProps {
    id: u32,
    summary: Shared<Summary>,
    pick: Option<Pick>,
}

#[function_component(SummaryView)]
fn summary_view(props: &SummaryProps) -> Html {
    let dispatch = use_dispatch();
    let s = &props.summary;
    let o = &s.outcomes;
    let tables: [(&str, &'static str, &Vec<Count>); 8] = [
        ("Diagnosis codes", "codes", &s.codes),
        ("TLS versions", "versions", &s.versions),
        ("Cipher suites", "cipher_suites", &s.cipher_suites),
        (
            "Client certificates",
            "client_certificates",
            &s.client_certificates,
        ),
        ("JA4 fingerprints (top)", "ja4", &s.ja4),
        ("Server names (top)", "server_names", &s.server_names),
        (
            "Client certificate subjects (top)",
            "client_subjects",
            &s.client_subjects,
        ),
        (
            "Client certificate issuers (top)",
            "client_issuers",
            &s.client_issuers,
        ),
    ];
    let row = |table: &'static str, c: &Count| {
        let pick = Pick {
            table,
            value: c.value.clone(),
        };
        let pressed = props.pick.as_ref() == Some(&pick);
        let filters = FILTERING.contains(&table) && pick.filter().is_some();
        let id = props.id;
        let onclick = {
            let dispatch = dispatch.clone();
            let pick = pick.clone();
            Callback::from(move |_: MouseEvent| {
                if let Some(d) = &dispatch {
                    d.dispatch(Action::StreamPick(id, Some(pick.clone())));
                }
            })
        };
        html! {
            <tr data-value={c.value.clone()} data-count={c.connections.to_string()}>
                <td class="value">
                    if filters {
                        <button class="pick" aria-pressed={pressed.to_string()} {onclick}
                            title="Show only these connections">{ &c.value }</button>
                    } else {
                        { &c.value }
                    }
                </td>
                <td class="n">{ c.connections.to_string() }</td>
            </tr>
        }
    };
    html! {
        <section class="stream-summary" aria-label="Summary" data-connections={s.connections.to_string()}>
            <p class="outcomes" data-completed={o.completed.to_string()} data-failed={o.failed.to_string()}
                data-unknown={o.unknown.to_string()} data-no-handshake={o.no_handshake.to_string()}
                data-other={s.other_connections.to_string()}>
                { format!("{} TLS connections: {} completed, {} failed, {} unknown, {} without a handshake · {} other TCP connections",
                    s.connections, o.completed, o.failed, o.unknown, o.no_handshake, s.other_connections) }
            </p>
            if !s.file_findings.is_empty() {
                <ul class="findings" aria-label="About the file">
                    { for s.file_findings.iter().map(|f| html! {
                        <li class={classes!("finding", f.severity.as_str())}>{ &f.message }</li>
                    }) }
                </ul>
            }
            if !s.expiring.is_empty() {
                <p class="expiring">{ format!("{} certificates seen on the wire expire within {} days (first: {}, {} days left)",
                    s.expiring.len(), s.expiring_within_days,
                    s.expiring.first().map_or("", |e| e.subject.as_str()),
                    s.expiring.first().map_or(0, |e| e.days_left)) }</p>
            }
            <div class="count-tables">
                { for tables.iter().filter(|(_, _, rows)| !rows.is_empty())
                    .map(|(title, name, rows)| html! {
                    <table class="counts" data-table={*name}>
                        <caption>{ *title }</caption>
                        <tbody>{ for rows.iter().map(|c| row(name, c)) }</tbody>
                    </table>
                }) }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ListProps {
    card: Shared<StreamCard>,
}

/// The connections, only those in view rendered.
#[function_component(ListView)]
fn list_view(props: &ListProps) -> Html {
    let dispatch = use_dispatch();
    let top = use_state(|| 0.0f64);
    let list = use_node_ref();
    let card = &props.card;
    let shown = &card.shown;
    let onscroll = {
        let top = top.clone();
        let list = list.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = list.cast::<HtmlElement>() {
                top.set(f64::from(el.scroll_top()));
            }
        })
    };
    let range = stream::visible(*top, VIEW_PX, ROW_PX, shown.len(), OVERSCAN);
    let id = card.id;
    let onall = Callback::from(move |_: MouseEvent| {
        if let Some(d) = &dispatch {
            d.dispatch(Action::StreamPick(id, None));
        }
    });
    let head = match &card.pick {
        Some((p, _)) => format!(
            "{} of {} TLS connections with {} {}",
            shown.len(),
            card.rows.len(),
            p.table.replace('_', " "),
            p.value
        ),
        None => format!("{} TLS connections", card.rows.len()),
    };
    html! {
        <section class="stream-list" aria-label="TLS connections">
            <p class="list-head" data-shown={shown.len().to_string()}>
                { head }
                if card.pick.is_some() {
                    { " " }<button class="show-all" onclick={onall}>{ "show all" }</button>
                }
            </p>
            <div class="vlist" ref={list} {onscroll} tabindex="0" role="list"
                aria-label="Connections (scroll to see more)">
                <div class="vlist-space" style={format!("height:{}px", shown.len() as f64 * ROW_PX)}>
                    { for range.filter_map(|i| {
                        let row = card.rows.get(*shown.get(i)? as usize)?;
                        let outcome = stream::outcome_name(row.outcome);
                        Some(html! {
                            <div key={i} class={classes!("vrow", outcome)} role="listitem"
                                data-index={i.to_string()}
                                style={format!("top:{}px", i as f64 * ROW_PX)}>
                                <span class="conn-title">{ &row.header.title }</span>
                                <span class="outcome">{ outcome.replace('_', " ") }</span>
                                if !row.codes.is_empty() {
                                    <code class="codes">{ row.codes.join(" ") }</code>
                                }
                                <span class="conn-summary">{ format!("{} · client certificate: {}",
                                    row.header.summary, row.header.certificate) }</span>
                            </div>
                        })
                    }) }
                </div>
            </div>
        </section>
    }
}
