//! The admin listener (`[admin] listen`): plain HTTP/1.1 on a loopback address unless the
//! config says otherwise, for the operator's tools, not for clients.
//!
//! - `GET /metrics`: [`super::metrics`] in the OpenMetrics text format;
//! - `GET /healthz`: 200 while the process serves (it answers, so it lives);
//! - `GET /readyz`: 200 while accepting, 503 once draining (a load balancer stops sending);
//! - `GET /config`: the effective config of the current generation as TOML (file paths only:
//!   the config never holds key material, only where it is);
//! - `GET /inspect/`: with `inspector = true`, the web inspector (the page built into the
//!   binary, or `inspector_dir`), answered by [`crate::page`] as `mtlskit web` answers.

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
                async move { Ok::<_, Infallible>(answer(&req, &shared).await) }
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

async fn answer(req: &Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
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
    if let Some(page) = req.uri().path().strip_prefix("/inspect") {
        let config = &generation.config;
        if config.admin.inspector {
            return inspect(req, page, config).await;
        }
    }
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
            "404 Not Found: /metrics, /healthz, /readyz, /config (and /inspect/ with [admin] inspector = true)\n".into(),
        ),
    }
}

/// The web inspector under `/inspect/` (`page` is the rest of the path).
async fn inspect(
    req: &Request<Incoming>,
    page: &str,
    config: &crate::config::Config,
) -> Response<Full<Bytes>> {
    if page.is_empty() {
        // The page's URLs are relative to its folder: /inspect must become /inspect/.
        let mut r = text(
            StatusCode::MOVED_PERMANENTLY,
            "text/plain; charset=utf-8",
            "/inspect/\n".into(),
        );
        r.headers_mut().insert(
            header::LOCATION,
            header::HeaderValue::from_static("/inspect/"),
        );
        return r;
    }
    if !page.starts_with('/') {
        return text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "404 Not Found\n".into(),
        );
    }
    let source = match &config.admin.inspector_dir {
        Some(dir) => crate::page::Source::Folder(config.resolve(dir)),
        None => match crate::page::Source::embedded() {
            Some(s) => s,
            None => {
                return text(
                    StatusCode::NOT_FOUND,
                    "text/plain; charset=utf-8",
                    "404 Not Found: this mtlskit has no page built in (cargo xtask dist makes one that has); or set [admin] inspector_dir\n".into(),
                )
            }
        },
    };
    crate::page::respond(req.method(), page, req.headers(), &source).await
}
