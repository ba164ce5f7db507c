//! Accepting connections: bind every listen address (IPv6 sockets v6-only, so `0.0.0.0:p` and
//! `[::]:p` coexist as in nginx), cap concurrent connections, bound the handshake in time,
//! keep the ClientHello for JA4 ([`hello`]), log an explained reason when it fails, then hand
//! the TLS stream to hyper (HTTP/1.1 or h2 by ALPN) with a header read timeout and a header
//! size limit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::access_log::{Activity, ConnInfo};
use super::explain::{self, Explained};
use super::hello::{self, Hello, Recorder};
use super::lifecycle::{Control, Generation, Lifecycle, Phase, Site};
use super::park::{CloseOnDrop, Parked, Rewind, UpgradeSlot, Woken, PARK_AFTER};
use super::send_timeout::{SendTimeout, Side};
use super::verifier::{Rejection, REJECTION};
use crate::certinfo::clip_to;

/// Rejected chains explained at once, on tokio's blocking pool.
pub const EXPLAINERS: usize = 2;
/// Rejections that may wait (at most [`EXPLAIN_WAIT`]) for an explainer; one that finds them
/// all taken, or waits in vain, is logged with rustls's reason alone.
pub const EXPLAIN_QUEUE: usize = 16;
/// See [`EXPLAIN_QUEUE`].
pub const EXPLAIN_WAIT: Duration = Duration::from_secs(2);

/// What lives as long as the process (not a generation): the published generation and phase,
/// the connection limit and the per-address and per-code counters.
#[derive(Debug)]
pub struct Shared {
    /// The current generation and phase ([`super::lifecycle`]).
    pub control: tokio::sync::watch::Sender<Control>,
    /// `max_connections` slots.
    pub limit: Arc<Semaphore>,
    /// How many slots `limit` has in all (`max_connections` of the current generation).
    pub limit_total: AtomicUsize,
    /// Handshakes in progress per client address.
    pub handshakes: Mutex<HashMap<std::net::IpAddr, usize>>,
    /// Handshake failures so far, per reason code, and their log budget.
    pub failures: Mutex<HashMap<&'static str, Failures>>,
    /// [`EXPLAINERS`] permits.
    pub explainers: Arc<Semaphore>,
    /// [`EXPLAIN_QUEUE`] permits.
    pub explain_queue: Arc<Semaphore>,
    /// Upgraded connections open.
    pub tunnels: Arc<AtomicUsize>,
    /// Connections open (accepted, not yet ended).
    pub open: Arc<AtomicUsize>,
    /// The process's metrics.
    pub metrics: Arc<super::metrics::Metrics>,
}

/// A connection's place under `max_connections`, counted in [`Shared::open`] while it lives.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    open: Arc<AtomicUsize>,
}

