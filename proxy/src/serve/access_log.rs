//! Logs: the access log (one JSON line per request, target `access`) and the error log (JSON
//! lines: handshake failures with their reason, upstream failures, start and stop), both
//! through tracing, each to its own destination.
//!
//! The access line is written when the response body is finished or dropped, so it carries
//! the bytes actually sent and the whole duration.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tracing::Level;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use super::identity::Identity;
use crate::config::Log;

/// Target of access log events.
pub const ACCESS: &str = "access";

/// A log destination that cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("log destination {path}: {source}")]
pub struct LogError {
    path: String,
    source: std::io::Error,
}

fn writer(dest: &str) -> Result<Option<BoxMakeWriter>, LogError> {
    Ok(Some(match dest {
        "off" => return Ok(None),
        "stdout" => BoxMakeWriter::new(std::io::stdout),
        "stderr" => BoxMakeWriter::new(std::io::stderr),
        path => {
            let mut o = OpenOptions::new();
            o.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o640);
            let f = o.open(path).map_err(|source| LogError {
                path: path.to_string(),
                source,
            })?;
            BoxMakeWriter::new(Mutex::new(f))
        }
    }))
}

/// One flat JSON object per event, no span context.
fn json_lines<S>(w: BoxMakeWriter) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(w)
}

/// Whether access lines are written (`[log] access` is not `off`), so that what only they
/// print (the JA4) is computed only then.
pub fn access_enabled() -> bool {
    tracing::enabled!(target: ACCESS, Level::INFO)
}

/// Installs the global subscriber.
pub fn init(log: &Log) -> Result<(), LogError> {
    let level = match log.level.as_str() {
        "error" => Level::ERROR,
        "warn" => Level::WARN,
        "debug" => Level::DEBUG,
        "trace" => Level::TRACE,
        _ => Level::INFO,
    };
    let access = writer(&log.access)?.map(|w| {
        json_lines(w).with_filter(tracing_subscriber::filter::filter_fn(|m| {
            m.target() == ACCESS
        }))
    });
    let errors = writer(&log.error)?.map(|w| {
        json_lines(w).with_filter(tracing_subscriber::filter::filter_fn(move |m| {
            m.target() != ACCESS && *m.level() <= level && m.target().starts_with("mtlskit")
        }))
    });
    // Only the proxy's events and, when written, the access lines pass this global filter, so
    // the spans libraries make on hot paths (h2 makes several per frame) are off at their
    // callsite, instead of being recorded by the registry and dropped by each log's filter.
    let mut wanted = tracing_subscriber::filter::Targets::new().with_target("mtlskit", level);
    if access.is_some() {
        wanted = wanted.with_target(ACCESS, Level::INFO);
    }
    // A second init (tests calling serve twice in one process) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(wanted)
        .with(access)
        .with(errors)
        .try_init();
    Ok(())
}

/// What the access log says about a connection; made once after the handshake.
#[derive(Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    /// The peer's IP address as a header value (X-Real-IP, X-Forwarded-For), made once.
    pub peer_ip: http::HeaderValue,
    pub sni: Option<String>,
    pub tls_version: &'static str,
    pub suite: &'static str,
    pub resumed: bool,
    pub ja4: Option<String>,
    pub identity: Arc<Identity>,
    /// The connection's place under `max_connections`: held while anything of the connection
    /// lives (requests in flight, an upgraded tunnel), released with the last reference.
    pub _slot: super::listener::Slot,
    /// Requests in flight and since when the connection is idle, for its timers.
    pub activity: Arc<Activity>,
    /// Where the handler asks for the client's stream when a request switches protocols.
    pub upgrade: super::park::UpgradeSlot,
    /// The proxy's generation and phase, for the connection's tunnels.
    pub lifecycle: super::lifecycle::Lifecycle,
    /// The server block it reached (for the metrics' `server` label).
    pub server: Arc<str>,
}

/// What a connection is doing: its timers (`listener::supervise`) read this when they run out.
/// Nothing here wakes anyone: a request costs two atomic counts and a clock read, and the
/// timers, which fire rarely, look at the state when they fire (lazy re-arming, as nginx's).
#[derive(Debug)]
pub struct Activity {
    in_flight: AtomicUsize,
    requests: AtomicU64,
    /// When the connection was accepted; `idle_ns` counts from here.
    created: Instant,
    /// When the last request ended, in nanoseconds after `created`.
    idle_ns: AtomicU64,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            created: Instant::now(),
            idle_ns: AtomicU64::new(0),
        })
    }

    /// A request starts; it ends when the guard is dropped (with its response body).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Since when no request is in flight; `None` while one is.
    pub fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let ns = self.idle_ns.load(Ordering::Relaxed);
        Some(self.created + std::time::Duration::from_nanos(ns))
    }

    /// Requests begun so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// One request in flight on a connection's [`Activity`].
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        let ns = u64::try_from(a.created.elapsed().as_nanos()).unwrap_or(u64::MAX);
        // Several requests of one h2 connection end in any order: the latest end counts.
        a.idle_ns.fetch_max(ns, Ordering::Relaxed);
        // Release: a timer that sees nothing in flight sees the time above.
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One request in flight.
#[derive(Debug)]
pub struct Request {
    pub conn: Arc<ConnInfo>,
    pub method: http::Method,
    pub uri: http::Uri,
    pub status: u16,
    pub start: Instant,
    pub upstream: Option<Arc<str>>,
    /// The location that served it (its path prefix), when one matched.
    pub location: Option<Arc<str>>,
    /// The authorization rule that refused the request, when one did.
    pub authz: Option<String>,
    /// Ends the request on its connection's activity when the log line is written.
    pub _in_flight: InFlight,
    /// The request's place under its upstream's `max_conns`, held until the response ends.
    pub upstream_slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A response body that counts what it sends and logs the request when it ends.
#[derive(Debug)]
pub struct LoggedBody<B> {
    inner: B,
    bytes: u64,
    record: Option<Request>,
}

impl<B> LoggedBody<B> {
    pub fn new(inner: B, record: Request) -> Self {
        LoggedBody {
            inner,
            bytes: 0,
            record: Some(record),
        }
    }

    fn finish(&mut self) {
        if let Some(r) = self.record.take() {
            let c = &r.conn;
            tracing::info!(
                target: ACCESS,
                client = %c.peer,
                sni = c.sni.as_deref(),
                subject = c.identity.subject(),
                verify = c.identity.verify,
                tls_version = c.tls_version,
                suite = c.suite,
                resumed = c.resumed,
                ja4 = c.ja4.as_deref(),
                method = r.method.as_str(),
                path = r.uri.path(),
                status = r.status,
                bytes = self.bytes,
                duration_ms = r.start.elapsed().as_secs_f64() * 1000.0,
                upstream = r.upstream.as_deref(),
                authz = r.authz.as_deref(),
            );
            c.lifecycle.metrics.request(
                super::metrics::RequestLabels {
                    server: c.server.clone(),
                    location: r.location.clone().unwrap_or_else(|| Arc::from("")),
                    status: r.status,
                },
                self.bytes,
            );
        }
    }
}

impl<B> Drop for LoggedBody<B> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<B> Body for LoggedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.bytes += d.len() as u64;
                }
            }
            Poll::Ready(None) => this.finish(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
