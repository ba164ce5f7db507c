//! `mtlskit import-nginx FILE`.
use crate::cli::ImportNginxArgs;
use crate::Status;

pub fn run(_args: &ImportNginxArgs) -> anyhow::Result<Status> {
    Ok(Status::Ok)
}