impl Slot {
    fn new(permit: OwnedSemaphorePermit, open: &Arc<AtomicUsize>) -> Slot {
        open.fetch_add(1, Ordering::Relaxed);
        Slot {
            _permit: permit,
            open: open.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Shared {
    /// The process's shared state, serving `generation`.
    pub fn new(generation: Arc<Generation>, metrics: Arc<super::metrics::Metrics>) -> Shared {
        let max = generation.config.server.max_connections;
        let (control, _) = tokio::sync::watch::channel(Control {
            generation,
            phase: Phase::Serving,
        });
        Shared {
            control,
            limit: Arc::new(Semaphore::new(max)),
            limit_total: AtomicUsize::new(max),
            handshakes: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            explainers: Arc::new(Semaphore::new(EXPLAINERS)),
            explain_queue: Arc::new(Semaphore::new(EXPLAIN_QUEUE)),
            tunnels: Arc::new(AtomicUsize::new(0)),
            open: Arc::new(AtomicUsize::new(0)),
            metrics,
        }
    }

    /// The generation new connections get.
    pub fn current(&self) -> Arc<Generation> {
        self.control.borrow().generation.clone()
    }

    /// Connections open now (handshakes and upgraded tunnels included).
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Upgraded connections open now.
    pub fn open_tunnels(&self) -> usize {
        self.tunnels.load(Ordering::Relaxed)
    }

    /// Sets `max_connections`: more slots at once, fewer as connections end.
    pub fn resize(&self, max: usize) {
        let before = self.limit_total.swap(max, Ordering::Relaxed);
        if max > before {
            self.limit.add_permits(max - before);
        } else if max < before {
            let limit = self.limit.clone();
            let n = u32::try_from(before - max).unwrap_or(u32::MAX);
            tokio::spawn(async move {
                if let Ok(p) = limit.acquire_many_owned(n).await {
                    p.forget();
                }
            });
        }
    }
}

/// The hyper server settings, built once: HTTP/1.1 with a header read timeout (which also
/// closes a connection that sends no request, or no next request, in time) and a head size
/// limit; h2 with a header list limit.
#[derive(Clone, Debug)]
pub struct Http {
    pub http1: http1::Builder,
    pub http2: http2::Builder<TokioExecutor>,
}

/// The timers of an established connection, for both protocols ([`supervise`]).
#[derive(Clone, Copy, Debug)]
pub struct Timers {
    /// Until the first request (for h2: the preface, SETTINGS and the first HEADERS).
    pub header_timeout: Duration,
    /// With no request in flight, after the first.
    pub idle_timeout: Duration,
    /// From the end of the handshake; never past the client certificate's notAfter.
    pub max_connection_age: Duration,
}

/// h2 PINGs the client this often and closes the connection when one is not answered within
/// [`PING_TIMEOUT`]: a vanished client does not keep its slot until its streams time out.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);
/// See [`PING_INTERVAL`].
pub const PING_TIMEOUT: Duration = Duration::from_secs(20);
/// After a graceful close (GOAWAY, or `Connection: close` on the next response), how long a
/// connection with nothing in flight may stay before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

impl Http {
    pub fn new(header_timeout: Duration, max_header_size: usize, max_streams: u32) -> Http {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_buf_size(max_header_size)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(max_header_size).unwrap_or(u32::MAX))
            .max_concurrent_streams(max_streams)
            .keep_alive_interval(Some(PING_INTERVAL))
            .keep_alive_timeout(PING_TIMEOUT);
        Http { http1, http2 }
    }
}

/// Binds one address.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

/// Accepts on one listener until the task is aborted (a reload that drops the address, or
/// the drain); each connection gets the generation current when it is accepted.
pub async fn accept_loop(listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>) {
    loop {
        let Ok(permit) = shared.limit.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((tcp, peer)) => {
                let generation = shared.current();
                // The address's first site decides what happens before SNI is read.
                let Some(default) = generation.site_for(&addr, None) else {
                    continue;
                };
                // Counted here, in accept order, so the connection over the limit is the one
                // refused (and it costs no task).
                let max = default.max_handshakes_per_address;
                let Some(handshaking) = Handshaking::begin(shared.clone(), peer.ip(), max) else {
                    refuse_busy_address(&shared, peer, max);
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let slot = Slot::new(permit, &shared.open);
                tokio::spawn(connection(
                    tcp,
                    Accepted {
                        peer,
                        addr,
                        generation,
                        default,
                    },
                    shared.clone(),
                    slot,
                    handshaking,
                ));
            }
            Err(e) => {
                // Out of descriptors and the like: say so, give the system a moment.
                tracing::error!(target: "mtlskit::listener", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One handshake in progress from an address, counted in `Shared::handshakes` until dropped.
struct Handshaking {
    shared: Arc<Shared>,
    ip: std::net::IpAddr,
}

impl Handshaking {
    /// Counts a handshake from `ip`, or `None` when that address is at its limit.
    fn begin(shared: Arc<Shared>, ip: std::net::IpAddr, max: usize) -> Option<Self> {
        {
            let mut map = shared.handshakes.lock().ok()?;
            let n = map.entry(ip).or_insert(0);
            if *n >= max {
                return None;
            }
            *n += 1;
        }
        Some(Handshaking { shared, ip })
    }
}

impl Drop for Handshaking {
    fn drop(&mut self) {
        if let Ok(mut map) = self.shared.handshakes.lock() {
            if let Some(n) = map.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&self.ip);
                }
            }
        }
    }
}

/// Handshake failure lines logged per code in one second; more are counted, and said in one
/// line when the next second's first failure of that code is logged.
pub const FAILURE_LINES_PER_SECOND: u32 = 20;

/// One failure code's count and log budget.
#[derive(Debug)]
pub struct Failures {
    count: u64,
    window: std::time::Instant,
    logged: u32,
    suppressed: u64,
}

impl Default for Failures {
    fn default() -> Self {
        Failures {
            count: 0,
            window: std::time::Instant::now(),
            logged: 0,
            suppressed: 0,
        }
    }
}

impl Failures {
    /// Counts one failure: its number, whether to log it, and the failures not logged in the
    /// window that has just ended (to say before it).
    fn count(&mut self) -> (u64, bool, u64) {
        self.count += 1;
        let mut said = 0;
        if self.window.elapsed() >= Duration::from_secs(1) {
            said = std::mem::take(&mut self.suppressed);
            self.window = std::time::Instant::now();
            self.logged = 0;
        }
        if self.logged < FAILURE_LINES_PER_SECOND {
            self.logged += 1;
            (self.count, true, said)
        } else {
            self.suppressed += 1;
            (self.count, false, said)
        }
    }
}

fn log_failure(shared: &Shared, peer: SocketAddr, e: &Explained, hello: Option<&Hello>) {
    shared.metrics.handshake_failed(e.code);
    let (count, log, suppressed) = match shared.failures.lock() {
        Ok(mut m) => m.entry(e.code).or_default().count(),
        Err(_) => (0, true, 0),
    };
    if suppressed > 0 {
        tracing::warn!(
            target: "mtlskit::handshake",
            code = e.code,
            suppressed,
            "{suppressed} more handshake failures with code {} were not logged (over {FAILURE_LINES_PER_SECOND} a second)",
            e.code
        );
    }
    if !log {
        return;
    }
    // Reasons and findings quote DNs and names the client chose: cut to a bounded length.
    let reason = clip_to(&e.reason, 1024);
    let ja4 = hello.and_then(|h| h.ja4.as_deref());
    let offered = hello.map(|h| h.versions.join(","));
    let diagnosis = (!e.diagnosis.is_empty()).then(|| clip_to(&e.diagnosis.join("; "), 2048));
    if e.code == "client_closed" {
        // Port probes and health checks: nginx logs these at info, below its default level.
        tracing::debug!(target: "mtlskit::handshake", client = %peer, code = e.code, reason = %reason, ja4, offered_versions = offered);
        return;
    }
    tracing::warn!(
        target: "mtlskit::handshake",
        client = %peer,
        code = e.code,
        count,
        reason = %reason,
        diagnosis,
        ja4,
        offered_versions = offered,
        "handshake failed from {peer}: {reason}"
    );
}

fn version_name(v: Option<rustls::ProtocolVersion>) -> &'static str {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    }
}

/// What [`supervise`] watches: the connection's activity, its timers, the end of its age, and
/// the proxy's generation and phase.
#[derive(Debug)]
struct Watch<'a> {
    activity: &'a Activity,
    timers: &'a Timers,
    until: tokio::time::Instant,
    peer: SocketAddr,
    /// The connection's generation.
    generation: u64,
    control: tokio::sync::watch::Receiver<Control>,
}

/// How [`supervise`] let go of a connection.
#[derive(Debug)]
enum Supervised<T> {
    /// The connection's future ended by itself (or after a graceful close), with this.
    Ended(T),
    /// Dropped: the proxy closes everything, or a graceful close ran out of time.
    Dropped,
    /// Idle (nothing in flight) for [`PARK_AFTER`]: to be parked ([`super::park`]).
    Park,
}

/// When [`supervise`] hands an HTTP/1.1 connection back to be parked: once it has begun a
/// request after the first `served` of the connection (so bytes of a request that has not
/// begun are never parked again and again: hyper's header timer runs on them), and has then
/// had nothing in flight for [`PARK_AFTER`].
#[derive(Clone, Copy, Debug)]
struct Park {
    served: u64,
}

/// Runs an established connection under its timers: the first request within
/// `header_timeout` (h2's preface included), no request for `idle_timeout` after that, and the
/// connection's age (`until`). When one runs out the connection is closed gracefully (h2:
/// GOAWAY; HTTP/1.1: closed when idle, or after the response in flight); a connection still
/// open [`CLOSE_GRACE`] after that with nothing in flight is dropped. A request in flight is
/// never cut here: its own timeouts (upstream, `client_send_timeout`) bound it, and the
/// drain's `drain_timeout`. A newer generation (a reload) or the drain closes it gracefully
/// too; [`Phase::Closing`] drops it. With `park`, a connection that has served a request and
/// has had none in flight for [`PARK_AFTER`] is handed back to be parked ([`super::park`]).
async fn supervise<F>(
    mut conn: Pin<&mut F>,
    graceful: impl Fn(Pin<&mut F>),
    watch: &mut Watch<'_>,
    park: Option<Park>,
) -> Supervised<F::Output>
where
    F: std::future::Future,
{
    use tokio::time::Instant;
    let (activity, timers, until, peer) = (watch.activity, watch.timers, watch.until, watch.peer);
    let mut closing: Option<Instant> = None;
    // One timer, re-armed only when its deadline moves. Requests do not wake this loop: when
    // the timer fires it looks at what the connection did meanwhile (lazy re-arming), so a
    // deadline is never missed and a busy connection costs no timer work per request.
    let timer = tokio::time::sleep_until(until);
    tokio::pin!(timer);
    loop {
        let now = Instant::now();
        let (phase, outdated) = {
            let c = watch.control.borrow_and_update();
            (c.phase, c.generation.id != watch.generation)
        };
        if phase == Phase::Closing {
            return Supervised::Dropped;
        }
        if closing.is_none() && (phase == Phase::Draining || outdated) {
            let why = if phase == Phase::Draining {
                "draining"
            } else {
                "reloaded"
            };
            tracing::debug!(target: "mtlskit::connection", client = %peer, "closing: {why}");
            graceful(conn.as_mut());
            closing = Some(now);
        }
        let idle = activity.idle_since().map(Instant::from_std);
        let idle_limit = if activity.requests() == 0 {
            timers.header_timeout
        } else {
            timers.idle_timeout
        };
        // The soonest moment anything can be due. While a request is in flight (or before the
        // first one, which may come and go before header_timeout), look again after one idle
        // period: the earliest an idle deadline could then fall.
        let wake = match (closing, idle) {
            (Some(since), Some(t)) => since.max(t) + CLOSE_GRACE,
            (Some(_), None) => now + CLOSE_GRACE,
            (None, idle) => {
                let due = idle.map_or(now + timers.idle_timeout, |t| t + idle_limit);
                let wake = until
                    .min(due)
                    .min(now + timers.idle_timeout.max(Duration::from_millis(1)));
                // Requests do not wake this loop: until one has begun and ended, look again
                // every PARK_AFTER.
                match (park, idle) {
                    (Some(p), Some(t)) if activity.requests() > p.served => {
                        wake.min(t + PARK_AFTER)
                    }
                    (Some(_), _) => wake.min(now + PARK_AFTER),
                    (None, _) => wake,
                }
            }
        };
        if timer.deadline() != wake {
            timer.as_mut().reset(wake);
        }
        tokio::select! {
            ended = conn.as_mut() => return Supervised::Ended(ended),
            () = &mut timer => {}
            changed = watch.control.changed() => {
                if changed.is_err() {
                    // The proxy is gone.
                    return Supervised::Dropped;
                }
                continue;
            }
        }
        let now = Instant::now();
        let idle = activity.idle_since().map(Instant::from_std);
        // The first request may have come while the timer ran.
        let idle_limit = if activity.requests() == 0 {
            timers.header_timeout
        } else {
            timers.idle_timeout
        };
        match closing {
            Some(since) => {
                if idle.is_some_and(|t| now.duration_since(since.max(t)) >= CLOSE_GRACE) {
                    tracing::debug!(target: "mtlskit::connection", client = %peer, "closed after a graceful close");
                    return Supervised::Dropped;
                }
            }
            None => {
                let why = if now >= until {
                    Some("max_connection_age (or the client certificate's notAfter)")
                } else if idle.is_some_and(|t| now >= t + idle_limit) {
                    Some(if activity.requests() == 0 {
                        "no request within header_timeout"
                    } else {
                        "idle_timeout"
                    })
                } else {
                    None
                };
                if let Some(why) = why {
                    tracing::debug!(target: "mtlskit::connection", client = %peer, "closing: {why}");
                    graceful(conn.as_mut());
                    closing = Some(now);
                } else if let (Some(p), Some(t)) = (park, idle) {
                    if activity.requests() > p.served && now >= t + PARK_AFTER {
                        return Supervised::Park;
                    }
                }
            }
        }
    }
}

/// Explains a rejected chain after the handshake has failed, on the blocking pool so no
/// runtime worker computes on a client's certificates; when the [`EXPLAINERS`] and the
/// queue are busy, the explanation is skipped and says so.
async fn explain_rejection(
    shared: &Shared,
    generation: &Site,
    error: rustls::Error,
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
) -> Explained {
    let skipped = explain::unexplained(&error);
    let Ok(_queued) = shared.explain_queue.try_acquire() else {
        return skipped;
    };
    let waited = tokio::time::timeout(EXPLAIN_WAIT, shared.explainers.clone().acquire_owned());
    let Ok(Ok(permit)) = waited.await else {
        return skipped;
    };
    let (anchors, crls) = (generation.anchors.clone(), generation.crls.clone());
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        explain::rejected_chain(&error, &chain, &anchors, &crls)
    })
    .await
    .unwrap_or(skipped)
}

