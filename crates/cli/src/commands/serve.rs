//! `mtlskit serve --config FILE`: the mTLS reverse proxy (mtlskit-proxy) until SIGINT or
//! SIGTERM.

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
    mtlskit_proxy::run(&config)?;
    Ok(Status::Ok)
}
