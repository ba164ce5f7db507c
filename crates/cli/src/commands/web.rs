//! `mtlskit web [--listen ADDR] [--dir DIST]`: the web inspector from the binary alone. Serves the
//! page built into it (the `web` feature, `cargo xtask dist`) or a folder built by trunk, through
//! the page server the demo uses (crate::page), until SIGINT or SIGTERM. Prints its URL once it
//! listens. Without a page (a plain build and no --dir) it says how to get one, exit 2.

use std::io::Write as _;

use crate::args::WebArgs;
use crate::page::Source;
use crate::Status;

pub fn run(args: &WebArgs) -> anyhow::Result<Status> {
    let source = match &args.dir {
        Some(dir) if dir.join("index.html").is_file() => Source::Folder(dir.clone()),
        Some(dir) => {
            eprintln!(
                "mtlskit: {}: no index.html here; build the page with `cargo xtask web build --release`",
                dir.display()
            );
            return Ok(Status::Usage);
        }
        None => match Source::embedded() {
            Some(s) => s,
            None => {
                eprintln!(
                    "mtlskit: this mtlskit was built without the web inspector; pass --dir DIST \
                     (trunk's dist/) or build the binary with `cargo xtask dist`"
                );
                return Ok(Status::Usage);
            }
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let addr = match crate::page::start(source, args.listen).await {
            Ok(a) => a,
            Err(message) => {
                eprintln!("mtlskit: {message}");
                return Ok(Status::Usage);
            }
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "mtlskit web: the inspector is at http://{addr}/")?;
        out.flush()?;
        drop(out);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok(Status::Ok)
    })
}