/// Closes a connection from an address at its `max_handshakes_per_address`, and logs it.
fn refuse_busy_address(shared: &Shared, peer: SocketAddr, max: usize) {
    let e = Explained::new(
        "too_many_handshakes",
        format!(
            "{} already has {max} handshakes in progress (max_handshakes_per_address)",
            peer.ip(),
        ),
    );
    log_failure(shared, peer, &e, None);
}

/// A connection just accepted: from whom, on which address, under which generation, and the
/// address's first site.
struct Accepted {
    peer: SocketAddr,
    addr: SocketAddr,
    generation: Arc<Generation>,
    default: Arc<Site>,
}

/// The TLS handshake: with the one site's config when the address has one site, else after
/// reading the ClientHello, with the config of the site its SNI names (RFC 6066 section 3;
/// the address's first site when it names none).
async fn handshake(
    tcp: TcpStream,
    a: &Accepted,
) -> Result<
    (
        tokio_rustls::server::TlsStream<Recorder<TcpStream>>,
        Arc<Site>,
    ),
    (std::io::Error, Arc<Site>),
> {
    if !a.generation.shared(&a.addr) {
        let site = a.default.clone();
        return match TlsAcceptor::from(site.tls.clone())
            .accept(Recorder::new(tcp))
            .await
        {
            Ok(stream) => Ok((stream, site)),
            Err(e) => Err((e, site)),
        };
    }
    let start = tokio_rustls::LazyConfigAcceptor::new(
        rustls::server::Acceptor::default(),
        Recorder::new(tcp),
    )
    .await
    .map_err(|e| (e, a.default.clone()))?;
    let sni = start.client_hello().server_name().map(str::to_string);
    let site = a
        .generation
        .site_for(&a.addr, sni.as_deref())
        .unwrap_or_else(|| a.default.clone());
    match start.into_stream(site.tls.clone()).await {
        Ok(stream) => Ok((stream, site)),
        Err(e) => Err((e, site)),
    }
}

