//! nginx's `proxy_send_timeout` for the upstream connections: a write to the upstream that
//! makes no progress for `send_timeout` fails the request; and nginx's `send_timeout` for the
//! client connections (`client_send_timeout`): a client that stops reading is disconnected.
//!
//! The timer sits under TLS, on the TCP stream the connector makes, so it measures what nginx
//! measures: the time between two successive writes that the upstream accepts (an upstream
//! that stops reading fills the socket buffer, and the next write waits). hyper's client has no
//! such setting, hence this small wrapper around hyper-util's `HttpConnector`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use tokio::time::Sleep;

/// A connector whose streams fail a write that stalls for longer than the limit.
#[derive(Clone, Debug)]
pub struct TimedConnector {
    inner: HttpConnector,
    limit: Duration,
}

impl TimedConnector {
    pub fn new(inner: HttpConnector, limit: Duration) -> Self {
        Self { inner, limit }
    }
}

impl tower_service::Service<http::Uri> for TimedConnector {
    type Response = SendTimeout<<HttpConnector as tower_service::Service<http::Uri>>::Response>;
    type Error = <HttpConnector as tower_service::Service<http::Uri>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move { Ok(SendTimeout::new(connecting.await?, limit, Side::Upstream)) })
    }
}

/// A connector that records how long each connection took to make (TCP and TLS, when it
/// wraps the HTTPS connector) in a histogram (`mtlskit_upstream_connect_seconds`).
#[derive(Clone, Debug)]
pub struct Measured<C> {
    inner: C,
    histogram: prometheus_client::metrics::histogram::Histogram,
}

impl<C> Measured<C> {
    pub fn new(inner: C, histogram: prometheus_client::metrics::histogram::Histogram) -> Self {
        Measured { inner, histogram }
    }
}

impl<C> tower_service::Service<http::Uri> for Measured<C>
where
    C: tower_service::Service<http::Uri>,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
    C::Error: Send + 'static,
{
    type Response = C::Response;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let histogram = self.histogram.clone();
        Box::pin(async move {
            let started = std::time::Instant::now();
            let made = connecting.await;
            if made.is_ok() {
                histogram.observe(started.elapsed().as_secs_f64());
            }
            made
        })
    }
}

/// Which peer a stalled write waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The upstream stopped reading the request (`send_timeout`).
    Upstream,
    /// The client stopped reading the response (`client_send_timeout`).
    Client,
}

/// A stream whose writes time out when they make no progress.
#[derive(Debug)]
pub struct SendTimeout<T> {
    inner: T,
    limit: Duration,
    side: Side,
    /// Running while a write (or flush) waits for the peer.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> SendTimeout<T> {
    pub fn new(inner: T, limit: Duration, side: Side) -> Self {
        SendTimeout {
            inner,
            limit,
            side,
            stalled: None,
        }
    }

    /// Wraps the result of a write: progress resets the timer, waiting runs it.
    fn timed<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match poll {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let limit = self.limit;
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        self.stalled = None;
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            SendTimedOut(limit, self.side),
                        )))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// The error a stalled write ends with; `upstream::classify` names it.
#[derive(Debug)]
pub struct SendTimedOut(pub Duration, pub Side);

impl std::fmt::Display for SendTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Side::Upstream => write!(
                f,
                "the upstream accepted no request bytes for {:?} (send_timeout)",
                self.0
            ),
            Side::Client => write!(
                f,
                "the client read no response bytes for {:?} (client_send_timeout)",
                self.0
            ),
        }
    }
}

impl std::error::Error for SendTimedOut {}

impl<T: Read + Unpin> Read for SendTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for SendTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.timed(cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.timed(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.timed(cx, poll)
    }
}

impl<T: Connection> Connection for SendTimeout<T> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}
