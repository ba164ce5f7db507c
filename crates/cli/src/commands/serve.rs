//! `mtlskit serve --config FILE`: the mTLS reverse proxy (mtlskit-proxy); SIGHUP reloads,
//! SIGTERM and SIGINT drain, SIGQUIT stops at once. Exit 0 after a stop, 1 when it cannot
//! serve (a check error, a port taken, a file that cannot be used), 2 for usage errors.

use mtlskit_proxy::{Config, ConfigError};

use crate::args::ConfigArgs;
use crate::Status;

/// Loads the config; a problem is printed and becomes the exit status.
pub fn load(args: &ConfigArgs) -> Result<Config, Status> {
    Config::load(&args.config).map_err(|e| {
        eprintln!("mtlskit: {e}");
        match e {
            ConfigError::Read { .. } => Status::Usage,
            _ => Status::Bad,
        }
    })
}

pub fn run(args: &ConfigArgs) -> anyhow::Result<Status> {
    let config = match load(args) {
        Ok(c) => c,
        Err(status) => return Ok(status),
    };
    match mtlskit_proxy::run(&config) {
        Ok(()) => Ok(Status::Ok),
        // What `mtlskit check` refuses, serve refuses too, with check's lines.
        Err(mtlskit_proxy::Error::Check { errors }) => {
            for e in &errors {
                eprintln!("mtlskit: {e}");
            }
            eprintln!(
                "mtlskit: {}: not serving: the configuration check failed (see mtlskit check)",
                config.path
            );
            Ok(Status::Bad)
        }
        // A port taken, a file that cannot be used: the setup is wrong (1), as for check's
        // errors; 2 stays for usage errors.
        Err(e) => {
            eprintln!("mtlskit: {}: not serving: {e}", config.path);
            Ok(Status::Bad)
        }
    }
}
