//! The numbers behind the admin listener's `/metrics` (docs/config.md, "Admin and metrics"), in
//! the Prometheus / OpenMetrics text format of the `prometheus-client` crate.
//!
//! Counters are counted where things happen (a handshake, a request's log line, a denial, a
//! reload); gauges that are a state (open connections and tunnels) and the expiry gauges
//! (seconds left for every certificate and CRL the current generation uses, and for the
//! soonest-expiring client certificate seen in the last hour) are set when `/metrics` is read.
//! Label values come from the config and from a bounded vocabulary (codes, statuses), never
//! unbounded client input, except the subjects of client certificates, of which only the
//! soonest one is exported.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// `mtlskit_handshakes_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandshakeLabels {
    /// `ok` or `failed`.
    pub result: &'static str,
    /// The failure code (docs/diagnosis.md), empty for `ok`.
    pub code: &'static str,
    /// `TLSv1.3`, `TLSv1.2`, empty when the handshake failed.
    pub version: &'static str,
    /// `true` when the session was resumed.
    pub resumed: &'static str,
}

/// `mtlskit_requests_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The server block (its first server name, or `default`).
    pub server: Arc<str>,
    /// The location's path prefix, empty when none matched.
    pub location: Arc<str>,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LocationLabels {
    location: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabels {
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExpiryLabels {
    role: &'static str,
    subject: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// A certificate or CRL whose end the expiry gauge shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiry {
    /// `server`, `client_ca`, `upstream_ca`, `upstream_client`, `crl`.
    pub role: &'static str,
    /// Its subject (a CRL: its issuer), RFC 4514.
    pub subject: String,
    /// notAfter (a CRL: nextUpdate), Unix seconds.
    pub at: i64,
}

/// Client certificates remembered for the "soonest-expiring in the last hour" gauge.
const CLIENTS_KEPT: usize = 4096;
const CLIENT_WINDOW: Duration = Duration::from_secs(3600);

type Histograms = Family<LocationLabels, Histogram, fn() -> Histogram>;

/// Every metric of the process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    handshakes: Family<HandshakeLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    authz_denied: Family<RuleLabels, Counter>,
    upstream_connect: Histograms,
    upstream_response: Histograms,
    connections: Gauge,
    tunnels: Gauge,
    bytes: Family<DirectionLabels, Counter>,
    /// `bytes{direction="in"}` and `"out"`, held so a request does not look them up.
    bytes_in: Counter,
    bytes_out: Counter,
    expiry: Family<ExpiryLabels, Gauge>,
    reloads: Family<ResultLabels, Counter>,
    /// Client certificates seen: subject -> (notAfter, last seen).
    clients: Mutex<HashMap<String, (i64, Instant)>>,
}

fn latency() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mtlskit");
        let bytes: Family<DirectionLabels, Counter> = Family::default();
        let m = Metrics {
            bytes_in: bytes.get_or_create_owned(&DirectionLabels { direction: "in" }),
            bytes_out: bytes.get_or_create_owned(&DirectionLabels { direction: "out" }),
            bytes,
            handshakes: Family::default(),
            requests: Family::default(),
            authz_denied: Family::default(),
            upstream_connect: Family::new_with_constructor(latency as fn() -> Histogram),
            upstream_response: Family::new_with_constructor(latency as fn() -> Histogram),
            connections: Gauge::default(),
            tunnels: Gauge::default(),
            expiry: Family::default(),
            reloads: Family::default(),
            clients: Mutex::new(HashMap::new()),
            registry: Registry::default(),
        };
        registry.register(
            "handshakes",
            "TLS handshakes by result, failure code, version and resumption",
            m.handshakes.clone(),
        );
        registry.register(
            "requests",
            "Requests by server, location and status",
            m.requests.clone(),
        );
        registry.register(
            "authz_denied",
            "Requests refused by an allow or deny rule, by rule",
            m.authz_denied.clone(),
        );
        registry.register(
            "upstream_connect_seconds",
            "Time to connect to an upstream, TLS included, by location",
            m.upstream_connect.clone(),
        );
        registry.register(
            "upstream_response_seconds",
            "Time from sending a request upstream to its response head, by location",
            m.upstream_response.clone(),
        );
        registry.register(
            "connections_open",
            "Client connections open (handshaking, serving or upgraded)",
            m.connections.clone(),
        );
        registry.register(
            "tunnels_open",
            "Upgraded (WebSocket) connections open",
            m.tunnels.clone(),
        );
        registry.register(
            "bytes",
            "Body bytes from clients (in) and to clients (out)",
            m.bytes.clone(),
        );
        registry.register(
            "certificate_expiry_seconds",
            "Seconds until notAfter of each certificate in use (server, client_ca, upstream_ca, upstream_client), until nextUpdate of each CRL (crl), and until notAfter of the soonest-expiring client certificate seen in the last hour (client)",
            m.expiry.clone(),
        );
        registry.register(
            "reloads",
            "Reloads by result (ok, refused)",
            m.reloads.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// A handshake that completed.
    pub fn handshake_ok(&self, version: &'static str, resumed: bool) {
        self.handshakes
            .get_or_create(&HandshakeLabels {
                result: "ok",
                code: "",
                version,
                resumed: if resumed { "true" } else { "false" },
            })
            .inc();
    }

    /// A handshake that failed with `code`.
    pub fn handshake_failed(&self, code: &'static str) {
        self.handshakes
            .get_or_create(&HandshakeLabels {
                result: "failed",
                code,
                version: "",
                resumed: "false",
            })
            .inc();
    }

    /// A request's log line: its server, location and status, and the body bytes it sent.
    pub fn request(&self, labels: RequestLabels, bytes_out: u64) {
        self.requests.get_or_create(&labels).inc();
        self.bytes_out.inc_by(bytes_out);
    }

    /// The counter of request body bytes from clients, counted as they arrive.
    pub fn bytes_in(&self) -> Counter {
        self.bytes_in.clone()
    }

    /// A request an authorization rule refused (`rule`: the access log's `authz`).
    pub fn denied(&self, rule: &str) {
        self.authz_denied
            .get_or_create(&RuleLabels {
                rule: rule.to_string(),
            })
            .inc();
    }

    /// The connect-time histogram of one location (kept by its upstream client).
    pub fn connect_histogram(&self, location: &str) -> Histogram {
        self.upstream_connect.get_or_create_owned(&LocationLabels {
            location: location.to_string(),
        })
    }

    /// The response-time histogram of one location.
    pub fn response_histogram(&self, location: &str) -> Histogram {
        self.upstream_response.get_or_create_owned(&LocationLabels {
            location: location.to_string(),
        })
    }

    /// A reload, `ok` or `refused`.
    pub fn reload(&self, ok: bool) {
        self.reloads
            .get_or_create(&ResultLabels {
                result: if ok { "ok" } else { "refused" },
            })
            .inc();
    }

    /// A verified client certificate, for the soonest-expiring gauge.
    pub fn client_seen(&self, subject: &str, not_after: i64) {
        let Ok(mut seen) = self.clients.lock() else {
            return;
        };
        let now = Instant::now();
        if seen.len() >= CLIENTS_KEPT && !seen.contains_key(subject) {
            seen.retain(|_, (_, at)| now.duration_since(*at) < CLIENT_WINDOW);
            if seen.len() >= CLIENTS_KEPT {
                // Keep the soonest-expiring ones: drop the latest notAfter.
                if let Some(latest) = seen
                    .iter()
                    .max_by_key(|(_, (n, _))| *n)
                    .map(|(k, _)| k.clone())
                {
                    if not_after >= seen.get(&latest).map_or(i64::MAX, |v| v.0) {
                        return;
                    }
                    seen.remove(&latest);
                }
            }
        }
        seen.insert(subject.to_string(), (not_after, now));
    }

    /// The text for `/metrics`, with the state gauges set from `open`, `tunnels` and the
    /// expiries of the current generation.
    pub fn render(&self, open: usize, tunnels: usize, expiries: &[Expiry]) -> String {
        let now = mtlskit_inspect::Timestamp::now().0;
        self.connections
            .set(i64::try_from(open).unwrap_or(i64::MAX));
        self.tunnels.set(i64::try_from(tunnels).unwrap_or(i64::MAX));
        self.expiry.clear();
        for e in expiries {
            self.expiry
                .get_or_create(&ExpiryLabels {
                    role: e.role,
                    subject: e.subject.clone(),
                })
                .set(e.at - now);
        }
        if let Ok(mut seen) = self.clients.lock() {
            let t = Instant::now();
            seen.retain(|_, (_, at)| t.duration_since(*at) < CLIENT_WINDOW);
            if let Some((subject, (not_after, _))) = seen.iter().min_by_key(|(_, (n, _))| *n) {
                self.expiry
                    .get_or_create(&ExpiryLabels {
                        role: "client",
                        subject: subject.clone(),
                    })
                    .set(not_after - now);
            }
        }
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
