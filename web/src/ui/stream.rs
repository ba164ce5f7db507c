//! A large capture read as a stream (`crate::stream`): decoded in a Web Worker (`crate::worker`,
//! the page's own binary), which reads the file's `Blob` slices itself and reports progress, the
//! summary and new rows; the page only renders. When no worker can start, the same engine runs
//! on the page's thread, yielding to the browser between pieces of work, and the card says so.
//!
//! The card shows a progress bar with a Cancel button while reading, then the summary first (the
//! same counts as `mtlskit inspect --summary`), whose rows filter the list of connections below
//! it (the engine answers which rows match); the list renders only the rows in view (a virtual
//! list of fixed-height rows), so tens of thousands of connections cost the DOM a few dozen
//! elements.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, HtmlElement, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::prelude::*;

use super::browser;
use super::shared::{use_dispatch, Dispatch, Shared};
use crate::state::Action;
use crate::stream::{
    self, Command, Overview, Pick, Progress, Report, StreamCard, Tally, Thread, FILTERING,
};
use crate::worker::{self, Job};

/// Milliseconds of work on the page's thread before yielding to the browser (without a worker).
const BUDGET_MS: f64 = 12.0;
/// A list row's height in pixels (style.css `.vrow`).
const ROW_PX: f64 = 46.0;
/// The list's height in pixels (style.css `.vlist`).
const VIEW_PX: f64 = 460.0;
/// Rows rendered beyond the viewport on each side.
const OVERSCAN: usize = 4;
/// The worker's script, beside index.html (index.html copies web/worker.js there).
const WORKER_JS: &str = "worker.js";

/// Where a stream is decoded, and how to reach it.
enum Channel {
    /// A Web Worker; `file` waits for it to say it is ready.
    Worker {
        worker: Worker,
        file: Option<File>,
        _onmessage: Closure<dyn FnMut(MessageEvent)>,
        _onerror: Closure<dyn FnMut(Event)>,
    },
    /// The page's thread.
    Page(Rc<Job>),
}

impl Channel {
    /// Stops it for good.
    fn stop(self) {
        match &self {
            Channel::Worker { worker, .. } => worker.terminate(),
            Channel::Page(job) => job.stop.set(true),
        }
        // Dropped after the event being handled, whose handler it may hold.
        wasm_bindgen_futures::spawn_local(async move { drop(self) });
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Channel::Worker { .. } => "Channel::Worker",
            Channel::Page(_) => "Channel::Page",
        })
    }
}

thread_local! {
    /// Streams being read or filtered; one leaves when its card is removed or the page cleared.
    static CHANNELS: RefCell<BTreeMap<u32, Channel>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT: Cell<u32> = const { Cell::new(1) };
    static PICKS: Cell<u32> = const { Cell::new(1) };
}

/// Sends a command to the worker of stream `id` (`file` with [`Command::Start`]).
fn post(worker: &Worker, command: &Command, file: Option<&File>) {
    let Ok(text) = serde_json::to_string(command) else {
        return;
    };
    let message = Array::of1(&JsValue::from_str(&text));
    if let Some(file) = file {
        message.push(file);
    }
    let _ = worker.post_message(&message);
}

/// Stops reading the stream `id`: the engine says when it has (a last report, then the end).
pub fn cancel(id: u32) {
    let stopped = CHANNELS.with(|c| match c.borrow().get(&id) {
        Some(Channel::Worker {
            worker, file: None, ..
        }) => {
            post(worker, &Command::Cancel, None);
            false
        }
        Some(Channel::Page(job)) => {
            job.stop.set(true);
            false
        }
        // The worker has not started reading: nothing to wait for.
        Some(Channel::Worker { .. }) => true,
        None => false,
    });
    if stopped {
        remove(id);
    }
}

/// Forgets the stream `id` (its card is removed).
pub fn remove(id: u32) {
    if let Some(channel) = CHANNELS.with(|c| c.borrow_mut().remove(&id)) {
        channel.stop();
    }
}

/// Forgets every stream (the page is cleared).
pub fn cancel_all() {
    let all = CHANNELS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    for channel in all.into_values() {
        channel.stop();
    }
}

