//! A location's upstream connections.
//!
//! Written here rather than taken from hyper-util's legacy client, which the proxy used before:
//! every request of a location goes to one upstream, so the pool is a list, not a map keyed by
//! scheme and authority, and a request costs one short lock. The legacy client, per request,
//! cloned itself with its connector, hashed its pool key twice, built a lazy connect future, and
//! spawned a task to put an HTTP/1.1 connection back; that was the largest part of the proxy's
//! own work per keep-alive request (docs/benchmarks.md, issue 14).
//!
//! - HTTP/1.1: a connection serves one request at a time. It goes back to the pool when its
//!   response body has been read to the end; a body dropped before its end closes it. At most
//!   `keepalive` idle connections are kept (nginx's `keepalive` in an `upstream {}`), the most
//!   recently used one is taken first, and none stays idle longer than [`IDLE_TIMEOUT`].
//! - h2, when the upstream's ALPN chooses it: one connection is shared by every request.
//! - A request that a reused connection never started (the upstream closed it while it was
//!   idle) goes again on another connection, as hyper-util's client does. A request that a new
//!   connection failed is not retried.
//! - An upgrade (WebSocket) gets a connection of its own, HTTP/1.1 only, never pooled: it
//!   leaves hyper at the `101`.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service;

use super::body::Signalled;
use super::upstream::Connector;

/// What the proxy sends upstream as a request body.
pub type RequestBody = Signalled<Incoming>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A TCP and TLS stream to the upstream, as the connector makes it.
type Io = <Connector as Service<Uri>>::Response;

