//! The decoding side of streamed captures in the browser (wasm32 only, not Yew).
//!
//! [`pump`] reads a `File` in [`SLICE`] pieces of its `Blob` into an [`Engine`] and sends a
//! [`Report`] every [`REPORT_MS`]; it runs in a Web Worker, or on the page's thread when no
//! worker can start (then it yields to the browser whenever it has worked for a budget, with a
//! `MessageChannel` message, which is not clamped as nested `setTimeout`s are).
//!
//! [`run`] is the worker's entry. The worker is web/worker.js (copied into dist/ as is): the page
//! starts it as a module worker of its own origin, and sends it the URL of the page's
//! wasm-bindgen script and the compiled `WebAssembly.Module`; worker.js instantiates that same
//! module, whose `main` finds no `window` and calls [`run`]. One binary for both: the worker
//! costs the page's download nothing but worker.js.
//!
//! Page and worker talk in JSON ([`Command`] and [`Report`]); [`Command::Start`] comes with the
//! `File` (the browser copies a handle to it, not its bytes).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use mtlskit_inspect::Timestamp;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

use crate::stream::{Command, Engine, Progress, Report};

/// Bytes read from the file at a time.
const SLICE: f64 = (1 << 20) as f64;
/// Bytes given to the engine at a time.
const FEED: usize = 64 << 10;
/// Milliseconds between two reports (progress, summary and new rows).
const REPORT_MS: f64 = 150.0;

/// One file being read: its engine, and whether Cancel was pressed (or the card removed).
#[derive(Debug)]
pub struct Job {
    /// Decodes; keeps the slim connections for the list's filter.
    pub engine: RefCell<Engine>,
    /// Set to stop reading at the next chunk.
    pub stop: Cell<bool>,
}

impl Job {
    /// A job judging certificates' validity at `now`.
    pub fn new(now: Timestamp) -> Rc<Job> {
        Rc::new(Job {
            engine: RefCell::new(Engine::new(now)),
            stop: Cell::new(false),
        })
    }
}

/// Reads `file` into the job's engine to its end (or until stopped), sending a report every
/// [`REPORT_MS`], a last one and the end. With a finite `budget_ms` (the page's thread), yields
/// to the browser whenever it has worked that long; in a worker (infinite) it works on, and
/// commands are handled while it waits for the next slice of the file.
pub async fn pump(job: &Job, file: &File, budget_ms: f64, send: &dyn Fn(Report)) {
    let progress = read(job, file, budget_ms, send).await;
    send(job.engine.borrow_mut().report());
    send(Report::End(progress));
}

async fn read(job: &Job, file: &File, budget_ms: f64, send: &dyn Fn(Report)) -> Progress {
    let size = file.size();
    let mut pace = Pace {
        budget_ms,
        since: clock(),
    };
    let mut sent = clock();
    let mut offset = 0.0;
    while offset < size {
        if job.stop.get() {
            return Progress::Cancelled;
        }
        let end = (offset + SLICE).min(size);
        let bytes = match file.slice_with_f64_and_f64(offset, end) {
            Ok(blob) => JsFuture::from(blob.array_buffer()).await,
            Err(e) => Err(e),
        };
        let bytes = match bytes {
            Ok(buffer) => Uint8Array::new(&buffer).to_vec(),
            Err(e) => return Progress::Failed(format!("could not be read: {}", text_of(&e))),
        };
        offset = end;
        for piece in bytes.chunks(FEED) {
            let fed = job.engine.borrow_mut().feed(piece);
            if let Err(e) = fed {
                return Progress::Failed(format!("not a readable capture: {e}"));
            }
            if !drain(job, &mut pace).await {
                return Progress::Cancelled;
            }
        }
        if clock() - sent >= REPORT_MS {
            send(job.engine.borrow_mut().report());
            sent = clock();
        }
    }
    if job.stop.get() {
        return Progress::Cancelled;
    }
    let finished = job.engine.borrow_mut().finish();
    if let Err(e) = finished {
        return Progress::Failed(format!("not a readable capture: {e}"));
    }
    if !drain(job, &mut pace).await {
        return Progress::Cancelled;
    }
    Progress::Done
}

/// Work done since the last yield, and how much is allowed.
#[derive(Debug)]
struct Pace {
    budget_ms: f64,
    since: f64,
}

/// Decodes the connections the engine has finished, yielding as `pace` says; `false` when the
/// job was stopped meanwhile.
async fn drain(job: &Job, pace: &mut Pace) -> bool {
    loop {
        let more = job.engine.borrow_mut().step();
        if pace.budget_ms.is_finite() && clock() - pace.since >= pace.budget_ms {
            yield_now().await;
            pace.since = clock();
            if job.stop.get() {
                return false;
            }
        }
        if !more {
            return true;
        }
    }
}

fn clock() -> f64 {
    js_sys::Date::now()
}

/// Lets the browser handle input and paint: resolves on the next task, through a
/// `MessageChannel` (a timer nested this deep would be clamped to 4 ms).
pub async fn yield_now() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        return;
    };
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        channel.port1().set_onmessage(Some(&resolve));
        if channel.port2().post_message(&JsValue::NULL).is_err() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
    channel.port1().set_onmessage(None);
}

/// The message of a JavaScript error, or the value as text.
pub fn text_of(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// The worker's entry (`main` calls it where there is no `window`): handles the page's
/// commands, and says it is ready.
pub fn run() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post: Rc<dyn Fn(Report)> = {
        let scope = scope.clone();
        Rc::new(move |report: Report| {
            if let Ok(text) = serde_json::to_string(&report) {
                let _ = scope.post_message(&JsValue::from_str(&text));
            }
        })
    };
    let job: RefCell<Option<Rc<Job>>> = RefCell::new(None);
    let handler = {
        let post = Rc::clone(&post);
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Ok(data) = e.data().dyn_into::<Array>() else {
                return;
            };
            let Some(text) = data.get(0).as_string() else {
                return;
            };
            let Ok(command) = serde_json::from_str::<Command>(&text) else {
                return;
            };
            match command {
                Command::Start { now } => {
                    let Ok(file) = data.get(1).dyn_into::<File>() else {
                        post(Report::End(Progress::Failed(
                            "the worker was given no file".to_string(),
                        )));
                        return;
                    };
                    let started = Job::new(Timestamp(now));
                    *job.borrow_mut() = Some(Rc::clone(&started));
                    let post = Rc::clone(&post);
                    wasm_bindgen_futures::spawn_local(async move {
                        pump(&started, &file, f64::INFINITY, &*post).await;
                    });
                }
                Command::Cancel => {
                    if let Some(j) = job.borrow().as_ref() {
                        j.stop.set(true);
                    }
                }
                Command::Pick { pick, row } => {
                    if let Some(j) = job.borrow().as_ref() {
                        let shown = j.engine.borrow_mut().pick(pick, row);
                        post(shown);
                    }
                }
            }
        })
    };
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker: the page terminates it when done with it.
    handler.forget();
    post(Report::Ready);
}
