//! Generations and phases: what a reload swaps and what a shutdown announces.
//!
//! Everything the config decides about serving (the rustls config, routes and upstream pools,
//! header policy, timers) is one [`Generation`], built whole before it is used. The proxy
//! publishes the current one, with the [`Phase`], on a tokio `watch` channel ([`Control`]): an
//! accept takes the generation current at that moment and the connection keeps it to its end,
//! so in-flight requests and tunnels finish on the config they began with; each connection
//! also watches the channel and closes gracefully (h2 GOAWAY, HTTP/1.1 `Connection: close` or
//! closed when idle) once a newer generation is published or the proxy drains, so keep-alive
//! clients move to the new config (a revoked client does not keep its connection), and drops
//! at once when the phase is [`Phase::Closing`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::handler::Policy;
use super::listener::{Http, Timers};
use super::metrics::{Expiry, Metrics};
use super::tls_server::{self, Anchors, Crls, Resumption};
use super::upstream::Routes;
use crate::config::{self, Config};
use crate::Error;

/// One config, ready to serve: every site (server block) built.
#[derive(Debug)]
pub struct Generation {
    /// 1 at start, one more at each successful reload.
    pub id: u64,
    /// The config it was built from (seen from its first site).
    pub config: Config,
    /// The sites, in file order; the first is the default.
    pub sites: Vec<Arc<Site>>,
    /// For each listening address, its sites in file order (the first answers when SNI names
    /// none of them).
    pub by_address: HashMap<SocketAddr, Vec<usize>>,
    /// Every certificate and CRL in use, for the expiry gauges.
    pub expiries: Vec<Expiry>,
}

/// One server block, ready to serve.
#[derive(Debug)]
pub struct Site {
    /// Its server names, lowercase (`*.example.org` matches one label).
    pub names: Vec<String>,
    pub tls: Arc<rustls::ServerConfig>,
    pub routes: Arc<Routes>,
    /// What passes of what clients say about themselves.
    pub policy: Arc<Policy>,
    pub http: Http,
    pub handshake_timeout: Duration,
    /// The timers of an established connection.
    pub timers: Timers,
    /// How long a write to a client may wait for it to read.
    pub client_send_timeout: Duration,
    /// Every identity header style a location of this site sends (each connection prepares
    /// these).
    pub identity_styles: Vec<config::IdentityHeaders>,
    /// The identities of recent client chains, shared by their connections.
    pub identities: super::identity::IdentityCache,
    /// `max_handshakes_per_address`.
    pub max_handshakes_per_address: usize,
    /// The client CA bundle, for explanations.
    pub anchors: Anchors,
    /// The CRLs, for explanations.
    pub crls: Crls,
    /// The site's name in the metrics (its first server name, or `default`).
    pub server_label: Arc<str>,
}

impl Generation {
    /// Builds generation `id` from a config that `check` found no error in, reusing `kept`'s
    /// session stores and ticket keys (one per site) where their settings did not change; also
    /// returns the resumption state to keep.
    pub fn build(
        config: &Config,
        id: u64,
        kept: &[Resumption],
        metrics: &Metrics,
    ) -> Result<(Generation, Vec<Resumption>), Error> {
        let mut sites = Vec::new();
        let mut resumption = Vec::new();
        let mut expiries_all = Vec::new();
        let mut by_address: HashMap<SocketAddr, Vec<usize>> = HashMap::new();
        for (i, site) in config.sites().iter().enumerate() {
            let (built, kept_next) =
                Site::build(site, kept.get(i).cloned().unwrap_or_default(), metrics)?;
            expiries_all.extend(built.1);
            sites.push(Arc::new(built.0));
            resumption.push(kept_next);
            for addr in &site.server.listen {
                by_address.entry(*addr).or_default().push(i);
            }
        }
        expiries_all.dedup();
        Ok((
            Generation {
                id,
                config: config.clone(),
                sites,
                by_address,
                expiries: expiries_all,
            },
            resumption,
        ))
    }

    /// The site for a connection to `addr` that asked for `sni`: the one whose server names
    /// cover it, else the address's first.
    pub fn site_for(&self, addr: &SocketAddr, sni: Option<&str>) -> Option<Arc<Site>> {
        let list = self.by_address.get(addr)?;
        let chosen = sni.and_then(|name| {
            let name = name.to_ascii_lowercase();
            list.iter().copied().find(|&i| {
                self.sites[i]
                    .names
                    .iter()
                    .any(|n| match n.strip_prefix("*.") {
                        Some(parent) => {
                            name.split_once('.').is_some_and(|(_, rest)| rest == parent)
                        }
                        None => *n == name,
                    })
            })
        });
        chosen
            .or(list.first().copied())
            .map(|i| self.sites[i].clone())
    }

    /// Whether SNI chooses among several sites on `addr` (else the one site's config serves
    /// the handshake from its first byte).
    pub fn shared(&self, addr: &SocketAddr) -> bool {
        self.by_address.get(addr).is_some_and(|l| l.len() > 1)
    }
}

