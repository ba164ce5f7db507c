//! The client's ClientHello as it came off the wire, for the logs: its JA4 fingerprint and the
//! protocol versions it offered.
//!
//! rustls parses the ClientHello but does not hand out its bytes, and JA4 needs them all in
//! wire order (GREASE, extension order, ALPN). So the TCP stream is wrapped in a [`Recorder`]
//! that copies what the client sends, bounded by [`LIMIT`], until one whole ClientHello has
//! arrived, then only forwards. The copy goes to a tokio task-local (as the verifier's
//! explanation does, see [`super::verifier`]), scoped around the handshake by [`record`]: it
//! survives the handshake future being dropped at `handshake_timeout`, and nothing is copied
//! outside that scope. The bytes are decoded once per connection by
//! [`mtlskit_inspect::tls::decode`] and freed.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use mtlskit_inspect::tls::names::is_grease;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes kept: a ClientHello is at most a few KiB (post-quantum key shares
/// included); one that is larger than this is not fingerprinted.
pub const LIMIT: usize = 16 * 1024;

tokio::task_local! {
    static HELLO: RefCell<Vec<u8>>;
}

/// Runs `fut` (the handshake) with recording on; returns its output and the bytes recorded.
pub async fn record<F: Future>(fut: F) -> (F::Output, Vec<u8>) {
    HELLO
        .scope(RefCell::new(Vec::new()), async {
            let out = fut.await;
            let bytes = HELLO.with(|h| h.take());
            (out, bytes)
        })
        .await
}

/// What the logs say about a ClientHello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hello {
    /// JA4 (FoxIO), e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`.
    pub ja4: Option<String>,
    /// The versions offered, most preferred first, as `TLSv1.3`, `TLSv1.2`, ...
    pub versions: Vec<String>,
}

impl Hello {
    /// Decodes recorded bytes; `None` when they hold no ClientHello (nothing sent, not TLS).
    pub fn decode(bytes: &[u8]) -> Option<Hello> {
        if bytes.is_empty() {
            return None;
        }
        let tls = mtlskit_inspect::tls::decode(bytes, None).tls;
        let ch = tls.client_hello?;
        let offered: Vec<u16> = if ch.supported_versions.is_empty() {
            vec![ch.legacy_version]
        } else {
            ch.supported_versions
                .iter()
                .copied()
                .filter(|v| !is_grease(*v))
                .collect()
        };
        Some(Hello {
            ja4: (!ch.ja4.is_empty()).then_some(ch.ja4),
            versions: offered.into_iter().map(version_name).collect(),
        })
    }
}

/// A version as nginx's `$ssl_protocol` names it (`TLSv1.3`), else its hex.
pub fn version_name(v: u16) -> String {
    match v {
        0x0304 => "TLSv1.3".into(),
        0x0303 => "TLSv1.2".into(),
        0x0302 => "TLSv1.1".into(),
        0x0301 => "TLSv1".into(),
        0x0300 => "SSLv3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Whether `bytes` (the start of what the client sent) hold a whole first handshake message,
/// or show that no more is worth keeping (a record that is not a handshake, e.g. SSLv2 or
/// plain HTTP).
fn complete(mut rest: &[u8]) -> bool {
    // The first handshake message's 4-byte header, and how many of its bytes were seen.
    let mut head = [0u8; 4];
    let mut seen = 0usize;
    while let Some((header, body)) = rest.split_first_chunk::<5>() {
        if header[0] != 22 {
            return true;
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let here = &body[..body.len().min(len)];
        for (i, b) in here.iter().take(4usize.saturating_sub(seen)).enumerate() {
            head[seen + i] = *b;
        }
        seen += here.len();
        if seen >= 4 {
            let need =
                4 + (usize::from(head[1]) << 16 | usize::from(head[2]) << 8) + usize::from(head[3]);
            if seen >= need {
                return true;
            }
        }
        if here.len() < len {
            return false;
        }
        rest = &body[len..];
    }
    false
}

/// A stream that copies what it reads into the task's recording until the ClientHello is in.
#[derive(Debug)]
pub struct Recorder<S> {
    inner: S,
    recording: bool,
}

impl<S> Recorder<S> {
    pub fn new(inner: S) -> Self {
        Recorder {
            inner,
            recording: true,
        }
    }

    /// Keeps `new` bytes; stops when the hello is whole, the limit is reached or there is no
    /// recording scope.
    fn keep(&mut self, new: &[u8]) {
        let done = HELLO
            .try_with(|h| {
                let mut h = h.borrow_mut();
                let room = LIMIT.saturating_sub(h.len());
                h.extend_from_slice(&new[..new.len().min(room)]);
                h.len() >= LIMIT || complete(&h)
            })
            .unwrap_or(true);
        if done {
            self.recording = false;
        }
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
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.recording {
            if let Poll::Ready(Ok(())) = polled {
                let filled = buf.filled();
                if filled.len() > before {
                    this.keep(&filled[before..]);
                } else {
                    this.recording = false;
                }
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handshake record holding `body` as a message of type 1 claiming `claimed` bytes.
    fn record_of(claimed: usize, body: &[u8]) -> Vec<u8> {
        let mut msg = vec![1u8, 0, (claimed >> 8) as u8, claimed as u8];
        msg.extend_from_slice(body);
        let mut r = vec![22u8, 3, 1, (msg.len() >> 8) as u8, msg.len() as u8];
        r.extend_from_slice(&msg);
        r
    }

    #[test]
    fn whole_split_and_foreign() {
        let whole = record_of(3, b"abc");
        assert!(complete(&whole));
        assert!(!complete(&whole[..whole.len() - 1]));
        assert!(!complete(&whole[..3]));
        // A message spread over two records.
        let first = record_of(6, b"abc");
        let mut two = first.clone();
        two.extend_from_slice(&[22, 3, 1, 0, 3, b'd', b'e', b'f']);
        assert!(!complete(&first));
        assert!(complete(&two));
        assert!(complete(b"GET / HTTP/1.1\r\n"));
    }

    #[test]
    fn nothing_to_decode() {
        assert_eq!(Hello::decode(b""), None);
        assert_eq!(Hello::decode(b"GET / HTTP/1.1\r\n\r\n"), None);
        assert_eq!(version_name(0x0304), "TLSv1.3");
        assert_eq!(version_name(0x7f1c), "0x7f1c");
    }

    #[tokio::test]
    async fn records_only_until_the_hello_is_whole() {
        use tokio::io::AsyncReadExt;
        let mut input = record_of(3, b"abc");
        input.extend_from_slice(b"after");
        let expected = record_of(3, b"abc");
        let (got, bytes) = record(async {
            let mut r = Recorder::new(&input[..]);
            let mut all = Vec::new();
            let mut chunk = [0u8; 4];
            loop {
                let n = r.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&chunk[..n]);
            }
            all
        })
        .await;
        assert_eq!(got, input);
        assert!(bytes.starts_with(&expected));
        assert!(bytes.len() < expected.len() + 4, "{}", bytes.len());
    }
}
