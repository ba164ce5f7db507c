//! The web inspector's page server, one for every front end: `mtlskit web`, `mtlskit demo` and
//! the proxy's admin listener (`[admin] inspector`, under `/inspect/`) all answer with
//! [`respond`]. The page is the one embedded in the binary (the cli crate's `web` feature: its
//! build.rs makes the table and [`embed`] hands it over at start), or a folder built by trunk
//! (`dist/`). GET and HEAD of its files only, with:
//! - the content types browsers need (`application/wasm` for `WebAssembly.instantiateStreaming`);
//! - the brotli or gzip copy made at build time, to clients that accept it (a folder: `FILE.br`
//!   and `FILE.gz` beside it, as nginx's `brotli_static` and `gzip_static`), brotli first, with
//!   `Vary: Accept-Encoding`;
//! - `Cache-Control`: trunk's content-hashed files (`name-<hex>.ext`) are immutable for a
//!   year, the rest (index.html, favicon.ico) is revalidated each time;
//! - a Content-Security-Policy that allows the page's own origin only: no other host for scripts,
//!   styles, images, fonts or connections; inline scripts only by the SHA-256 of the ones
//!   index.html holds (trunk's loader); no framing, no forms, no `<base>`.
//!
//! The page's own URLs are relative (Trunk.toml `public_url = "./"`), so it works under any
//! prefix.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::Full;
use sha2::Digest as _;

/// One file of the embedded page.
#[derive(Debug)]
pub struct Asset {
    /// Its path under the page's root, `/`-separated.
    pub path: &'static str,
    /// Its bytes.
    pub raw: &'static [u8],
    /// Its gzip copy, when that is a tenth smaller.
    pub gzip: Option<&'static [u8]>,
    /// Its brotli copy, when that is a tenth smaller.
    pub br: Option<&'static [u8]>,
}

/// The page the binary carries, handed over once at start by the binary that embeds it.
static EMBEDDED: OnceLock<&'static [Asset]> = OnceLock::new();

/// Makes `assets` the page built into this process (the binary calls it first thing; a second
/// call changes nothing).
pub fn embed(assets: &'static [Asset]) {
    let _ = EMBEDDED.set(assets);
}

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
        embedded()
            .iter()
            .any(|a| a.path == "index.html")
            .then_some(Source::Embedded)
    }
}

fn embedded() -> &'static [Asset] {
    EMBEDDED.get().copied().unwrap_or(&[])
}

/// A file found: its bytes and its compressed copies.
struct Found {
    body: Cow<'static, [u8]>,
    gzip: Option<Cow<'static, [u8]>>,
    br: Option<Cow<'static, [u8]>>,
}

/// The answer to `method` on `path` (relative to where the page is mounted: `/` is
/// index.html) with the request's `headers`.
pub async fn respond(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    source: &Source,
) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        let mut r = status(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(rel) = resolve(path) else {
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
    let compressed = found.gzip.is_some() || found.br.is_some();
    let (body, encoding) = match (found.br, found.gzip) {
        (Some(br), _) if accepts(headers, "br") => (br, Some("br")),
        (_, Some(gz)) if accepts(headers, "gzip") => (gz, Some("gzip")),
        _ => (found.body, None),
    };
    let body = if method == Method::HEAD {
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
    if compressed {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if let Some(e) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
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
        Source::Embedded => embedded().iter().find(|a| a.path == rel).map(|a| Found {
            body: Cow::Borrowed(a.raw),
            gzip: a.gzip.map(Cow::Borrowed),
            br: a.br.map(Cow::Borrowed),
        }),
        Source::Folder(root) => {
            let path = root.join(rel);
            let body = tokio::fs::read(&path).await.ok()?;
            let beside = |ext: &str| {
                let mut p = path.clone().into_os_string();
                p.push(ext);
                p
            };
            Some(Found {
                body: Cow::Owned(body),
                gzip: tokio::fs::read(beside(".gz")).await.ok().map(Cow::Owned),
                br: tokio::fs::read(beside(".br")).await.ok().map(Cow::Owned),
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
    (ok && !rel.ends_with(".gz") && !rel.ends_with(".br")).then(|| rel.to_string())
}

/// Whether the request's `Accept-Encoding` lists `coding` (or `*`) with a non-zero quality.
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case(coding) || name == "*") && !zero
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_page() {
        assert_eq!(resolve("/").as_deref(), Some("index.html"));
        assert_eq!(resolve("/app.wasm").as_deref(), Some("app.wasm"));
        assert_eq!(resolve("/../etc/passwd"), None);
        assert_eq!(resolve("/a/../../b"), None);
        assert_eq!(resolve("/app.wasm.gz"), None);
        assert_eq!(resolve("/app.wasm.br"), None);
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
    fn an_encoding_only_when_accepted() {
        let mut h = HeaderMap::new();
        assert!(!accepts(&h, "gzip"));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts(&h, "gzip") && accepts(&h, "br"));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts(&h, "gzip") && accepts(&h, "br"));
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
