//! nginx's `proxy_read_timeout` as nginx counts it: the request body is the client's to send,
//! so the wait for the response head starts when the request body has ended
//! ([`Signalled`]), and the response body may not pause for longer than the limit between two
//! reads ([`ReadTimeout`]). Both are thin wrappers over a hyper body.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;
use tokio::time::Sleep;

/// A request body that says when it has ended (or was dropped unfinished).
#[derive(Debug)]
pub struct Signalled<B> {
    inner: B,
    ended: Option<oneshot::Sender<()>>,
    /// Counts the body's bytes (`mtlskit_bytes_total{direction="in"}`).
    counted: prometheus_client::metrics::counter::Counter,
}

impl<B: Body> Signalled<B> {
    /// The body, and what completes when it ends (`None`: it has already ended, as a GET's
    /// has, and there is nothing to wait for); its bytes are added to `counted`.
    pub fn new(
        inner: B,
        counted: prometheus_client::metrics::counter::Counter,
    ) -> (Self, Option<oneshot::Receiver<()>>) {
        if inner.is_end_stream() {
            let body = Signalled {
                inner,
                ended: None,
                counted,
            };
            return (body, None);
        }
        let (tx, rx) = oneshot::channel();
        (
            Signalled {
                inner,
                ended: Some(tx),
                counted,
            },
            Some(rx),
        )
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Signalled<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(d) = frame.data_ref() {
                this.counted.inc_by(d.len() as u64);
            }
        }
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) || this.inner.is_end_stream() {
            if let Some(tx) = this.ended.take() {
                let _ = tx.send(());
            }
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

/// The error a response body ends with when the upstream paused too long.
#[derive(Debug)]
pub struct ReadTimedOut(pub Duration);

impl std::fmt::Display for ReadTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the upstream sent no response body bytes for {:?} (read_timeout)",
            self.0
        )
    }
}

impl std::error::Error for ReadTimedOut {}

/// A response body that fails when the upstream sends nothing for `limit` while the proxy
/// waits for it. The timer starts when a read begins to wait, so time the client takes to
/// read (hyper not polling) does not count.
#[derive(Debug)]
pub struct ReadTimeout<B> {
    inner: B,
    limit: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<B> ReadTimeout<B> {
    pub fn new(inner: B, limit: Duration) -> Self {
        ReadTimeout {
            inner,
            limit,
            waiting: None,
        }
    }
}

impl<B> Body for ReadTimeout<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(r) => {
                this.waiting = None;
                Poll::Ready(r.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = this.limit;
                let timer = this
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.waiting = None;
                        Poll::Ready(Some(Err(Box::new(ReadTimedOut(limit)))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