/// The client's TLS stream once established.
type ClientStream = tokio_rustls::server::TlsStream<Recorder<TcpStream>>;

/// A connection whose handshake succeeded, handed from [`establish`] to [`serve`].
struct Established {
    /// Boxed: the stream (rustls' connection, 1.2 KiB) is moved through the serving futures,
    /// each of which would otherwise reserve room for it in the connection's task.
    stream: Box<ClientStream>,
    /// The site the connection serves.
    site: Arc<Site>,
    /// The ClientHello's JA4, when the access log prints it.
    ja4: Option<String>,
    slot: Slot,
    lifecycle: Lifecycle,
}

async fn connection(
    tcp: TcpStream,
    accepted: Accepted,
    shared: Arc<Shared>,
    slot: Slot,
    handshaking: Handshaking,
) {
    // Two futures, the first boxed and freed when the handshake ends: a task's future is as
    // large as its largest state, and the handshake's result and the stream stayed reserved in
    // every later state (the task was 8,832 bytes; 1,664 now, per -Zprint-type-sizes).
    let established = Box::pin(establish(tcp, &accepted, &shared, slot, handshaking)).await;
    if let Some(established) = established {
        serve(established, &accepted, &shared).await;
    }
}

/// The handshake under its timeout: the established connection, or `None` when it failed
/// (logged, with its explanation) or the proxy closes.
async fn establish(
    tcp: TcpStream,
    accepted: &Accepted,
    shared: &Arc<Shared>,
    slot: Slot,
    handshaking: Handshaking,
) -> Option<Established> {
    let peer = accepted.peer;
    let lifecycle = Lifecycle {
        control: shared.control.subscribe(),
        tunnels: shared.tunnels.clone(),
        metrics: shared.metrics.clone(),
    };
    let default = accepted.default.clone();
    let accept = handshake(tcp, accepted);
    let handshake = REJECTION.scope(RefCell::new(None), async {
        let result = tokio::select! {
            r = tokio::time::timeout(default.handshake_timeout, accept) => r,
            // Closing everything: a handshake in progress ends too.
            () = lifecycle.closing() => return None,
        };
        let rejection = REJECTION.with(|c| c.borrow_mut().take());
        Some((result, rejection))
    });
    let (ended, bytes) = hello::record(handshake).await;
    let (result, rejection) = ended?;
    drop(handshaking);
    // The ClientHello is decoded (JA4, offered versions) only for a line that prints it: every
    // failure's, and the access log's when it is on; a connection keeps none of its bytes.
    let (stream, generation) = match result {
        Err(_) => {
            let hello = Hello::decode(&bytes);
            let e = Explained::new(
                "handshake_timeout",
                format!(
                    "client did not complete the handshake within {}s",
                    default.handshake_timeout.as_secs_f64()
                ),
            );
            log_failure(shared, peer, &e, hello.as_ref());
            return None;
        }
        Ok(Err((err, site))) => {
            let hello = Hello::decode(&bytes);
            drop(bytes);
            // The connection is gone; its slot is free while the failure is explained.
            drop(slot);
            let e = match rejection {
                Some(Rejection::Explained(e)) => e,
                Some(Rejection::Chain { error, chain }) => {
                    Box::pin(explain_rejection(shared, &site, error, chain)).await
                }
                None => explain::handshake_error(&err),
            };
            log_failure(shared, peer, &e, hello.as_ref());
            return None;
        }
        // From here on, `generation` is the site the connection serves.
        Ok(Ok((stream, site))) => (stream, site),
    };
    let ja4 = if super::access_log::access_enabled() {
        Hello::decode(&bytes).and_then(|h| h.ja4)
    } else {
        None
    };
    Some(Established {
        stream: Box::new(stream),
        site: generation,
        ja4,
        slot,
        lifecycle,
    })
}