impl Site {
    /// Builds one site from its single-site config.
    fn build(
        config: &Config,
        kept: Resumption,
        metrics: &Metrics,
    ) -> Result<((Site, Vec<Expiry>), Resumption), Error> {
        let built = tls_server::build(config, &kept)?;
        let routes = Arc::new(Routes::new(config, metrics)?);
        let expiries = expiries(config, &built);
        let s = &config.server;
        let site = Site {
            names: s
                .server_names
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .collect(),
            tls: built.tls,
            routes,
            policy: Arc::new(Policy {
                underscores: s.underscores_in_headers,
                append_forwarded_for: s.x_forwarded_for == config::ForwardedFor::Append,
                host_must_match: s.host_must_match,
                server_names: s
                    .server_names
                    .iter()
                    .map(|n| n.to_ascii_lowercase())
                    .collect(),
                encoded_slashes: s.allow_encoded_slashes,
                upgrades: s.upgrades.iter().map(|u| u.to_ascii_lowercase()).collect(),
            }),
            http: Http::new(
                s.header_timeout.0,
                s.max_header_size,
                s.h2_max_concurrent_streams,
            ),
            handshake_timeout: s.handshake_timeout.0,
            client_send_timeout: s.client_send_timeout.0,
            timers: Timers {
                header_timeout: s.header_timeout.0,
                idle_timeout: s.idle_timeout.0,
                max_connection_age: s.max_connection_age.0,
            },
            identities: super::identity::IdentityCache::default(),
            identity_styles: {
                let mut v: Vec<config::IdentityHeaders> = Vec::new();
                for l in &config.locations {
                    for st in l.identity_styles(s) {
                        if !v.contains(&st) {
                            v.push(st);
                        }
                    }
                }
                v
            },
            max_handshakes_per_address: s.max_handshakes_per_address,
            anchors: built.anchors,
            crls: built.crls,
            server_label: Arc::from(s.server_names.first().map_or("default", String::as_str)),
        };
        Ok(((site, expiries), built.resumption))
    }
}

/// The certificates and CRLs a generation uses, with their ends: the server certificate, the
/// client CA bundle, each location's trusted CAs and client certificate, the CRLs.
fn expiries(config: &Config, built: &tls_server::Built) -> Vec<Expiry> {
    use mtlskit_pki::load;
    let mut out = Vec::new();
    let mut add = |role: &'static str, der: &[u8]| {
        if let Some(i) = crate::certinfo::read(der) {
            out.push(Expiry {
                role,
                subject: i.subject.to_string(),
                at: i.not_after,
            });
        }
    };
    if let Ok(chain) = load::certificates(&config.resolve(&config.server.certificate)) {
        if let Some(leaf) = chain.first() {
            add("server", leaf.as_ref());
        }
    }
    // The bundles' own certificates, under their roles (anchors holds them all, in order).
    let mut roles: Vec<(&'static str, std::path::PathBuf)> = Vec::new();
    if let Some(ca) = &config.server.client_ca {
        roles.push(("client_ca", config.resolve(ca)));
    }
    for td in &config.trust_domains {
        roles.push(("spiffe_bundle", config.resolve(&td.bundle)));
    }
    if built.anchors.is_empty() {
        roles.clear();
    }
    for (role, path) in roles {
        for c in load::certificates(&path).unwrap_or_default() {
            add(role, c.as_ref());
        }
    }
    for l in &config.locations {
        for (role, file) in [
            ("upstream_ca", &l.trusted_ca),
            ("upstream_client", &l.client_certificate),
        ] {
            let Some(file) = file else { continue };
            if let Ok(certs) = load::certificates(&config.resolve(file)) {
                let take = if role == "upstream_client" {
                    1
                } else {
                    certs.len()
                };
                for c in certs.iter().take(take) {
                    add(role, c.as_ref());
                }
            }
        }
    }
    for c in built.crls.iter() {
        if let Some(i) = crate::certinfo::read_crl(c.der.as_ref()) {
            if let Some(next) = i.next_update {
                out.push(Expiry {
                    role: "crl",
                    subject: i.issuer.to_string(),
                    at: next,
                });
            }
        }
    }
    out.dedup();
    out
}

/// Where the proxy is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Accepting and serving.
    Serving,
    /// Not accepting; connections close gracefully, requests and tunnels in flight finish.
    Draining,
    /// Every connection and tunnel ends now.
    Closing,
}

/// What the proxy publishes to its connections.
#[derive(Clone, Debug)]
pub struct Control {
    pub generation: Arc<Generation>,
    pub phase: Phase,
}

/// A connection's view of the proxy's life, kept in its `ConnInfo` so that its tunnels see it
/// too.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    pub control: watch::Receiver<Control>,
    /// Upgraded connections (tunnels) open in the process.
    pub tunnels: Arc<AtomicUsize>,
    /// The process's metrics.
    pub metrics: Arc<Metrics>,
}

impl Lifecycle {
    /// Counts a tunnel until the guard is dropped.
    pub fn tunnel(&self) -> TunnelGuard {
        self.tunnels.fetch_add(1, Ordering::Relaxed);
        TunnelGuard(self.tunnels.clone())
    }

    /// Completes when the proxy closes everything (or is gone).
    pub async fn closing(&self) {
        let mut control = self.control.clone();
        let _ = control.wait_for(|c| c.phase == Phase::Closing).await;
    }
}

/// One open tunnel, counted while it lives.
#[derive(Debug)]
pub struct TunnelGuard(Arc<AtomicUsize>);

impl Drop for TunnelGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
