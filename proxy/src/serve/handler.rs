//! One proxied request: route by path prefix, strip hop-by-hop and client-supplied identity
//! headers, add the verified identity and X-Forwarded-*, send upstream, stream the answer back.
//! Bodies are passed through as streams in both directions, never collected.
//!
//! An HTTP/1.1 Upgrade request (WebSocket) keeps its `Upgrade` and `Connection: upgrade`, goes
//! to the upstream over HTTP/1.1, and when the upstream answers 101 both connections are taken
//! over (the upstream's from hyper, `hyper::upgrade::on`; the client's from the listener once
//! hyper has sent the 101, [`super::park::UpgradeSlot`]) and bytes are copied both ways until
//! either side closes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Version};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use super::access_log::{self, ConnInfo, LoggedBody};
use super::body::{ReadTimeout, Signalled};
use super::path;
use super::pool::UpstreamBody;
use super::upstream::{classify, Routes};

/// The body of every response the proxy sends.
pub type ProxyBody = LoggedBody<Either<ReadTimeout<UpstreamBody>, Full<Bytes>>>;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
/// RFC 7540 3.2's h2c upgrade settings: never passed, whatever `Connection` says.
const HTTP2_SETTINGS: HeaderName = HeaderName::from_static("http2-settings");

/// What the proxy does with what a client says about itself, built once from `[server]`.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Pass header names with `_` (nginx `underscores_in_headers`).
    pub underscores: bool,
    /// Append the client's address to its `X-Forwarded-For` (else replace it).
    pub append_forwarded_for: bool,
    /// Refuse with 421 a request whose Host (or `:authority`) disagrees with the SNI or is
    /// not one of `server_names`.
    pub host_must_match: bool,
    /// `server_names`, lowercase.
    pub server_names: Vec<String>,
    /// Pass `%2F` in paths (`allow_encoded_slashes`); off, such a request gets 400.
    pub encoded_slashes: bool,
    /// Protocols a client may upgrade to (`upgrades`), lowercase.
    pub upgrades: Vec<String>,
}

impl Policy {
    /// Whether the request's host may be served on this connection: the same name as the
    /// client's SNI (when it sent one), and one of `server_names` (when there are any).
    fn host_ok(
        &self,
        host: Option<&HeaderValue>,
        authority: Option<&str>,
        sni: Option<&str>,
    ) -> bool {
        if !self.host_must_match {
            return true;
        }
        // Compared in place, without allocating: this runs on every request.
        let ok = |v: &str| {
            let v = v.trim();
            // "[::1]:443" -> "::1"; "host:443" -> "host".
            let v = match v.strip_prefix('[') {
                Some(rest) => rest.split(']').next().unwrap_or(""),
                None => v.rsplit_once(':').map_or(v, |(h, _)| h),
            };
            let n = v.trim_end_matches('.');
            sni.is_none_or(|s| s.eq_ignore_ascii_case(n))
                && (self.server_names.is_empty()
                    || self.server_names.iter().any(|s| s.eq_ignore_ascii_case(n)))
        };
        host.and_then(|h| h.to_str().ok())
            .into_iter()
            .chain(authority)
            .all(ok)
    }
}

/// The headers that belong to one connection (RFC 9110 7.6.1), and the client's
/// `Proxy-Authorization` and h2c settings, which are not the upstream's either.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
    HTTP2_SETTINGS,
];

/// Removes the headers that belong to one connection (RFC 9110 7.6.1).
fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Most messages have none: one pass over their few names costs less than nine removals,
    // each a hash and a probe. A name listed in `Connection` needs `Connection` there.
    if !h.keys().any(|n| HOP_BY_HOP.contains(n)) {
        return;
    }
    let listed: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        h.remove(name);
    }
    for name in &HOP_BY_HOP {
        h.remove(name);
    }
}

fn plain(status: StatusCode, record: access_log::Request) -> Response<ProxyBody> {
    let text = match status {
        StatusCode::NOT_FOUND => "404 Not Found: no location matches this path\n",
        StatusCode::GATEWAY_TIMEOUT => "504 Gateway Timeout\n",
        StatusCode::BAD_REQUEST => "400 Bad Request: the path cannot be normalised\n",
        StatusCode::SERVICE_UNAVAILABLE => "503 Service Unavailable: the upstream is busy\n",
        StatusCode::MISDIRECTED_REQUEST => {
            "421 Misdirected Request: this host is not served on this connection\n"
        }
        _ => "502 Bad Gateway\n",
    };
    text_response(status, text, record)
}

