//! Idle HTTP/1.1 connections hold no HTTP buffers (nginx's keep-alive handler does the same).
//!
//! hyper's HTTP/1.1 connection keeps an 8 KiB read buffer and an 8 KiB header buffer for as
//! long as it lives, and has no setting to release them while it waits. So the listener drops
//! it when the connection is idle ("parks" it): before the first request, and once no request
//! has been in flight for [`PARK_AFTER`]. A parked connection is its TLS stream alone, waiting
//! for one byte; when it comes, a new hyper connection serves from it, the byte (and any bytes
//! hyper had read of a request not yet complete) put back in front by [`Rewind`]. Nothing the
//! client sent is lost, and nothing it sees changes: HTTP/1.1 keeps no state between requests
//! that the next request's parser would need.
//!
//! Because the served connection is taken apart rather than shut down (hyper's
//! `poll_without_shutdown`), upgrades are finished here as well: hyper hands back the stream
//! after a `101 Switching Protocols`, and the listener gives it to the tunnel the handler
//! started ([`UpgradeSlot`]).

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};

/// How long an HTTP/1.1 connection stays idle (no request in flight) before its HTTP state is
/// dropped. Short enough that a pool of idle client connections costs little memory, long
/// enough that a client sending requests back to back never pays for rebuilding it.
pub const PARK_AFTER: Duration = Duration::from_secs(1);

/// An IO with bytes already read put back in front: reads return them first, then the inner
/// stream's. Writes go straight through.
#[derive(Debug)]
pub struct Rewind<T> {
    pre: Bytes,
    inner: T,
}

impl<T> Rewind<T> {
    /// `inner`, with `pre` to be read before anything from it.
    pub fn new(pre: Bytes, inner: T) -> Self {
        Rewind { pre, inner }
    }

    /// The bytes not read yet and the inner stream.
    pub fn into_inner(self) -> (Bytes, T) {
        (self.pre, self.inner)
    }
}

impl<T: Read + Unpin> Read for Rewind<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.pre.is_empty() {
            let n = this.pre.len().min(buf.remaining());
            buf.put_slice(&this.pre.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for Rewind<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
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
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
}

/// How a parked connection's wait ended.
#[derive(Debug)]
pub enum Woken {
    /// The client sent this byte: the start of its next request.
    Byte(u8),
    /// The client closed the connection.
    Eof,
    /// The connection was closed from this side ([`Parked::close`]): TLS close_notify sent.
    Closed,
}

/// A parked connection: waits for the client's next byte, or closes when told.
#[derive(Debug)]
pub struct Parked<'a, T> {
    io: &'a mut T,
    close: bool,
}

impl<'a, T> Parked<'a, T> {
    /// Waits on `io`, which holds no buffered bytes of a request.
    pub fn new(io: &'a mut T) -> Self {
        Parked { io, close: false }
    }

    /// Closes the connection instead (the supervisor's graceful close: nothing is in flight).
    pub fn close(self: Pin<&mut Self>) {
        self.get_mut().close = true;
    }
}

impl<T: Read + Write + Unpin> std::future::Future for Parked<'_, T> {
    type Output = io::Result<Woken>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.close {
            return Pin::new(&mut *this.io)
                .poll_shutdown(cx)
                .map_ok(|()| Woken::Closed);
        }
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        match Pin::new(&mut *this.io).poll_read(cx, buf.unfilled()) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(match buf.filled() {
                [b] => Woken::Byte(*b),
                _ => Woken::Eof,
            })),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The client's side of an upgraded connection, as the tunnel copies it.
pub trait ClientIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> ClientIo for T {}

/// Where a connection's handler leaves a switched protocol's tunnel: the handler asks for the
/// client's stream when the upstream answers `101`, the listener hands it over once hyper has
/// sent that answer and let go of the stream.
#[derive(Debug, Default)]
pub struct UpgradeSlot(Mutex<Option<tokio::sync::oneshot::Sender<Box<dyn ClientIo>>>>);

impl std::fmt::Debug for dyn ClientIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientIo")
    }
}

impl UpgradeSlot {
    /// The client's stream, once hyper has sent the `101` (an error if the connection ends
    /// before).
    pub fn expect(&self) -> tokio::sync::oneshot::Receiver<Box<dyn ClientIo>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(tx);
        }
        rx
    }

    /// Gives `io` to the tunnel waiting for it; `Err(io)` when none is.
    pub fn hand_over(&self, io: Box<dyn ClientIo>) -> Result<(), Box<dyn ClientIo>> {
        match self.0.lock().ok().and_then(|mut s| s.take()) {
            Some(tx) => tx.send(io),
            None => Err(io),
        }
    }

    /// Whether a tunnel waits for the stream.
    pub fn pending(&self) -> bool {
        self.0.lock().is_ok_and(|s| s.is_some())
    }

    /// The connection is over: a tunnel still waiting learns that no stream will come (the
    /// slot lives in the connection's info, which the tunnel itself holds).
    pub fn close(&self) {
        if let Ok(mut slot) = self.0.lock() {
            slot.take();
        }
    }
}

/// Closes an [`UpgradeSlot`] when dropped: whichever way a connection's task ends.
#[derive(Debug)]
pub struct CloseOnDrop<'a>(pub &'a UpgradeSlot);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn rewind_reads_the_put_back_bytes_first_then_the_stream() {
        let (a, mut b) = tokio::io::duplex(64);
        b.write_all(b" world").await.unwrap();
        drop(b);
        let mut io = TokioIo::new(Rewind::new(Bytes::from_static(b"hello"), TokioIo::new(a)));
        let mut got = String::new();
        io.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "hello world");
    }

    #[tokio::test]
    async fn a_parked_connection_wakes_with_the_first_byte_or_at_eof() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut io = TokioIo::new(a);
        b.write_all(b"GET").await.unwrap();
        let woken = Parked::new(&mut io).await.unwrap();
        assert!(matches!(woken, Woken::Byte(b'G')), "{woken:?}");
        drop(b);
        let mut rest = Vec::new();
        TokioIo::new(&mut io).read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"ET", "only the one byte was taken");
        let woken = Parked::new(&mut io).await.unwrap();
        assert!(matches!(woken, Woken::Eof), "{woken:?}");
    }

    #[tokio::test]
    async fn a_parked_connection_told_to_close_shuts_its_stream() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut io = TokioIo::new(a);
        let mut parked = std::pin::pin!(Parked::new(&mut io));
        parked.as_mut().close();
        assert!(matches!(parked.await.unwrap(), Woken::Closed));
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "the client sees the end of the stream");
    }

    #[tokio::test]
    async fn the_slot_hands_the_stream_only_to_a_waiting_tunnel() {
        let slot = UpgradeSlot::default();
        let (a, _b) = tokio::io::duplex(64);
        assert!(slot.hand_over(Box::new(a)).is_err(), "no tunnel waits");
        let rx = slot.expect();
        assert!(slot.pending());
        let (a, _b) = tokio::io::duplex(64);
        assert!(slot.hand_over(Box::new(a)).is_ok());
        assert!(rx.await.is_ok());
        assert!(!slot.pending());
        // A connection that ends before its 101 went out tells the waiting tunnel.
        let rx = slot.expect();
        drop(CloseOnDrop(&slot));
        assert!(rx.await.is_err());
    }
}
