//! The mTLS reverse proxy (`mtlskit serve`) that replaces an nginx `ssl_verify_client` server
//! block.
//!
//! Everything shared (the rustls server config, the upstream clients and their pools, the
//! hyper settings) is built once here before the first accept; a connection only clones
//! `Arc`s. Modules, one concept each: [`tls_server`] and [`verifier`] (client verification),
//! [`resumption`] (the resumption policy), [`explain`] (why a handshake failed), [`hello`]
//! (the ClientHello kept for JA4), [`identity`] (headers upstream), [`upstream`] (pooled
//! rustls clients), [`handler`] (one request), [`listener`] (accept loop and limits),
//! [`access_log`] (logs).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::config::{self, Config};
use crate::Error;

mod access_log;
mod body;
mod explain;
mod handler;
mod hello;
mod identity;
mod listener;
mod path;
mod resumption;
mod send_timeout;
mod tls_server;
mod upstream;
mod verifier;

pub use access_log::LogError;
pub use tls_server::TlsSetupError;

/// Runs the proxy on a runtime of its own until SIGINT or SIGTERM.
pub fn run(config: &Config) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(serve(config, shutdown_signal()))
}

/// Serves on the caller's runtime (the demo runs it beside others) until `shutdown` completes.
pub async fn serve(config: &Config, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
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
    let (tls, anchors) = tls_server::build(config)?;
    let routes = Arc::new(upstream::Routes::new(config)?);
    let s = &config.server;
    let shared = Arc::new(listener::Shared {
        tls,
        routes,
        policy: Arc::new(handler::Policy {
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
        http: listener::Http::new(
            s.header_timeout.0,
            s.max_header_size,
            s.h2_max_concurrent_streams,
        ),
        handshake_timeout: s.handshake_timeout.0,
        client_send_timeout: s.client_send_timeout.0,
        timers: listener::Timers {
            header_timeout: s.header_timeout.0,
            idle_timeout: s.idle_timeout.0,
            max_connection_age: s.max_connection_age.0,
        },
        forward_client_cert: s.forward_client_cert,
        limit: Arc::new(Semaphore::new(s.max_connections)),
        failures: Mutex::new(HashMap::new()),
        handshakes: Mutex::new(HashMap::new()),
        max_handshakes_per_address: s.max_handshakes_per_address,
        anchors,
        explainers: Arc::new(Semaphore::new(listener::EXPLAINERS)),
        explain_queue: Arc::new(Semaphore::new(listener::EXPLAIN_QUEUE)),
    });
    let mut listeners = Vec::new();
    for addr in &s.listen {
        let l = listener::bind(*addr).map_err(|source| Error::Bind {
            addr: *addr,
            source,
        })?;
        listeners.push(l);
    }
    for l in listeners {
        if let Ok(a) = l.local_addr() {
            tracing::info!(target: "mtlskit::listener", address = %a, "listening on {a}");
        }
        tokio::spawn(listener::accept_loop(l, shared.clone()));
    }
    shutdown.await;
    tracing::info!(target: "mtlskit::listener", "stopping");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
