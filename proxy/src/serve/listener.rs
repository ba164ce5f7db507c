//! Accepting connections: bind every listen address (IPv6 sockets v6-only, so `0.0.0.0:p` and
//! `[::]:p` coexist as in nginx), cap concurrent connections, bound the handshake in time,
//! keep the ClientHello for JA4 ([`hello`]), log an explained reason when it fails, then hand
//! the TLS stream to hyper (HTTP/1.1 or h2 by ALPN) with a header read timeout and a header
//! size limit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::access_log::ConnInfo;
use super::explain::{self, Explained};
use super::hello::{self, Hello, Recorder};
use super::identity::Identity;
use super::upstream::Routes;
use super::verifier::REJECTION;

/// Everything connections share, built once.
#[derive(Debug)]
pub struct Shared {
    pub tls: Arc<rustls::ServerConfig>,
    pub routes: Arc<Routes>,
    pub http: Http,
    pub handshake_timeout: Duration,
    /// Add Envoy's `X-Forwarded-Client-Cert` upstream.
    pub forward_client_cert: bool,
    pub limit: Arc<Semaphore>,
    /// Handshake failures so far, per reason code.
    pub failures: Mutex<HashMap<&'static str, u64>>,
}

/// The hyper server settings, built once: HTTP/1.1 with a header read timeout (which also
/// closes a connection that sends no request, or no next request, in time) and a head size
/// limit; h2 with a header list limit.
#[derive(Clone, Debug)]
pub struct Http {
    pub http1: http1::Builder,
    pub http2: http2::Builder<TokioExecutor>,
}

impl Http {
    pub fn new(header_timeout: Duration, max_header_size: usize) -> Http {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_buf_size(max_header_size)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(max_header_size).unwrap_or(u32::MAX));
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

/// Accepts forever on one listener.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok(permit) = shared.limit.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((tcp, peer)) => {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(connection(tcp, peer, shared.clone(), permit));
            }
            Err(e) => {
                // Out of descriptors and the like: say so, give the system a moment.
                tracing::error!(target: "mtlskit::listener", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

fn log_failure(shared: &Shared, peer: SocketAddr, e: &Explained, hello: Option<&Hello>) {
    let count = match shared.failures.lock() {
        Ok(mut m) => {
            let n = m.entry(e.code).or_insert(0);
            *n += 1;
            *n
        }
        Err(_) => 0,
    };
    let ja4 = hello.and_then(|h| h.ja4.as_deref());
    let offered = hello.map(|h| h.versions.join(","));
    let diagnosis = (!e.diagnosis.is_empty()).then(|| e.diagnosis.join("; "));
    if e.code == "client_closed" {
        // Port probes and health checks: nginx logs these at info, below its default level.
        tracing::debug!(target: "mtlskit::handshake", client = %peer, code = e.code, reason = %e.reason, ja4, offered_versions = offered);
        return;
    }
    tracing::warn!(
        target: "mtlskit::handshake",
        client = %peer,
        code = e.code,
        count,
        reason = %e.reason,
        diagnosis,
        ja4,
        offered_versions = offered,
        "handshake failed from {peer}: {}", e.reason
    );
}

fn version_name(v: Option<rustls::ProtocolVersion>) -> &'static str {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    }
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    slot: OwnedSemaphorePermit,
) {
    let accept = TlsAcceptor::from(shared.tls.clone()).accept(Recorder::new(tcp));
    let handshake = REJECTION.scope(RefCell::new(None), async {
        let result = tokio::time::timeout(shared.handshake_timeout, accept).await;
        let explained = REJECTION.with(|c| c.borrow_mut().take());
        (result, explained)
    });
    let ((result, explained), bytes) = hello::record(handshake).await;
    let hello = Hello::decode(&bytes);
    drop(bytes);
    let stream = match result {
        Err(_) => {
            let e = Explained::new(
                "handshake_timeout",
                format!(
                    "client did not complete the handshake within {}s",
                    shared.handshake_timeout.as_secs_f64()
                ),
            );
            log_failure(&shared, peer, &e, hello.as_ref());
            return;
        }
        Ok(Err(err)) => {
            let e = explained.unwrap_or_else(|| explain::handshake_error(&err));
            log_failure(&shared, peer, &e, hello.as_ref());
            return;
        }
        Ok(Ok(stream)) => stream,
    };
    let info = {
        let (_, tls) = stream.get_ref();
        Arc::new(ConnInfo {
            peer,
            sni: tls.server_name().map(str::to_string),
            tls_version: version_name(tls.protocol_version()),
            suite: tls
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or("unknown"),
            resumed: matches!(tls.handshake_kind(), Some(rustls::HandshakeKind::Resumed)),
            ja4: hello.and_then(|h| h.ja4),
            identity: Identity::new(tls.peer_certificates(), shared.forward_client_cert),
            _slot: slot,
        })
    };
    let routes = shared.routes.clone();
    let service = service_fn(move |req| super::handler::handle(req, info.clone(), routes.clone()));
    // h2 only when ALPN chose it (RFC 9113 3.2: h2 over TLS is negotiated by ALPN), so no
    // bytes are read to sniff the protocol, and the HTTP/1.1 header timer starts at once.
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(stream);
    let ended = if h2 {
        shared.http.http2.serve_connection(io, service).await
    } else {
        shared
            .http
            .http1
            .serve_connection(io, service)
            .with_upgrades()
            .await
    };
    if let Err(e) = ended {
        tracing::debug!(target: "mtlskit::connection", client = %peer, "connection ended: {e}");
    }
}