/// Filters the list of stream `id` by a summary row (`None`: all rows).
fn pick(id: u32, row: Option<Pick>, dispatch: &Dispatch) {
    let request = PICKS.with(|p| {
        let n = p.get();
        p.set(n.wrapping_add(1));
        n
    });
    dispatch.dispatch(Action::StreamPick {
        id,
        request,
        pick: row.clone(),
    });
    let command = Command::Pick { pick: request, row };
    let answer = CHANNELS.with(|c| match c.borrow().get(&id) {
        Some(Channel::Worker { worker, .. }) => {
            post(worker, &command, None);
            None
        }
        Some(Channel::Page(job)) => match command {
            Command::Pick { pick, row } => Some(job.engine.borrow_mut().pick(pick, row)),
            _ => None,
        },
        None => None,
    });
    if let Some(report) = answer {
        received(id, report, dispatch);
    }
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

/// Starts reading `file` as a stream into a new card: in a worker, or on the page's thread when
/// none can start.
pub fn start(file: File, dispatch: Dispatch) {
    let id = NEXT.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    let size = file.size().max(0.0) as u64;
    dispatch.dispatch(Action::StreamStart {
        id,
        name: file.name(),
        size,
    });
    match spawn(id, file.clone(), &dispatch) {
        Ok(channel) => {
            CHANNELS.with(|c| c.borrow_mut().insert(id, channel));
        }
        Err(why) => on_page(
            id,
            file,
            format!("the background worker could not start ({why})"),
            dispatch,
        ),
    }
}

/// The URL of the page's wasm-bindgen script (trunk preloads it with a `modulepreload` link).
fn script_url() -> Option<String> {
    let link = web_sys::window()?
        .document()?
        .query_selector("link[rel=modulepreload]")
        .ok()??;
    js_sys::Reflect::get(&link, &JsValue::from_str("href"))
        .ok()?
        .as_string()
        .filter(|s| !s.is_empty())
}

/// Starts the worker of stream `id`, given the page's script and compiled module.
fn spawn(id: u32, file: File, dispatch: &Dispatch) -> Result<Channel, String> {
    let script = script_url().ok_or("the page's script was not found")?;
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    options.set_name("mtlskit-decoder");
    let worker = Worker::new_with_options(WORKER_JS, &options).map_err(|e| worker::text_of(&e))?;
    let onmessage = {
        let dispatch = dispatch.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let report = e
                .data()
                .as_string()
                .and_then(|t| serde_json::from_str(&t).ok());
            if let Some(report) = report {
                received(id, report, &dispatch);
            }
        })
    };
    let onerror = {
        let dispatch = dispatch.clone();
        // An ErrorEvent when the worker's code threw; a plain Event when its script failed to load.
        Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            e.prevent_default();
            let why = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its script could not be loaded".to_string());
            received(id, Report::Unavailable(why), &dispatch);
        })
    };
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    let message = Array::of2(&JsValue::from_str(&script), &wasm_bindgen::module());
    if let Err(e) = worker.post_message(&message) {
        worker.terminate();
        return Err(worker::text_of(&e));
    }
    Ok(Channel::Worker {
        worker,
        file: Some(file),
        _onmessage: onmessage,
        _onerror: onerror,
    })
}

/// Decodes stream `id` on the page's thread, the worker could not start (`why`).
fn on_page(id: u32, file: File, why: String, dispatch: Dispatch) {
    let job = Job::new(browser::now());
    CHANNELS.with(|c| c.borrow_mut().insert(id, Channel::Page(Rc::clone(&job))));
    dispatch.dispatch(Action::StreamThread {
        id,
        thread: Thread::Page(why),
    });
    wasm_bindgen_futures::spawn_local(async move {
        let send = |report: Report| received(id, report, &dispatch);
        worker::pump(&job, &file, BUDGET_MS, &send).await;
    });
}

