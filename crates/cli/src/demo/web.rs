//! Serves the built web inspector (trunk's `dist/`) over plain HTTP on 127.0.0.1: GET of files
//! under the folder only, with the content types browsers need for wasm.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// Binds the inspector's server and returns its address; it serves until the process ends.
pub async fn start(root: PathBuf, addr: SocketAddr) -> Result<SocketAddr, String> {
    super::listen::serve_on(addr, move |tcp| {
        let root = root.clone();
        async move {
            let service = hyper::service::service_fn(move |req| serve(req, root.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        }
    })
    .await
}

async fn serve(
    req: Request<hyper::body::Incoming>,
    root: PathBuf,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let Some(path) = resolve(&root, req.uri().path()) else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut r = Response::new(Full::new(Bytes::from(bytes)));
            if let Ok(v) = hyper::header::HeaderValue::from_str(content_type(&path)) {
                r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
            }
            Ok(r)
        }
        Err(_) => Ok(status(StatusCode::NOT_FOUND)),
    }
}

/// The file for a URL path: `/` is index.html; `..` and absolute components are refused.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = url_path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let rel = Path::new(rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(
        code.canonical_reason().unwrap_or("error"),
    )));
    *r.status_mut() = code;
    r
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use std::path::Path;

    #[test]
    fn paths_stay_inside_the_folder() {
        let root = Path::new("/srv");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/app.wasm"), Some(root.join("app.wasm")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../b"), None);
    }
}
