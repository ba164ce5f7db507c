//! The mTLS reverse proxy (`mtlskit serve`) that replaces an nginx `ssl_verify_client` server
//! block.
//!
//! Everything a config decides (the rustls server config, the upstream clients and their pools,
//! the hyper settings) is built once per config generation, at start and at each reload,
//! before it serves ([`lifecycle`], [`reload`]); a connection only clones `Arc`s. Modules, one
//! concept each: [`tls_server`] and [`verifier`] (client verification),
//! [`resumption`] (the resumption policy), [`ticket_keys`] (ticket keys shared through files),
//! [`explain`] (why a handshake failed), [`hello`] (the ClientHello kept for JA4),
//! [`identity`] (headers upstream), [`upstream`] (pooled rustls clients), [`handler`] (one
//! request), [`listener`] (accept loop and limits), [`park`] (idle HTTP/1.1 connections
//! without HTTP state), [`access_log`] (logs).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::Error;

mod access_log;
mod admin;
mod body;
mod explain;
mod handler;
mod hello;
mod identity;
mod lifecycle;
mod listener;
mod metrics;
mod park;
mod path;
mod pool;
mod reload;
mod resumption;
mod send_timeout;
pub(crate) mod ticket_keys;
mod tls_server;
mod upstream;
mod verifier;

pub use access_log::LogError;
pub use ticket_keys::TicketKeyError;
pub use tls_server::TlsSetupError;

/// The client-certificate verifier `serve` runs for `config` (rustls-webpki wrapped with the
/// proxy's own limits, CRLs and `verify_depth` as configured), built exactly as a serving
/// generation builds it; for conformance harnesses (the x509-limbo harness, issue 16) that ask
/// it about chains without a handshake.
pub fn client_verifier(
    config: &Config,
) -> Result<std::sync::Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsSetupError> {
    Ok(tls_server::build(config, &tls_server::Resumption::default())?.verifier)
}

use lifecycle::{Generation, Phase};
use reload::{Running, Trigger};

/// How the proxy is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Stop accepting, close connections gracefully, let requests and tunnels in flight finish
    /// for up to `drain_timeout`, then close what is left (SIGTERM, SIGINT).
    Drain,
    /// Close everything at once (SIGQUIT, or a second SIGTERM/SIGINT while draining).
    Now,
}

/// Runs the proxy on a runtime of its own until SIGTERM or SIGINT (a drain) or SIGQUIT;
/// reloads on SIGHUP.
pub fn run(config: &Config) -> Result<(), Error> {
    // One worker (nginx's `worker_processes 1`, or a process pinned to one core) runs on
    // tokio's current-thread scheduler: no work-stealing queues or cross-thread wake-ups to
    // pay for when there is no other thread to steal.
    let workers = config.process.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let mut runtime = if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut multi = tokio::runtime::Builder::new_multi_thread();
        multi.worker_threads(workers);
        multi
    };
    let runtime = runtime.enable_all().build().map_err(Error::Runtime)?;
    let served = runtime.block_on(serve(config, shutdown_signal()));
    // Explanations still running on the blocking pool are bounded; do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));
    served
}

