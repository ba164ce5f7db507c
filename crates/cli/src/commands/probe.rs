//! `mtlskit probe URL`: the mtlskit-probe client with curl's options, its report as text or
//! JSON, and `--save-handshake` writing the connection as a pcap.

use std::time::Duration;

use mtlskit_inspect::Timestamp;
use mtlskit_probe::{Options, Versions};

use crate::args::ProbeArgs;
use crate::render;
use crate::Status;

/// The library's options from the command line.
pub fn options(args: &ProbeArgs) -> Options {
    let mut o = Options::new(args.url.clone());
    o.cert = args.cert.clone();
    o.key = args.key.clone();
    o.ca = args.ca.clone();
    o.server_name = args.servername.clone();
    o.versions = match (args.tls12, args.tls13) {
        (true, false) => Versions::Tls12,
        (false, true) => Versions::Tls13,
        _ => Versions::Both,
    };
    o.insecure = args.insecure;
    o.timeout = Duration::from_secs(args.timeout);
    o
}

pub fn run(args: &ProbeArgs) -> anyhow::Result<Status> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = match runtime.block_on(mtlskit_probe::probe(&options(args), Timestamp::now())) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("mtlskit: {e}");
            return Ok(Status::Usage);
        }
    };
    if let Some(path) = &args.save_handshake {
        if let Err(e) = std::fs::write(path, report.pcap()) {
            eprintln!(
                "mtlskit: {}: cannot write the handshake ({e})",
                path.display()
            );
            return Ok(Status::Usage);
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        std::io::Write::write_all(&mut out, b"\n")?;
    } else {
        render::probe(&report, &mut out)?;
    }
    std::io::Write::flush(&mut out)?;
    Ok(if report.ok { Status::Ok } else { Status::Bad })
}
