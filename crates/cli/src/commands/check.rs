//! `mtlskit check --config FILE`: what `nginx -t` does, printed: one line per problem on
//! stderr, the outcome on stdout; exit 1 when there is an error.

use crate::args::ConfigArgs;
use crate::Status;

pub fn run(args: &ConfigArgs) -> anyhow::Result<Status> {
    let config = match super::serve::load(args) {
        Ok(c) => c,
        Err(status) => return Ok(status),
    };
    let f = mtlskit_proxy::check(&config);
    for w in &f.warnings {
        eprintln!("mtlskit: warning: {w}");
    }
    for e in &f.errors {
        eprintln!("mtlskit: {e}");
    }
    if f.errors.is_empty() {
        println!("mtlskit: {}: configuration is OK", config.path);
        Ok(Status::Ok)
    } else {
        println!(
            "mtlskit: {}: configuration check failed ({} error{})",
            config.path,
            f.errors.len(),
            if f.errors.len() == 1 { "" } else { "s" }
        );
        Ok(Status::Bad)
    }
}
