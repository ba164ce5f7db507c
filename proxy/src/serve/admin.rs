//! The admin listener (`[admin] listen`): plain HTTP/1.1 on a loopback address unless the
//! config says otherwise, for the operator's tools, not for clients.
//!
//! - `GET /metrics`: [`super::metrics`] in the OpenMetrics text format;
//! - `GET /healthz`: 200 while the process serves (it answers, so it lives);
//! - `GET /readyz`: 200 while accepting, 503 once draining (a load balancer stops sending);
//! - `GET /config`: the effective config of the current generation as TOML (file paths only:
//!   the config never holds key material, only where it is).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::lifecycle::Phase;
use super::listener::Shared;

/// Time an admin client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the admin endpoints on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(answer(&req, &shared)) }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(tcp), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(target: "mtlskit::admin", client = %peer, "admin connection ended: {e}");
            }
        });
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}

fn answer(req: &Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            PLAIN,
            "405 Method Not Allowed: the admin endpoints are read with GET\n".into(),
        );
    }
    let (generation, phase) = {
        let c = shared.control.borrow();
        (c.generation.clone(), c.phase)
    };
    match req.uri().path() {
        "/metrics" => text(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            shared.metrics.render(
                shared.open_connections(),
                shared.open_tunnels(),
                &generation.expiries,
            ),
        ),
        "/healthz" => text(StatusCode::OK, PLAIN, "ok\n".into()),
        "/readyz" => match phase {
            Phase::Serving => text(StatusCode::OK, PLAIN, "ready\n".into()),
            _ => text(
                StatusCode::SERVICE_UNAVAILABLE,
                PLAIN,
                "draining: not accepting new connections\n".into(),
            ),
        },
        "/config" => match generation
            .config
            .sites()
            .iter()
            .map(toml::to_string)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(sites) => text(
                StatusCode::OK,
                "application/toml; charset=utf-8",
                format!(
                    "# generation {} (from {}){}",
                    generation.id,
                    generation.config.path,
                    sites
                        .iter()
                        .enumerate()
                        .map(|(i, t)| format!("\n# site {}\n{t}", i + 1))
                        .collect::<String>()
                ),
            ),
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                PLAIN,
                format!("the config cannot be written as TOML: {e}\n"),
            ),
        },
        _ => text(
            StatusCode::NOT_FOUND,
            PLAIN,
            "404 Not Found: /metrics, /healthz, /readyz, /config\n".into(),
        ),
    }
}
