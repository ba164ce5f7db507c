//! `mtlskit dist-assets --out DIR` (hidden): the man pages (clap_mangen) and the bash, zsh and
//! fish completions (clap_complete) of this very command line, written for the Debian package
//! (`cargo xtask dist --deb`), so they can never disagree with `--help`.

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::{Args, DistAssetsArgs};
use crate::Status;

pub fn run(a: &DistAssetsArgs) -> anyhow::Result<Status> {
    let man = a.out.join("man");
    let completions = a.out.join("completions");
    for dir in [&man, &completions] {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let cmd = Args::command();
    // mtlskit.1, then mtlskit-serve.1 and the others (hidden commands left out).
    clap_mangen::generate_to(cmd.clone(), &man)
        .with_context(|| format!("{}: cannot write the man pages", man.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd.clone(), "mtlskit", &completions).with_context(
            || {
                format!(
                    "{}: cannot write the {shell} completions",
                    completions.display()
                )
            },
        )?;
    }
    Ok(Status::Ok)
}
