//! The command line, as design.md fixes it: clap parses, then each command validates what
//! clap cannot (times, paths) before any work starts.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mtlskit",
    version,
    about = "Inspect and debug mutual TLS: certificates, keys, CSRs"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode certificates, CSRs and keys (PEM, DER, base64 or hex; '-' reads stdin).
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Print the JSON report (docs/report-format.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Evaluate validity at this moment (RFC 3339, e.g. 2030-01-01T00:00:00Z) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Files to inspect; '-' reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
}

/// Parses the process arguments.
pub fn parse() -> Result<Args, clap::Error> {
    Args::try_parse()
}
