//! `mtlskit check --config FILE`: like `nginx -t`.
use crate::cli::ConfigArgs;
use crate::Status;

pub fn run(_args: &ConfigArgs) -> anyhow::Result<Status> {
    Ok(Status::Ok)
}