/// Serves an established connection until it ends.
async fn serve(established: Established, accepted: &Accepted, shared: &Shared) {
    let Established {
        stream,
        site: generation,
        ja4,
        slot,
        lifecycle,
    } = established;
    let peer = accepted.peer;
    let info = {
        let (_, tls) = stream.get_ref();
        Arc::new(ConnInfo {
            peer,
            peer_ip: http::HeaderValue::from_str(&peer.ip().to_string())
                .unwrap_or_else(|_| http::HeaderValue::from_static("unknown")),
            sni: tls.server_name().map(str::to_string),
            tls_version: version_name(tls.protocol_version()),
            suite: tls
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or("unknown"),
            resumed: matches!(tls.handshake_kind(), Some(rustls::HandshakeKind::Resumed)),
            ja4,
            identity: generation
                .identities
                .get(tls.peer_certificates(), &generation.identity_styles),
            _slot: slot,
            activity: Activity::new(),
            upgrade: UpgradeSlot::default(),
            lifecycle: lifecycle.clone(),
            server: generation.server_label.clone(),
        })
    };
    shared.metrics.handshake_ok(info.tls_version, info.resumed);
    if let Some(cert) = &info.identity.info {
        shared
            .metrics
            .client_seen(cert.subject.as_str(), cert.not_after);
    }
    let activity = info.activity.clone();
    // The connection ends at max_connection_age, and never serves a request once the client
    // certificate has expired (rustls checked it at the handshake only).
    let mut age = generation.timers.max_connection_age;
    if let Some(cert) = &info.identity.info {
        let left = cert.not_after - mtlskit_inspect::Timestamp::now().0;
        age = age.min(Duration::from_secs(u64::try_from(left).unwrap_or(0)));
    }
    let until = tokio::time::Instant::now() + age;
    let (routes, policy) = (generation.routes.clone(), generation.policy.clone());
    let upgrade = info.clone();
    let upgrade = &upgrade.upgrade;
    let _upgrade_closed = CloseOnDrop(upgrade);
    let handle =
        move |req| super::handler::handle(req, info.clone(), routes.clone(), policy.clone());
    // h2 only when ALPN chose it (RFC 9113 3.2: h2 over TLS is negotiated by ALPN), so no
    // bytes are read to sniff the protocol, and the HTTP/1.1 header timer starts at once.
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    // A client that stops reading is disconnected after client_send_timeout.
    let io = SendTimeout::new(
        TokioIo::new(stream),
        generation.client_send_timeout,
        Side::Client,
    );
    let mut watch = Watch {
        activity: &activity,
        timers: &generation.timers,
        until,
        peer,
        generation: accepted.generation.id,
        control: lifecycle.control.clone(),
    };
    if h2 {
        // Each stream's future is spawned as it is: a task of its own.
        let service = service_fn(handle);
        let mut conn = Box::pin(generation.http.http2.serve_connection(io, service));
        match supervise(conn.as_mut(), |c| c.graceful_shutdown(), &mut watch, None).await {
            Supervised::Ended(Err(e)) => {
                tracing::debug!(target: "mtlskit::connection", client = %peer, "connection ended: {e}");
            }
            Supervised::Ended(Ok(())) | Supervised::Dropped | Supervised::Park => {}
        }
    } else {
        // HTTP/1.1 waits for the next request head within header_timeout too, as it did
        // when hyper's header timer ran between requests (it now runs from the head's first
        // byte: the connection is parked until then).
        let timers = Timers {
            idle_timeout: watch.timers.idle_timeout.min(watch.timers.header_timeout),
            ..*watch.timers
        };
        watch.timers = &timers;
        // Boxed: hyper hands an HTTP/1.1 connection back (to park it) only when the request's
        // future is `Unpin`.
        let service = service_fn(move |req| Box::pin(handle(req)));
        serve_http1(io, service, &generation.http.http1, &mut watch, upgrade).await;
    }
}

