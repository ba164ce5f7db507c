//! Reloading: on SIGHUP or when a watched file changes, the config is read again, checked as
//! `mtlskit check` checks it and built whole; only then is it published (see
//! [`super::lifecycle`]). Anything wrong is logged, one line per problem, and the proxy keeps
//! serving the generation it has.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::task::JoinHandle;

use super::lifecycle::Generation;
use super::listener::{self, Shared};
use super::tls_server::Resumption;
use crate::config::Config;

/// The proxy's own state between reloads.
#[derive(Debug)]
pub struct Running {
    pub shared: Arc<Shared>,
    /// The config file, as given at start (reloads read it again).
    pub path: Option<PathBuf>,
    /// The accept task of each listening address.
    pub listeners: HashMap<SocketAddr, JoinHandle<()>>,
    /// Session stores and ticket keys (one per site), kept across reloads that keep their
    /// settings.
    pub resumption: Vec<Resumption>,
    /// What the watched files looked like when last read.
    pub seen: Fingerprint,
}

/// Modification time and length of each watched file (`None`: missing).
pub type Fingerprint = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

/// The files a reload reads: the config and every file it names (a CRL folder and each file
/// in it).
pub fn watched(config: &Config) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    if !config.path.is_empty() {
        files.push(PathBuf::from(&config.path));
    }
    for site in config.sites() {
        for f in site_files(&site) {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    files
}

/// The files one site names.
fn site_files(config: &Config) -> Vec<PathBuf> {
    let s = &config.server;
    let mut files: Vec<PathBuf> = Vec::new();
    files.push(config.resolve(&s.certificate));
    files.push(config.resolve(&s.key));
    files.extend(s.client_ca.iter().map(|p| config.resolve(p)));
    files.extend(s.ticket_key_file.iter().map(|p| config.resolve(p)));
    files.extend(
        config
            .trust_domains
            .iter()
            .map(|t| config.resolve(&t.bundle)),
    );
    for crl in &s.crl {
        let p = config.resolve(crl);
        if let Ok(entries) = std::fs::read_dir(&p) {
            let mut inside: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            inside.sort();
            files.extend(inside);
        }
        files.push(p);
    }
    for l in &config.locations {
        for p in [&l.client_certificate, &l.client_key, &l.trusted_ca]
            .into_iter()
            .flatten()
        {
            files.push(config.resolve(p));
        }
    }
    files
}

/// The fingerprint of `files` now.
pub fn fingerprint(files: &[PathBuf]) -> Fingerprint {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok();
            (
                f.clone(),
                meta.and_then(|m| Some((m.modified().ok()?, m.len()))),
            )
        })
        .collect()
}

/// Why a reload happened, for the log.
#[derive(Clone, Copy, Debug)]
pub enum Trigger {
    /// SIGHUP (`mtlskit reload`, `kill -HUP`, systemd's `ExecReload`).
    Signal,
    /// A watched file changed (`reload_poll`).
    FileChange,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Signal => "SIGHUP",
            Trigger::FileChange => "a watched file changed",
        }
    }
}