/// Serves on the caller's runtime (the demo runs it beside others) until `shutdown` completes,
/// then drains or closes as it says. Reloads on SIGHUP, and on changes of the files the config
/// names when `process.reload_poll` is set.
pub async fn serve(config: &Config, shutdown: impl Future<Output = Shutdown>) -> Result<(), Error> {
    // Log files, like every path of the config, are relative to the config's folder.
    let mut log = config.log.clone();
    for target in [&mut log.access, &mut log.error] {
        if !matches!(target.as_str(), "stdout" | "stderr" | "off") {
            *target = config
                .resolve(std::path::Path::new(target.as_str()))
                .display()
                .to_string();
        }
    }
    access_log::init(&log)?;
    // What `mtlskit check` calls an error stops the start; its warnings are logged.
    let findings = crate::check::check(config);
    for w in &findings.warnings {
        tracing::warn!(target: "mtlskit::config", "{w}");
    }
    if !findings.errors.is_empty() {
        for e in &findings.errors {
            tracing::error!(target: "mtlskit::config", "{e}");
        }
        return Err(Error::Check {
            errors: findings.errors,
        });
    }
    let metrics = Arc::new(metrics::Metrics::default());
    let (generation, resumption) = Generation::build(config, 1, &[], &metrics)?;
    reload::log_crls(&generation);
    let shared = Arc::new(listener::Shared::new(Arc::new(generation), metrics));
    let mut bound = Vec::new();
    for addr in listen_addresses(config) {
        let addr = &addr;
        let l = listener::bind(*addr).map_err(|source| Error::Bind {
            addr: *addr,
            source,
        })?;
        bound.push((*addr, l));
    }
    let admin = match config.admin.listen {
        Some(addr) => {
            let l = listener::bind(addr).map_err(|source| Error::Bind { addr, source })?;
            tracing::info!(target: "mtlskit::admin", address = %addr, "admin listener on http://{addr}/ (/metrics, /healthz, /readyz, /config)");
            Some(tokio::spawn(admin::serve(l, shared.clone())))
        }
        None => None,
    };
    let mut running = Running {
        shared: shared.clone(),
        path: (!config.path.is_empty()).then(|| config.path.clone().into()),
        listeners: HashMap::new(),
        resumption,
        seen: reload::fingerprint(&reload::watched(config)),
    };
    for (addr, l) in bound {
        if let Ok(a) = l.local_addr() {
            tracing::info!(target: "mtlskit::listener", address = %a, "listening on {a}");
        }
        running.listeners.insert(
            addr,
            tokio::spawn(listener::accept_loop(l, addr, shared.clone())),
        );
    }
    let pid_file = config.process.pid_file.as_ref().map(|p| config.resolve(p));
    if let Some(p) = &pid_file {
        if let Err(e) = reload::write_pid(p) {
            tracing::warn!(target: "mtlskit::listener", "cannot write the pid file {}: {e}", p.display());
        }
    }
    let how = wait(&mut running, shutdown).await;
    // Listening sockets closed (new connections are refused) before the drain begins.
    for (_, task) in running.listeners.drain() {
        task.abort();
        let _ = task.await;
    }
    let drain_timeout = shared.current().config.process.drain_timeout.0;
    stop(&shared, how, drain_timeout).await;
    if let Some(task) = admin {
        task.abort();
    }
    if let Some(p) = &pid_file {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

/// Every address a site of the config listens on, once each, in file order.
pub(crate) fn listen_addresses(config: &Config) -> Vec<std::net::SocketAddr> {
    let mut out = Vec::new();
    for site in config.sites() {
        for a in site.server.listen {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// Serves, reloading on SIGHUP and on file changes, until `shutdown` says how to stop.
async fn wait(running: &mut Running, shutdown: impl Future<Output = Shutdown>) -> Shutdown {
    tokio::pin!(shutdown);
    let mut hup = hangup();
    // A change is acted on once the files have stayed as they are for one more poll, so a
    // certificate and its key copied one after the other are read together.
    let mut pending: Option<reload::Fingerprint> = None;
    loop {
        let poll = running.shared.current().config.process.reload_poll.0;
        let tick = async {
            if poll.is_zero() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(poll).await;
        };
        tokio::select! {
            how = &mut shutdown => return how,
            () = hup.recv() => {
                pending = None;
                reload::reload(running, Trigger::Signal);
            }
            () = tick => {
                let now = reload::fingerprint(&reload::watched(&running.shared.current().config));
                if now == running.seen {
                    pending = None;
                } else if pending.as_ref() == Some(&now) {
                    pending = None;
                    reload::reload(running, Trigger::FileChange);
                } else {
                    pending = Some(now);
                }
            }
        }
    }
}

/// Drains (up to `drain_timeout`) or closes at once, logging what was open and what was cut.
async fn stop(shared: &listener::Shared, how: Shutdown, drain_timeout: Duration) {
    let (open, tunnels) = (shared.open_connections(), shared.open_tunnels());
    if how == Shutdown::Drain {
        tracing::info!(
            target: "mtlskit::listener",
            connections = open,
            tunnels,
            "draining: no longer accepting; {open} connections open ({tunnels} upgraded), waiting up to {}s for them to finish",
            drain_timeout.as_secs_f64()
        );
        shared.control.send_modify(|c| c.phase = Phase::Draining);
        let total = u32::try_from(
            shared
                .limit_total
                .load(std::sync::atomic::Ordering::Relaxed),
        )
        .unwrap_or(u32::MAX);
        let started = tokio::time::Instant::now();
        let all_done = async {
            // Every slot free again: every connection and tunnel has ended.
            let _all = shared.limit.acquire_many(total).await;
        };
        let interrupted = tokio::select! {
            r = tokio::time::timeout(drain_timeout, all_done) => r.is_err(),
            _ = shutdown_signal() => true,
        };
        if !interrupted {
            tracing::info!(
                target: "mtlskit::listener",
                "drained: all {open} connections finished in {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let (left, tunnels_left) = (shared.open_connections(), shared.open_tunnels());
    if left > 0 || how == Shutdown::Now {
        tracing::warn!(
            target: "mtlskit::listener",
            connections = left,
            tunnels = tunnels_left,
            "closing {left} connections ({tunnels_left} upgraded) now"
        );
    }
    shared.control.send_modify(|c| c.phase = Phase::Closing);
    tracing::info!(target: "mtlskit::listener", "stopped");
}

/// SIGHUP, where there are signals.
struct Hangup(#[cfg(unix)] Option<tokio::signal::unix::Signal>);

fn hangup() -> Hangup {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        Hangup(signal(SignalKind::hangup()).ok())
    }
    #[cfg(not(unix))]
    Hangup()
}

impl Hangup {
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = &mut self.0 {
            if s.recv().await.is_some() {
                return;
            }
        }
        std::future::pending::<()>().await;
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM with [`Shutdown::Drain`], on SIGQUIT with
/// [`Shutdown::Now`].
pub async fn shutdown_signal() -> Shutdown {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut quit)) =
            (signal(SignalKind::terminate()), signal(SignalKind::quit()))
        {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => Shutdown::Drain,
                _ = term.recv() => Shutdown::Drain,
                _ = quit.recv() => Shutdown::Now,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    Shutdown::Drain
}
