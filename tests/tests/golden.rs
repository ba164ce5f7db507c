//! The CLI's output held byte for byte: every case of `tests/golden/cases.txt` runs the binary
//! and compares its exit status, standard output and standard error with the recording.
//!
//! The recordings were made by the layout before the restructure (issue 10), so a refactoring
//! that changes what users see fails here. `MTLSKIT_BLESS=1` records anew: only for a change of
//! output that is intended, and the commit says so.

#![allow(clippy::expect_used)] // test code: a broken setup should stop the test loudly

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// What a recording holds: the status, then stdout and stderr, each under a marker line.
fn render(run: &mtlskit_tests::Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[test]
fn cli_output_is_unchanged() {
    let root = root();
    let dir = root.join("tests/golden");
    let cases = std::fs::read_to_string(dir.join("cases.txt")).expect("tests/golden/cases.txt");
    let bless = std::env::var_os("MTLSKIT_BLESS").is_some();
    let mut differ = Vec::new();
    let mut count = 0;
    for line in cases.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, args) = line.split_once(": ").expect("NAME: ARGS");
        let args: Vec<&str> = args.split_whitespace().collect();
        let got = render(&mtlskit_tests::mtlskit(&root, &args, None));
        let file = dir.join(format!("{name}.out"));
        count += 1;
        if bless {
            std::fs::write(&file, &got).expect("write the recording");
            continue;
        }
        let want = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (record with MTLSKIT_BLESS=1)", file.display()));
        if got != want {
            let at = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
            differ.push(format!(
                "{name} (mtlskit {}): line {}:\n  got:  {:?}\n  want: {:?}",
                args.join(" "),
                at + 1,
                got.lines().nth(at).unwrap_or("<end>"),
                want.lines().nth(at).unwrap_or("<end>"),
            ));
        }
    }
    assert!(count > 50, "only {count} cases in cases.txt");
    assert!(
        differ.is_empty(),
        "{} of {count} outputs differ from tests/golden:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