/// Reads, checks, builds and publishes a new generation; logs why not when it cannot.
/// Returns whether the new generation serves.
pub fn reload(running: &mut Running, trigger: Trigger) -> bool {
    let why = trigger.as_str();
    let current = running.shared.current();
    let refuse = |problems: &[String]| {
        for p in problems {
            tracing::error!(target: "mtlskit::reload", "{p}");
        }
        running.shared.metrics.reload(false);
        tracing::error!(
            target: "mtlskit::reload",
            result = "refused",
            "reload ({why}) refused: {} problem{}; still serving generation {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            current.id
        );
        false
    };
    let Some(path) = running.path.clone() else {
        return refuse(&["no config file to read again (the config was given in memory)".into()]);
    };
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => return refuse(&[e.to_string()]),
    };
    // Seen now, so a config that stays broken is not tried again at every poll.
    let before = std::mem::replace(&mut running.seen, fingerprint(&watched(&config)));
    let findings = crate::check::check(&config);
    if !findings.errors.is_empty() {
        return refuse(&findings.errors);
    }
    for w in &findings.warnings {
        tracing::warn!(target: "mtlskit::config", "{w}");
    }
    let (generation, resumption) = match Generation::build(
        &config,
        current.id + 1,
        &running.resumption,
        &running.shared.metrics,
    ) {
        Ok(g) => g,
        Err(e) => return refuse(&[e.to_string()]),
    };
    // New addresses are bound before anything is swapped: one that cannot be refuses it all.
    let old = &current.config;
    let mut bound = Vec::new();
    let addresses = super::listen_addresses(&config);
    for addr in &addresses {
        if running.listeners.contains_key(addr) {
            continue;
        }
        match listener::bind(*addr) {
            Ok(l) => bound.push((*addr, l)),
            Err(e) => return refuse(&[format!("cannot listen on {addr}: {e}")]),
        }
    }
    let restart_only = [
        ("[log]", old.log != config.log),
        ("[admin]", old.admin != config.admin),
        (
            "process.pid_file",
            old.process.pid_file != config.process.pid_file,
        ),
        (
            "process.workers",
            old.process.workers != config.process.workers,
        ),
    ];
    for (key, changed) in restart_only {
        if changed {
            tracing::warn!(target: "mtlskit::reload", "{key} changed: that takes effect at the next start, not at a reload");
        }
    }
    log_crls(&generation);
    let id = generation.id;
    let generation = Arc::new(generation);
    running.shared.resize(config.server.max_connections);
    running
        .shared
        .control
        .send_modify(|c| c.generation = generation);
    running.resumption = resumption;
    for (addr, l) in bound {
        tracing::info!(target: "mtlskit::listener", address = %addr, "listening on {addr}");
        running.listeners.insert(
            addr,
            tokio::spawn(listener::accept_loop(l, addr, running.shared.clone())),
        );
    }
    running.listeners.retain(|addr, task| {
        let keep = addresses.contains(addr);
        if !keep {
            tracing::info!(target: "mtlskit::listener", address = %addr, "no longer listening on {addr}");
            task.abort();
        }
        keep
    });
    let changed: Vec<String> = running
        .seen
        .iter()
        .filter(|now| !before.contains(now))
        .map(|(p, _)| p.display().to_string())
        .collect();
    running.shared.metrics.reload(true);
    tracing::info!(
        target: "mtlskit::reload",
        result = "ok",
        generation = id,
        "reloaded ({why}): generation {id} serves new connections; {} open connection{} on generation {}{}",
        running.shared.open_connections(),
        if running.shared.open_connections() == 1 { " finishes" } else { "s finish" },
        current.id,
        if changed.is_empty() {
            String::new()
        } else {
            format!("; changed: {}", changed.join(", "))
        }
    );
    true
}

/// One line per CRL a generation uses; a warning for one past its nextUpdate.
pub fn log_crls(generation: &Generation) {
    let now = mtlskit_inspect::Timestamp::now().0;
    let s = &generation.config.server;
    for c in generation.sites.iter().flat_map(|site| site.crls.iter()) {
        let Some(info) = crate::certinfo::read_crl(c.der.as_ref()) else {
            continue;
        };
        let next = info.next_update.map_or("none".to_string(), |n| {
            mtlskit_inspect::Timestamp(n).to_string()
        });
        match info.next_update {
            Some(n) if n <= now => tracing::warn!(
                target: "mtlskit::crl",
                crl = %c.path.display(),
                "the CRL of {} ({}) expired at {next}: {}",
                info.issuer,
                c.path.display(),
                match s.crl_expired {
                    crate::config::CrlPolicy::Deny => "its clients are refused (crl_expired = \"deny\")",
                    crate::config::CrlPolicy::Allow => "its clients are let in (crl_expired = \"allow\")",
                }
            ),
            _ => tracing::info!(
                target: "mtlskit::crl",
                crl = %c.path.display(),
                "CRL of {}: {} revoked, next update {next}",
                info.issuer,
                info.entries
            ),
        }
    }
}

/// Writes the pid file (when the config names one).
pub fn write_pid(path: &Path) -> std::io::Result<()> {
    std::fs::write(path, format!("{}\n", std::process::id()))
}