/// How long an idle HTTP/1.1 connection is kept (hyper-util's default, which the proxy had).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a request got no response from the upstream. The causes are in the source chain
/// (io, TLS, the send timeout), where `upstream::classify` finds them.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// TCP or TLS to the upstream failed: refused, timed out, its certificate rejected.
    #[error("connecting to the upstream failed")]
    Connect(#[source] BoxError),
    /// The HTTP handshake on a new connection failed (h2's preface and SETTINGS).
    #[error("the HTTP handshake with the upstream failed")]
    Handshake(#[source] hyper::Error),
    /// The request or its response head failed on an established connection.
    #[error("the request to the upstream failed")]
    Request(#[source] hyper::Error),
    /// The request's URI with the upstream's scheme and authority is not a URI (h2).
    #[error("the upstream URL is not valid")]
    Url(#[source] http::uri::InvalidUriParts),
}

/// The pool of one location.
#[derive(Debug)]
pub struct Pool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// TLS with ALPN h2 and http/1.1.
    connector: Connector,
    /// TLS with ALPN http/1.1 only, for upgrades.
    upgrade_connector: Connector,
    /// `scheme://authority`, what the connectors connect to.
    dst: Uri,
    scheme: Scheme,
    authority: Authority,
    /// The `Host` of HTTP/1.1 requests: the upstream's host, and its port when not the
    /// scheme's default (as nginx's `$proxy_host`).
    host: HeaderValue,
    max_idle: usize,
    state: Mutex<State>,
    /// Whether the task that closes connections idle for too long has been started.
    reaping: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    /// Idle HTTP/1.1 connections, the most recently used last.
    idle: Vec<Idle>,
    /// The shared h2 connection, once there is one.
    h2: Option<http2::SendRequest<RequestBody>>,
}

#[derive(Debug)]
struct Idle {
    sender: http1::SendRequest<RequestBody>,
    since: Instant,
}

/// A connection a request is sent on.
enum Conn {
    H1(http1::SendRequest<RequestBody>),
    H2(http2::SendRequest<RequestBody>),
}

impl Pool {
    /// A pool for `scheme://authority`; `max_idle` is the location's `keepalive`.
    pub fn new(
        connector: Connector,
        upgrade_connector: Connector,
        scheme: Scheme,
        authority: Authority,
        max_idle: usize,
    ) -> Result<Pool, http::Error> {
        let dst = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()?;
        let default_port = if scheme == Scheme::HTTPS { 443 } else { 80 };
        let host = match authority.port_u16() {
            Some(p) if p != default_port => HeaderValue::from_str(authority.as_str())?,
            _ => HeaderValue::from_str(authority.host())?,
        };
        Ok(Pool {
            shared: Arc::new(Shared {
                connector,
                upgrade_connector,
                dst,
                scheme,
                authority,
                host,
                max_idle,
                state: Mutex::new(State::default()),
                reaping: AtomicBool::new(false),
            }),
        })
    }

    /// Sends `req` (its URI in origin form, `/path?query`) and waits for the response head.
    /// An HTTP/1.1 connection goes back to the pool when the returned body has been read to
    /// its end. `upgrade`: on a connection of its own, which hyper lets go at a `101`.
    pub async fn send(
        &self,
        mut req: Request<RequestBody>,
        upgrade: bool,
    ) -> Result<Response<UpstreamBody>, UpstreamError> {
        let shared = &self.shared;
        if upgrade {
            let mut sender = Box::pin(shared.connect_upgrade()).await?;
            shared.http1_form(&mut req);
            let resp = sender
                .send_request(req)
                .await
                .map_err(UpstreamError::Request)?;
            return Ok(resp.map(|b| UpstreamBody::new(b, None)));
        }
        loop {
            let (conn, reused) = match shared.checkout() {
                Some(conn) => (conn, true),
                // Boxed: a new connection is rare, and its future (TLS, the HTTP handshake)
                // would make every request's future several KiB larger.
                None => (Box::pin(shared.connect()).await?, false),
            };
            let mut failed = match conn {
                Conn::H1(mut sender) => {
                    shared.http1_form(&mut req);
                    match sender.try_send_request(req).await {
                        Ok(resp) => {
                            let back = Some((shared.clone(), sender));
                            return Ok(resp.map(|b| UpstreamBody::new(b, back)));
                        }
                        Err(e) => e,
                    }
                }
                Conn::H2(mut sender) => {
                    shared.http2_form(&mut req)?;
                    match sender.try_send_request(req).await {
                        Ok(resp) => return Ok(resp.map(|b| UpstreamBody::new(b, None))),
                        Err(e) => e,
                    }
                }
            };
            match failed.take_message() {
                // Never started on a connection the upstream had closed: another one.
                Some(again) if reused => req = again,
                _ => return Err(UpstreamError::Request(failed.into_error())),
            }
        }
    }
}

impl Shared {
    /// A pooled connection ready for a request, if there is one. Never waits: a connection is
    /// pooled only once it is ready, and one that has closed since is dropped here.
    fn checkout(&self) -> Option<Conn> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h2) = &state.h2 {
            if !h2.is_closed() {
                return Some(Conn::H2(h2.clone()));
            }
            state.h2 = None;
        }
        let now = Instant::now();
        while let Some(i) = state.idle.pop() {
            if i.sender.is_ready() && now.duration_since(i.since) < IDLE_TIMEOUT {
                return Some(Conn::H1(i.sender));
            }
        }
        None
    }

    /// TCP and TLS to the upstream; `upgrade`: ALPN offers HTTP/1.1 only.
    async fn dial(&self, upgrade: bool) -> Result<Io, UpstreamError> {
        let mut connector = if upgrade {
            self.upgrade_connector.clone()
        } else {
            self.connector.clone()
        };
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(UpstreamError::Connect)?;
        connector
            .call(self.dst.clone())
            .await
            .map_err(UpstreamError::Connect)
    }

    /// A new connection for the pool (h2 when the upstream's ALPN picks it), its task spawned.
    async fn connect(self: &Arc<Self>) -> Result<Conn, UpstreamError> {
        let io = self.dial(false).await?;
        if io.connected().is_negotiated_h2() {
            let (sender, conn) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await
                .map_err(UpstreamError::Handshake)?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(target: "mtlskit::upstream", "h2 connection ended: {e}");
                }
            });
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.h2 = Some(sender.clone());
            return Ok(Conn::H2(sender));
        }
        let (sender, conn) = http1::handshake(io)
            .await
            .map_err(UpstreamError::Handshake)?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(target: "mtlskit::upstream", "connection ended: {e}");
            }
        });
        if self.max_idle > 0 && !self.reaping.swap(true, Ordering::Relaxed) {
            tokio::spawn(reap(Arc::downgrade(self)));
        }
        Ok(Conn::H1(sender))
    }

    /// An HTTP/1.1 connection of its own for an upgrade, which hyper lets go at the `101`.
    async fn connect_upgrade(&self) -> Result<http1::SendRequest<RequestBody>, UpstreamError> {
        let io = self.dial(true).await?;
        let (sender, conn) = http1::handshake(io)
            .await
            .map_err(UpstreamError::Handshake)?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(target: "mtlskit::upstream", "connection ended: {e}");
            }
        });
        Ok(sender)
    }

    /// An HTTP/1.1 connection whose response has been read to its end: pooled when it is
    /// ready for the next request, which is at once unless the request body is still going up
    /// (an upload the upstream answered early); then when that ends, from a task of its own.
    fn give_back(self: Arc<Self>, mut sender: http1::SendRequest<RequestBody>) {
        if sender.is_closed() || self.max_idle == 0 {
            return;
        }
        if !sender.is_ready() {
            // Outside a runtime (one shutting down drops its tasks' bodies) it just closes.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if sender.ready().await.is_ok() {
                        self.pool(sender);
                    }
                });
            }
            return;
        }
        self.pool(sender);
    }

    fn pool(&self, sender: http1::SendRequest<RequestBody>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.idle.len() < self.max_idle {
            state.idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    /// Closes the connections idle for [`IDLE_TIMEOUT`] or closed by the upstream.
    fn prune(&self) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .idle
            .retain(|i| !i.sender.is_closed() && now.duration_since(i.since) < IDLE_TIMEOUT);
    }

    /// HTTP/1.1 wants the origin form (`/path?query`) and a `Host`.
    fn http1_form(&self, req: &mut Request<RequestBody>) {
        if req.uri().scheme().is_some() {
            let pq = req.uri().path_and_query().cloned();
            *req.uri_mut() = pq.map_or_else(|| Uri::from_static("/"), Uri::from);
        }
        req.headers_mut().insert(header::HOST, self.host.clone());
    }

    /// h2 takes `:scheme` and `:authority` from an absolute URI, and has no `Host`.
    fn http2_form(&self, req: &mut Request<RequestBody>) -> Result<(), UpstreamError> {
        req.headers_mut().remove(header::HOST);
        if req.uri().scheme().is_none() {
            let mut parts = req.uri().clone().into_parts();
            parts.scheme = Some(self.scheme.clone());
            parts.authority = Some(self.authority.clone());
            if parts.path_and_query.is_none() {
                parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
            }
            *req.uri_mut() = Uri::from_parts(parts).map_err(UpstreamError::Url)?;
        }
        Ok(())
    }
}