/// A short `text/plain` answer of the proxy's own.
fn text_response(
    status: StatusCode,
    text: impl Into<Bytes>,
    record: access_log::Request,
) -> Response<ProxyBody> {
    let mut r = Response::new(LoggedBody::new(
        Either::Right(Full::new(text.into())),
        access_log::Request {
            status: status.as_u16(),
            ..record
        },
    ));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The `Upgrade` value of an HTTP/1.1 request that asks to switch to protocols all in
/// `allowed` (lowercase names, `upgrades` in the config; never h2c). Any other asks is an
/// ordinary request: its `Upgrade` goes with the hop-by-hop headers.
fn upgrade_of(req: &Request<Incoming>, allowed: &[String]) -> Option<HeaderValue> {
    if req.version() != Version::HTTP_11 {
        return None;
    }
    let value = req.headers().get(header::UPGRADE)?;
    let wanted = value.to_str().ok()?;
    let ok = wanted.split(',').all(|p| {
        let name = p
            .split('/')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        name != "h2c" && allowed.contains(&name)
    });
    if !ok {
        return None;
    }
    let asks = req
        .headers()
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| value.clone())
}

/// The client's stream after a `101`, from the listener ([`super::park::UpgradeSlot`]).
type ClientSide = tokio::sync::oneshot::Receiver<Box<dyn super::park::ClientIo>>;

/// Copies bytes both ways between the upgraded client and upstream connections.
async fn tunnel(client: ClientSide, upstream: OnUpgrade, conn: Arc<ConnInfo>) {
    let (client, upstream) = tokio::join!(client, upstream);
    let (Ok(mut c), Ok(upstream)) = (client, upstream) else {
        tracing::debug!(target: "mtlskit::upgrade", client = %conn.peer, "upgrade did not complete");
        return;
    };
    let mut u = TokioIo::new(upstream);
    // Counted for the drain's log; cut only when the proxy closes everything (the drain's
    // `drain_timeout`, or SIGQUIT): a reload lets it run on the old generation.
    let _counted = conn.lifecycle.tunnel();
    let copied = tokio::select! {
        r = tokio::io::copy_bidirectional(&mut c, &mut u) => r,
        () = conn.lifecycle.closing() => {
            tracing::info!(target: "mtlskit::upgrade", client = %conn.peer, "upgraded connection cut: the proxy is closing");
            return;
        }
    };
    match copied {
        Ok((up, down)) => tracing::debug!(
            target: "mtlskit::upgrade",
            client = %conn.peer,
            "upgraded connection closed: {up} bytes up, {down} down"
        ),
        Err(e) => tracing::debug!(
            target: "mtlskit::upgrade",
            client = %conn.peer,
            "upgraded connection ended: {e}"
        ),
    }
}