/// What the engine of stream `id` said.
fn received(id: u32, report: Report, dispatch: &Dispatch) {
    match report {
        Report::Ready => {
            let started = CHANNELS.with(|c| match c.borrow_mut().get_mut(&id) {
                Some(Channel::Worker { worker, file, .. }) => file.take().map(|file| {
                    let now = browser::now().0;
                    post(worker, &Command::Start { now }, Some(&file));
                }),
                _ => None,
            });
            if started.is_some() {
                dispatch.dispatch(Action::StreamThread {
                    id,
                    thread: Thread::Worker,
                });
            }
        }
        Report::Unavailable(why) => {
            let channel = CHANNELS.with(|c| c.borrow_mut().remove(&id));
            let Some(channel) = channel else {
                return;
            };
            let waiting = match &channel {
                Channel::Worker { file, .. } => file.clone(),
                Channel::Page(_) => None,
            };
            channel.stop();
            match waiting {
                Some(file) => on_page(
                    id,
                    file,
                    format!("the background worker could not start ({why})"),
                    dispatch.clone(),
                ),
                None => dispatch.dispatch(Action::StreamReport {
                    id,
                    report: Report::End(Progress::Failed(format!(
                        "the background worker stopped ({why})"
                    ))),
                }),
            }
        }
        report => dispatch.dispatch(Action::StreamReport { id, report }),
    }
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
            remove(id);
            send(Action::StreamRemove(id));
        })
    };
    let oncancel = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| {
            send(Action::StreamCancel(id));
            cancel(id);
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
    let (thread, where_) = match &card.thread {
        Thread::Starting => ("starting", "Starting the background worker…".to_string()),
        Thread::Worker => (
            "worker",
            "Decoded in a background worker: the page stays free.".to_string(),
        ),
        Thread::Page(why) => (
            "page",
            format!("Decoded on this page's thread, between its other work: {why}."),
        ),
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
                    <button class="cancel" onclick={oncancel} disabled={card.stopping}>
                        { if card.stopping { "Cancelling…" } else { "Cancel" } }</button>
                </div>
            }
            <p class="stream-thread" data-thread={thread}>{ where_ }</p>
            if let Some(note) = note {
                <p class="stream-note">{ note }</p>
            }
            <SummaryView id={id} summary={Shared(Rc::clone(&card.summary))}
                pick={card.pick.clone()} />
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
    summary: Shared<Overview>,
    pick: Option<Pick>,
}

#[function_component(SummaryView)]
fn summary_view(props: &SummaryProps) -> Html {
    let dispatch = use_dispatch();
    let s = &props.summary;
    let o = &s.outcomes;
    let tables: [(&str, &'static str, &Vec<Tally>); 8] = [
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
    let row = |table: &'static str, c: &Tally| {
        let pick = Pick {
            table: table.to_string(),
            value: c.value.clone(),
        };
        let pressed = props.pick.as_ref() == Some(&pick);
        let filters = FILTERING.contains(&table) && pick.filter().is_some();
        let id = props.id;
        let onclick = {
            let dispatch = dispatch.clone();
            let next = stream::toggle(props.pick.as_ref(), pick.clone());
            Callback::from(move |_: MouseEvent| {
                if let Some(d) = &dispatch {
                    self::pick(id, next.clone(), d);
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
                        <li class={classes!("finding", f.severity.clone())}>{ &f.message }</li>
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
            pick(id, None, d);
        }
    });
    let head = match &card.pick {
        Some(p) => format!(
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
                        let outcome = row.outcome.clone();
                        Some(html! {
                            <div key={i} class={classes!("vrow", outcome.clone())} role="listitem"
                                data-index={i.to_string()}
                                style={format!("top:{}px", i as f64 * ROW_PX)}>
                                <span class="conn-title">{ &row.title }</span>
                                <span class="outcome">{ outcome.replace('_', " ") }</span>
                                if !row.codes.is_empty() {
                                    <code class="codes">{ row.codes.join(" ") }</code>
                                }
                                <span class="conn-summary">{ format!("{} · client certificate: {}",
                                    row.summary, row.certificate) }</span>
                            </div>
                        })
                    }) }
                </div>
            </div>
        </section>
    }
}
