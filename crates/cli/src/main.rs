//! The `mtlskit` binary: clap, one module per command, the text renderer and the demo, as thin
//! glue over the libraries (mtlskit-inspect, mtlskit-pki, mtlskit-probe, mtlskit-proxy).
//!
//! Exit status: 0 success; 1 the input was read but is bad; 2 usage or an unreadable file.
//! Errors are one sentence on stderr.

mod args;
mod commands;
mod demo;
mod listen;
mod page;
mod render;

use std::process::ExitCode;

// Decoding builds many small strings and vectors, and the proxy allocates per request: mimalloc
// made `inspect` of a large capture a quarter faster than glibc's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Bad => 1,
            Status::Usage => 2,
        }
    }
}

/// Runs a parsed command line.
fn run(args: args::Args) -> anyhow::Result<Status> {
    use args::Command;
    match args.command {
        Command::Inspect(a) => commands::inspect::run(&a),
        Command::Pki(c) => commands::pki::run(&c),
        Command::Serve(a) => commands::serve::run(&a),
        Command::Check(a) => commands::check::run(&a),
        Command::Reload(a) => commands::reload::run(&a),
        Command::ImportNginx(a) => commands::import_nginx::run(&a),
        Command::Diagnose(a) => commands::diagnose::run(&a),
        Command::Probe(a) => commands::probe::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Web(a) => commands::web::run(&a),
        Command::DistAssets(a) => commands::dist_assets::run(&a),
    }
}

fn main() -> ExitCode {
    let args = match args::parse() {
        Ok(args) => args,
        Err(e) => {
            // clap prints help and version to stdout with success; usage errors to stderr.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    page::embed();
    match run(args) {
        Ok(status) => ExitCode::from(status.code()),
        // A reader that stopped early (`| head`) is not an error worth a message.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mtlskit: {e:#}");
            ExitCode::from(2)
        }
    }
}
