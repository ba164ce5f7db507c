//! mtlskit: the native front end of the toolkit.
//!
//! The library holds the commands so tests and other binaries can call them; `main.rs` only
//! parses arguments and maps the outcome to an exit status.

pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod diagnose_cmd;
pub mod inspect_cmd;
pub mod nginx;
pub mod pki_cmd;
pub mod probe;
pub mod render;
pub mod serve;

/// How a command ended, as the exit status tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything was read and is fine.
    Ok,
    /// The input was read but is bad (an undecodable file).
    Bad,
    /// A usage problem or an unreadable file.
    Usage,
}

impl Status {
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Bad => 1,
            Status::Usage => 2,
        }
    }
}

/// Runs a parsed command line.
pub fn run(args: cli::Args) -> anyhow::Result<Status> {
    match args.command {
        cli::Command::Inspect(a) => inspect_cmd::run(&a),
        cli::Command::Pki(c) => pki_cmd::run(&c),
        cli::Command::Serve(a) => serve::command(&a),
        cli::Command::Check(a) => check::run(&a),
        cli::Command::ImportNginx(a) => nginx::run(&a),
        cli::Command::Diagnose(a) => diagnose_cmd::run(&a),
        cli::Command::Probe(a) => probe::run(&a),
        cli::Command::Demo(a) => demo::run(&a),
    }
}