/// The HTTP/1.1 stream a served connection reads and writes.
type Http1Io = SendTimeout<TokioIo<Box<ClientStream>>>;

/// Serves an HTTP/1.1 connection: parked ([`super::park`]: no HTTP state) until a request
/// begins, served by hyper until it has been idle for [`PARK_AFTER`], parked again, and so on
/// until a timer, the client, a reload or the drain ends it, or a `101` hands it to a tunnel.
async fn serve_http1<S>(
    mut io: Http1Io,
    mut service: S,
    http1: &http1::Builder,
    watch: &mut Watch<'_>,
    upgrade: &UpgradeSlot,
) where
    S: hyper::service::HttpService<hyper::body::Incoming> + Unpin,
    S::Future: Unpin + Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let peer = watch.peer;
    let mut pre = bytes::Bytes::new();
    loop {
        if pre.is_empty() {
            let mut parked = std::pin::pin!(Parked::new(&mut io));
            match supervise(parked.as_mut(), |p| p.close(), watch, None).await {
                Supervised::Ended(Ok(Woken::Byte(b))) => pre = bytes::Bytes::copy_from_slice(&[b]),
                Supervised::Ended(Ok(Woken::Eof | Woken::Closed)) | Supervised::Dropped => return,
                Supervised::Park => return, // not asked for
                Supervised::Ended(Err(e)) => {
                    tracing::debug!(target: "mtlskit::connection", client = %peer, "connection ended: {e}");
                    return;
                }
            }
        }
        let mut conn = Box::new(http1.serve_connection(Rewind::new(pre, io), service));
        let park = Park {
            served: watch.activity.requests(),
        };
        let parking = match supervise(
            Pin::new(&mut *conn),
            |c| c.graceful_shutdown(),
            watch,
            Some(park),
        )
        .await
        {
            Supervised::Ended(Ok(())) => false,
            Supervised::Ended(Err(e)) => {
                tracing::debug!(target: "mtlskit::connection", client = %peer, "connection ended: {e}");
                return;
            }
            Supervised::Dropped => return,
            Supervised::Park => {
                // Idle: hyper closes at once, without touching the stream, and returns it with
                // whatever it had read of a next request.
                Pin::new(&mut *conn).graceful_shutdown();
                let done = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx));
                match tokio::time::timeout(CLOSE_GRACE, done).await {
                    Ok(Ok(())) => true,
                    Ok(Err(e)) => {
                        tracing::debug!(target: "mtlskit::connection", client = %peer, "connection ended: {e}");
                        return;
                    }
                    Err(_) => return,
                }
            }
        };
        let parts = conn.into_parts();
        let (rest, inner) = parts.io.into_inner();
        if upgrade.pending() {
            // hyper has sent the 101: the stream (and what the client sent after its request)
            // is the tunnel's.
            let client = Rewind::new(join(rest, parts.read_buf), inner);
            if upgrade.hand_over(Box::new(TokioIo::new(client))).is_err() {
                tracing::debug!(target: "mtlskit::upgrade", client = %peer, "the tunnel was gone");
            }
            return;
        }
        if !parking {
            // hyper is done (the client closed, asked to, or a graceful close): close TLS as
            // hyper would have (close_notify), within the grace.
            io = inner;
            let shutdown =
                std::future::poll_fn(|cx| hyper::rt::Write::poll_shutdown(Pin::new(&mut io), cx));
            let _ = tokio::time::timeout(CLOSE_GRACE, shutdown).await;
            return;
        }
        pre = join(rest, parts.read_buf);
        if pre.is_empty() {
            tracing::debug!(target: "mtlskit::connection", client = %peer, "parked");
        }
        io = inner;
        service = parts.service;
    }
}

