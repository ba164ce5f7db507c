//! Serves the web inspector over plain HTTP: `mtlskit web` and `mtlskit demo` share it. The page
//! is the one embedded in the binary (the `web` feature, build.rs) or a folder built by trunk
//! (`dist/`). GET and HEAD of its files only, with:
//! - the content types browsers need (`application/wasm` for `WebAssembly.instantiateStreaming`);
//! - the gzip copy build.rs made, to clients that accept gzip (a folder: `FILE.gz` beside it, as
//!   nginx's `gzip_static`), with `Vary: Accept-Encoding`;
//! - `Cache-Control`: trunk's content-hashed files (`name-<hex>.ext`) are immutable for a
//!   year, the rest (index.html, favicon.ico) is revalidated each time;
//! - a Content-Security-Policy that allows the page's own origin only: no other host for scripts,
//!   styles, images, fonts or connections; inline scripts only by the SHA-256 of the ones
//!   index.html holds (trunk's loader); no framing, no forms, no `<base>`.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::Digest as _;

/// One file of the embedded page.
pub struct Asset {
    /// Its path under the page's root, `/`-separated.
    pub path: &'static str,
    /// Its bytes.
    pub raw: &'static [u8],
    /// Its gzip copy, when that is a tenth smaller.
    pub gzip: Option<&'static [u8]>,
}

#[cfg(feature = "web")]
include!(concat!(env!("OUT_DIR"), "/page.rs"));

/// No page in a build without the `web` feature.
#[cfg(not(feature = "web"))]
pub static ASSETS: &[Asset] = &[];

/// Where the page comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The page embedded at build time.
    Embedded,
    /// A folder holding a built page (read at each request: trunk may rebuild it).
    Folder(PathBuf),
}

impl Source {
    /// The embedded page, if this binary was built with one.
    pub fn embedded() -> Option<Source> {
        ASSETS
            .iter()
            .any(|a| a.path == "index.html")
            .then_some(Source::Embedded)
    }
}

/// Binds the inspector's server and returns its address; it serves until the process ends.
pub async fn start(source: Source, addr: SocketAddr) -> Result<SocketAddr, String> {
    let source = Arc::new(source);
    crate::listen::serve_on(addr, move |tcp| {
        let source = Arc::clone(&source);
        async move {
            let service = hyper::service::service_fn(move |req| {
                let source = Arc::clone(&source);
                async move { Ok::<_, Infallible>(serve(&req, &source).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        }
    })
    .await
}

/// A file found: its bytes and whether they are the gzip copy.
struct Found {
    body: Cow<'static, [u8]>,
    gzip: Option<Cow<'static, [u8]>>,
}

async fn serve(req: &Request<hyper::body::Incoming>, source: &Source) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = status(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(rel) = resolve(req.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let Some(found) = find(source, &rel).await else {
        return status(StatusCode::NOT_FOUND);
    };
    let csp = if rel == "index.html" {
        policy(&found.body)
    } else {
        policy(b"")
    };
    let has_gzip = found.gzip.is_some();
    let (body, encoded) = match found.gzip {
        Some(gz) if accepts_gzip(req.headers()) => (gz, true),
        _ => (found.body, false),
    };
    let body = if req.method() == Method::HEAD {
        Bytes::new()
    } else {
        match body {
            Cow::Borrowed(b) => Bytes::from_static(b),
            Cow::Owned(v) => Bytes::from(v),
        }
    };
    let mut r = Response::new(Full::new(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&rel)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if content_hashed(&rel) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    if has_gzip {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if encoded {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    r
}

async fn find(source: &Source, rel: &str) -> Option<Found> {
    match source {
        Source::Embedded => ASSETS.iter().find(|a| a.path == rel).map(|a| Found {
            body: Cow::Borrowed(a.raw),
            gzip: a.gzip.map(Cow::Borrowed),
        }),
        Source::Folder(root) => {
            let path = root.join(rel);
            let body = tokio::fs::read(&path).await.ok()?;
            let mut gz = path.into_os_string();
            gz.push(".gz");
            let gzip = tokio::fs::read(&gz).await.ok();
            Some(Found {
                body: Cow::Owned(body),
                gzip: gzip.map(Cow::Owned),
            })
        }
    }
}

/// The page-relative path for a URL path: `/` is index.html; `..`, `.` and absolute components
/// are refused.
fn resolve(url_path: &str) -> Option<String> {
    let rel = url_path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let ok = Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    (ok && !rel.ends_with(".gz")).then(|| rel.to_string())
}

/// Whether the request's `Accept-Encoding` lists gzip (or `*`) with a non-zero quality.
fn accepts_gzip(headers: &hyper::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !zero
        })
}

/// trunk names the files it hashes `stem-<hex digits>[_bg].ext` (up to 16; leading zeros dropped): they never change.
fn content_hashed(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The Content-Security-Policy header: the page's origin only; the inline scripts of
/// `index_html` (trunk's loader) allowed by their SHA-256.
fn policy(index_html: &[u8]) -> String {
    let mut scripts = String::new();
    for script in inline_scripts(&String::from_utf8_lossy(index_html)) {
        let hash = sha2::Sha256::digest(script.as_bytes());
        scripts.push_str(" 'sha256-");
        scripts.push_str(&base64::engine::general_purpose::STANDARD.encode(hash));
        scripts.push('\'');
    }
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
         manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

/// The contents of the `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let open = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !open.contains(" src=") && !open.contains("\tsrc=") && !open.contains("\nsrc=") {
            out.push(&body[..close]);
        }
        rest = &body[close..];
    }
    out
}

fn content_type(rel: &str) -> &'static str {
    match rel.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
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
    use super::*;

    #[test]
    fn paths_stay_inside_the_page() {
        assert_eq!(resolve("/").as_deref(), Some("index.html"));
        assert_eq!(resolve("/app.wasm").as_deref(), Some("app.wasm"));
        assert_eq!(resolve("/../etc/passwd"), None);
        assert_eq!(resolve("/a/../../b"), None);
        assert_eq!(resolve("/app.wasm.gz"), None);
    }

    #[test]
    fn trunks_hashed_names_are_immutable() {
        assert!(content_hashed("mtlskit-web-0123456789abcdef_bg.wasm"));
        assert!(content_hashed("style-94aa3dfda771253.css"));
        assert!(!content_hashed("mtlskit-web.js"));
        assert!(!content_hashed("index.html"));
        assert!(!content_hashed("favicon.ico"));
    }

    #[test]
    fn gzip_only_when_accepted() {
        let mut h = hyper::HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
    }

    #[test]
    fn inline_loader_is_allowed_by_its_hash_only() {
        let html = "<script src=\"a.js\"></script><script type=\"module\">init()</script>";
        let p = policy(html.as_bytes());
        let hash =
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"init()"));
        assert!(p.contains(&format!("'sha256-{hash}'")), "{p}");
        assert!(!p.contains("unsafe-inline") && !p.contains("http"), "{p}");
    }
}