/// The pool's periodic clean-up, until the pool is gone (a reload replaced it).
async fn reap(shared: Weak<Shared>) {
    loop {
        tokio::time::sleep(IDLE_TIMEOUT / 4).await;
        match shared.upgrade() {
            Some(s) => s.prune(),
            None => return,
        }
    }
}

/// An upstream response body; when it has been read to its end, its HTTP/1.1 connection goes
/// back to the pool.
pub struct UpstreamBody {
    inner: Incoming,
    back: Option<(Arc<Shared>, http1::SendRequest<RequestBody>)>,
}

impl std::fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamBody")
            .field("pooled", &self.back.is_some())
            .finish()
    }
}

impl UpstreamBody {
    fn new(inner: Incoming, back: Option<(Arc<Shared>, http1::SendRequest<RequestBody>)>) -> Self {
        UpstreamBody { inner, back }
    }

    fn ended(&mut self) {
        if let Some((shared, sender)) = self.back.take() {
            Shared::give_back(shared, sender);
        }
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.ended(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.ended(),
            // An error closes the connection: it is not given back.
            Poll::Ready(Some(Err(_))) => this.back = None,
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

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        // A body with nothing to read (HEAD, 204, 304, `Content-Length: 0`) may never be
        // polled; one dropped before its end leaves its connection mid-response, to close.
        if self.inner.is_end_stream() {
            self.ended();
        }
    }
}
