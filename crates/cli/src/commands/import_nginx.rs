//! `mtlskit import-nginx FILE`: the proxy config equivalent to an nginx `server { ... }`
//! block on stdout, with a warning on stderr for each directive that has no equivalent.

use crate::args::ImportNginxArgs;
use crate::Status;

pub fn run(args: &ImportNginxArgs) -> anyhow::Result<Status> {
    let shown = args.file.display().to_string();
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mtlskit: {shown}: cannot be read ({e})");
            return Ok(Status::Usage);
        }
    };
    match mtlskit_proxy::import_nginx(&text) {
        Ok(c) => {
            for w in &c.warnings {
                eprintln!("mtlskit: {shown}: warning: {w}");
            }
            print!("{}", c.toml);
            Ok(Status::Ok)
        }
        Err(e) => {
            eprintln!("mtlskit: {shown}: {e}");
            Ok(Status::Bad)
        }
    }
}
