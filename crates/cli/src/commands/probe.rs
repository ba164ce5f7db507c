//! `mtlskit probe URL`: the mtlskit-probe client with curl's options, its report as text or
//! JSON, `--save-handshake` writing the connection as a pcap, and `--keylog` appending its
//! TLS secrets to a key log (then the saved handshake is a pcapng that carries them).

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

/// Appends to a file of secrets, creating it readable by its owner only.
fn append_secret_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(bytes)
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
    if let Some(path) = &args.keylog {
        if let Err(e) = append_secret_file(path, report.key_log().as_bytes()) {
            eprintln!(
                "mtlskit: {}: cannot write the key log ({})",
                path.display(),
                super::describe_io(&e)
            );
            return Ok(Status::Usage);
        }
    }
    if let Some(path) = &args.save_handshake {
        let bytes = if args.keylog.is_some() {
            report.pcapng_with_secrets()
        } else {
            report.pcap()
        };
        if let Err(e) = std::fs::write(path, bytes) {
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
