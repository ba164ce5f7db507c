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

use crate::config::Config;
use crate::Error;

mod access_log;
mod explain;
mod handler;
mod hello;
mod identity;
mod listener;
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
    let tls = tls_server::build(config)?;
    let routes = Arc::new(upstream::Routes::new(config)?);
    let s = &config.server;
    let shared = Arc::new(listener::Shared {
        tls,
        routes,
        http: listener::Http::new(s.header_timeout.0, s.max_header_size),
        handshake_timeout: s.handshake_timeout.0,
        forward_client_cert: s.forward_client_cert,
        limit: Arc::new(Semaphore::new(s.max_connections)),
        failures: Mutex::new(HashMap::new()),
    });
    let unsupported = config.cipher_codes().unsupported;
    if !unsupported.is_empty() {
        tracing::warn!(
            target: "mtlskit::config",
            "ciphers not offered by rustls and left out: {}",
            unsupported.join(", ")
        );
    }
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