/// `a` then `b`, copied only when both hold bytes. Nothing is kept of an empty one: an empty
/// slice of hyper's read buffer would hold all of it (16 KiB) through a park.
fn join(a: bytes::Bytes, b: bytes::Bytes) -> bytes::Bytes {
    if a.is_empty() && b.is_empty() {
        bytes::Bytes::new()
    } else if a.is_empty() {
        b
    } else if b.is_empty() {
        a
    } else {
        let mut all = bytes::BytesMut::with_capacity(a.len() + b.len());
        all.extend_from_slice(&a);
        all.extend_from_slice(&b);
        all.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_nothing_of_an_empty_read_buffer() {
        // hyper hands back its read buffer frozen: empty, it still holds all of its capacity.
        let mut read = bytes::BytesMut::with_capacity(16 * 1024);
        read.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let buffer = read.freeze();
        let mut rest = buffer.clone();
        bytes::Buf::advance(&mut rest, buffer.len());
        let joined = join(bytes::Bytes::new(), rest);
        assert!(joined.is_empty());
        assert!(
            buffer.is_unique(),
            "a parked connection keeps hyper's 16 KiB buffer"
        );
        let joined = join(bytes::Bytes::from_static(b"GE"), buffer.slice(0..1));
        assert_eq!(&joined[..], b"GEG");
    }
}