/// Proxies one request.
pub async fn handle(
    req: Request<Incoming>,
    conn: Arc<ConnInfo>,
    routes: Arc<Routes>,
    policy: Arc<Policy>,
) -> Result<Response<ProxyBody>, Infallible> {
    let mut record = access_log::Request {
        conn: conn.clone(),
        method: req.method().clone(),
        uri: req.uri().clone(),
        status: 0,
        start: Instant::now(),
        upstream: None,
        location: None,
        authz: None,
        _in_flight: conn.activity.begin(),
        upstream_slot: None,
    };
    let authority = req.uri().authority().map(|a| a.as_str());
    if !policy.host_ok(
        req.headers().get(header::HOST),
        authority,
        conn.sni.as_deref(),
    ) {
        return Ok(plain(StatusCode::MISDIRECTED_REQUEST, record));
    }
    // Routing and the upstream see the same, normalised path (docs/config.md).
    let path = match path::normalise(req.uri().path(), policy.encoded_slashes) {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(target: "mtlskit::request", client = %conn.peer, "400: {}", e.reason());
            return Ok(plain(StatusCode::BAD_REQUEST, record));
        }
    };
    let Some(up) = routes.find(&path) else {
        return Ok(plain(StatusCode::NOT_FOUND, record));
    };
    record.upstream = Some(up.name.clone());
    record.location = Some(up.prefix.clone());
    // Authorization on the normalised path's location, before anything goes upstream.
    if let Err(denial) = up.authz.decide(conn.identity.info.as_ref()) {
        let label = denial.label();
        tracing::info!(
            target: "mtlskit::request",
            client = %conn.peer,
            path = %path,
            authz = %label,
            "403: {}", denial.body(conn.identity.subject()).trim_end()
        );
        conn.lifecycle.metrics.denied(&label);
        record.authz = Some(label);
        return Ok(text_response(
            StatusCode::FORBIDDEN,
            denial.body(conn.identity.subject()),
            record,
        ));
    }
    if let Some(slots) = &up.slots {
        let waited = tokio::time::timeout(up.queue_timeout, slots.clone().acquire_owned()).await;
        match waited {
            Ok(Ok(permit)) => record.upstream_slot = Some(permit),
            _ => {
                tracing::error!(
                    target: "mtlskit::upstream",
                    client = %conn.peer,
                    path = record.uri.path(),
                    "503: upstream {} is at max_conns; no place within queue_timeout", up.name
                );
                return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, record));
            }
        }
    }

    let upgrade = upgrade_of(&req, &policy.upgrades);
    let (mut parts, body) = req.into_parts();
    let host = parts.headers.get(header::HOST).cloned().or_else(|| {
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    if let Some(proto) = &upgrade {
        parts.headers.insert(header::UPGRADE, proto.clone());
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    // Room for what is added below (identity, X-Forwarded-*, X-Real-IP, Host), so the map
    // grows once rather than rehashing at each doubling.
    parts.headers.reserve(16);
    conn.identity
        .apply(&mut parts.headers, policy.underscores, &up.identity);
    // What the client says about addresses is dropped (RFC 7239's Forwarded, X-Real-IP), or
    // appended to (X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for) when configured.
    parts.headers.remove(header::FORWARDED);
    parts.headers.insert(X_REAL_IP, conn.peer_ip.clone());
    let previous = parts
        .headers
        .get(&X_FORWARDED_FOR)
        .and_then(|v| v.to_str().ok())
        .filter(|_| policy.append_forwarded_for);
    let xff = match previous {
        Some(prev) => HeaderValue::from_str(&format!(
            "{prev}, {}",
            conn.peer_ip.to_str().unwrap_or_default()
        ))
        .unwrap_or_else(|_| conn.peer_ip.clone()),
        None => conn.peer_ip.clone(),
    };
    parts.headers.insert(X_FORWARDED_FOR, xff);
    parts
        .headers
        .insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    match host {
        Some(h) => {
            parts.headers.insert(X_FORWARDED_HOST, h);
        }
        None => {
            parts.headers.remove(X_FORWARDED_HOST);
        }
    }

    // In origin form: the pool adds the upstream's scheme and authority where the protocol
    // wants them (h2), or its Host (HTTP/1.1). Parsed as a path, never as a URI, so a path
    // that begins `//` cannot be read as an authority.
    let Ok(target) = http::uri::PathAndQuery::try_from(up.target(&path, parts.uri.query())) else {
        return Ok(plain(StatusCode::BAD_GATEWAY, record));
    };
    parts.uri = http::Uri::from(target);
    // The upstream connection's own protocol (ALPN) decides; HTTP/1.1 is the neutral ask.
    parts.version = Version::HTTP_11;

    // read_timeout counts from the end of the request body: an upload takes the client's time.
    let (body, sent_all) = Signalled::new(body, conn.lifecycle.metrics.bytes_in());
    let asked = Instant::now();
    let sent = up
        .pool
        .send(Request::from_parts(parts, body), upgrade.is_some());
    let read_timeout = up.read_timeout;
    // Pinned here and polled through references: one copy of the future in this one.
    tokio::pin!(sent);
    let before_end = match sent_all {
        Some(sent_all) => tokio::select! {
            r = &mut sent => Some(r),
            _ = sent_all => None,
        },
        None => None,
    };
    let head = match before_end {
        Some(r) => Ok(r),
        None => tokio::time::timeout(read_timeout, sent.as_mut()).await,
    };
    match head {
        Ok(Ok(mut resp)) => {
            up.response_time.observe(asked.elapsed().as_secs_f64());
            let switched = match upgrade {
                Some(_) if resp.status() == StatusCode::SWITCHING_PROTOCOLS => {
                    let upstream_side = hyper::upgrade::on(&mut resp);
                    // The listener hands the client's stream over once the 101 is sent.
                    let client_side = conn.upgrade.expect();
                    tokio::spawn(tunnel(client_side, upstream_side, conn.clone()));
                    true
                }
                _ => false,
            };
            let (mut parts, body) = resp.into_parts();
            let proto = parts.headers.get(header::UPGRADE).cloned();
            strip_hop_by_hop(&mut parts.headers);
            // Sent to h2 clients as literals that are never indexed, as nginx sends response
            // headers (its HPACK encoder never refers to its dynamic table). The h2 crate's
            // encoder keeps each value a name has had in one chain of its dynamic table,
            // compares a new value with every one, then inserts it: a value that changes on
            // each response (`Date` every second, an `X-Request-Id` always) made each response
            // walk tens of entries and evict the stable ones. What it costs is bytes: a header
            // repeated on every response is sent in full each time. HTTP/1.1 ignores the flag.
            for value in parts.headers.values_mut() {
                value.set_sensitive(true);
            }
            if let (true, Some(proto)) = (switched, proto) {
                parts.headers.insert(header::UPGRADE, proto);
                parts
                    .headers
                    .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            }
            record.status = parts.status.as_u16();
            Ok(Response::from_parts(
                parts,
                LoggedBody::new(Either::Left(ReadTimeout::new(body, read_timeout)), record),
            ))
        }
        Ok(Err(e)) => {
            let why = classify(&e, up);
            tracing::error!(
                target: "mtlskit::upstream",
                client = %conn.peer,
                path = record.uri.path(),
                reason = %why,
                "502: {why}"
            );
            Ok(plain(StatusCode::BAD_GATEWAY, record))
        }
        Err(_) => {
            tracing::error!(
                target: "mtlskit::upstream",
                client = %conn.peer,
                path = record.uri.path(),
                "504: upstream {} sent no response head within read_timeout", up.name
            );
            Ok(plain(StatusCode::GATEWAY_TIMEOUT, record))
        }
    }
}
