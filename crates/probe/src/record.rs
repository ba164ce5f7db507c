//! A TCP stream that keeps a copy of every byte in each direction, so the probe can show the
//! handshake packet by packet (decoded by the inspect crate) and save it for the web page.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The bytes each side sent, and the order of the turns. Bounded: past `LIMIT` bytes a
/// direction stops growing (the handshake is long over by then; the response body is not
/// needed twice).
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    inner: Arc<Mutex<Recording>>,
}

/// What a [`Transcript`] holds.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    pub to_server: Vec<u8>,
    pub to_client: Vec<u8>,
    /// Each read or write in the order it happened: (sent by the probe, bytes kept).
    pub turns: Vec<(bool, usize)>,
}

const LIMIT: usize = 4 << 20;

impl Transcript {
    pub fn take(&self) -> Recording {
        match self.inner.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn push(&self, sent: bool, bytes: &[u8]) {
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let buf = if sent {
            &mut g.to_server
        } else {
            &mut g.to_client
        };
        let kept = bytes.len().min(LIMIT.saturating_sub(buf.len()));
        buf.extend_from_slice(&bytes[..kept]);
        if kept > 0 {
            match g.turns.last_mut() {
                Some((dir, n)) if *dir == sent => *n += kept,
                _ => g.turns.push((sent, kept)),
            }
        }
    }
}

/// Wraps a stream and records what passes through it.
#[derive(Debug)]
pub struct Recorder<S> {
    inner: S,
    transcript: Transcript,
}

impl<S> Recorder<S> {
    pub fn new(inner: S, transcript: Transcript) -> Self {
        Self { inner, transcript }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.transcript.push(false, &buf.filled()[before..]);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            this.transcript.push(true, &buf[..n]);
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
