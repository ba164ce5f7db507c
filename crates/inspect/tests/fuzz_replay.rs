//! Replays the fuzz seeds and saved crash inputs on the stable toolchain, and throws hostile
//! inputs made here at every entry point.
//!
//! The fuzz targets need nightly and cargo-fuzz; this test needs neither, so `cargo test` keeps
//! every crash ever found fixed. It includes `fuzz/src/lib.rs`, the file that says what each
//! target calls, so the replay runs exactly what the fuzzer ran. Every folder under
//! `fuzz/seeds/` and `fuzz/regressions/` must be named after a target, and every target must be
//! a binary in `fuzz/fuzz_targets/`, so targets and replay stay in sync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use mtlskit_inspect::x509::{self, KeyFormat};
use mtlskit_inspect::{der, inspect, inspect_many, pem, Input, Report, Severity};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn names_in(dir: &Path, dirs: bool) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() == dirs)
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Runs `f`, turning a panic into a message naming `what`.
fn no_panic(what: &str, f: impl FnOnce()) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let why = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_default();
        format!("{what}: panicked: {why}")
    })
}

#[test]
fn targets_binaries_and_folders_agree() {
    let known: BTreeSet<String> = targets::TARGETS.iter().map(|s| (*s).to_string()).collect();
    let binaries: BTreeSet<String> = names_in(&fuzz_dir().join("fuzz_targets"), false)
        .into_iter()
        .filter_map(|f| f.strip_suffix(".rs").map(str::to_string))
        .collect();
    assert_eq!(
        binaries, known,
        "fuzz/fuzz_targets/*.rs vs TARGETS in fuzz/src/lib.rs"
    );
    for kind in ["seeds", "regressions"] {
        let folders = names_in(&fuzz_dir().join(kind), true);
        let unknown: Vec<_> = folders.difference(&known).collect();
        assert!(
            unknown.is_empty(),
            "fuzz/{kind}/ has folders of no target: {unknown:?}"
        );
        let missing: Vec<_> = known.difference(&folders).collect();
        assert!(
            missing.is_empty(),
            "fuzz/{kind}/ lacks folders for: {missing:?}"
        );
    }
    assert!(!targets::run("no_such_target", b""));
}

#[test]
fn seeds_and_regressions_replay_without_panic() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for kind in ["seeds", "regressions"] {
        let base = fuzz_dir().join(kind);
        for target in names_in(&base, true) {
            let dir = base.join(&target);
            for file in names_in(&dir, false) {
                let path = dir.join(&file);
                let data = std::fs::read(&path).unwrap();
                let what = format!("fuzz/{kind}/{target}/{file}");
                let mut known = true;
                if let Err(e) = no_panic(&what, || known = targets::run(&target, &data)) {
                    failures.push(e);
                }
                assert!(
                    known,
                    "{what}: fuzz/{kind}/{target} is named after no fuzz target"
                );
                replayed += 1;
            }
        }
    }
    assert!(replayed > 20, "only {replayed} inputs found under fuzz/");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A report that says something is wrong: a source error or an error finding.
fn has_error(report: &Report) -> bool {
    !report.errors.is_empty()
        || report
            .items
            .iter()
            .any(|i| i.findings.iter().any(|f| f.severity == Severity::Error))
}

/// Every decoder on `data`; none may panic. Returns whether `inspect` reported an error.
fn everything(what: &str, data: &[u8]) -> Result<bool, String> {
    let mut flagged = false;
    no_panic(what, || {
        for target in targets::TARGETS {
            targets::run(target, data);
        }
        flagged = has_error(&inspect("hostile", data, Some(targets::NOW)));
    })?;
    Ok(flagged)
}

/// `SEQUENCE { SEQUENCE { ... } }`, `depth` deep, with correct definite lengths.
fn nested(depth: usize) -> Vec<u8> {
    let mut out = vec![0x05, 0x00];
    for _ in 0..depth {
        let len = out.len();
        let mut header = vec![0x30];
        match len {
            0..=0x7f => header.push(len as u8),
            0x80..=0xff => header.extend([0x81, len as u8]),
            0x100..=0xffff => header.extend([0x82, (len >> 8) as u8, len as u8]),
            _ => header.extend([0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]),
        }
        header.extend_from_slice(&out);
        out = header;
    }
    out
}

#[test]
fn deep_nesting_is_refused_or_bounded() {
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        (
            "indefinite 0x30 0x80 x 20000".into(),
            [0x30, 0x80].repeat(20_000),
        ),
        ("context [0] indefinite".into(), [0xa0, 0x80].repeat(20_000)),
        ("nested SEQUENCE x 100000".into(), nested(100_000)),
        ("nested SEQUENCE x 40".into(), nested(40)),
    ];
    // A certificate whose inner structure is replaced by deep nesting.
    let deep = nested(5_000);
    let mut cert = vec![0x30, 0x83];
    cert.extend([
        (deep.len() >> 16) as u8,
        (deep.len() >> 8) as u8,
        deep.len() as u8,
    ]);
    cert.extend(&deep);
    inputs.push(("certificate-shaped deep nesting".into(), cert));
    let mut failures = Vec::new();
    for (what, data) in &inputs {
        match everything(what, data) {
            Ok(flagged) => {
                if !flagged {
                    failures.push(format!("{what}: inspect reported no error"));
                }
            }
            Err(e) => failures.push(e),
        }
        // The generic tree stops at its depth limit instead of following 100000 levels.
        let depth = tree_depth(&der::tree(data));
        if depth > der::MAX_DEPTH + 2 {
            failures.push(format!("{what}: der::tree is {depth} levels deep"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn tree_depth(nodes: &[mtlskit_inspect::Node]) -> usize {
    nodes
        .iter()
        .map(|n| 1 + tree_depth(&n.children))
        .max()
        .unwrap_or(0)
}

#[test]
fn huge_lengths_are_errors() {
    let headers: &[&[u8]] = &[
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x30, 0xff],
        &[0x30, 0x80, 0x00, 0x00],
        &[0x02, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x01],
        &[0x30, 0x82, 0x01, 0x00, 0x02, 0x84, 0xff, 0xff, 0xff, 0xf0],
        &[0x04, 0x88, 0x80, 0, 0, 0, 0, 0, 0, 0],
        &[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00],
    ];
    let mut failures = Vec::new();
    for header in headers {
        for pad in [0usize, 1, 100] {
            let mut data = header.to_vec();
            data.extend(std::iter::repeat_n(0x41, pad));
            let what = format!("{data:02x?}");
            match everything(&what, &data) {
                Ok(true) => {}
                Ok(false) => failures.push(format!("{what}: inspect reported no error")),
                Err(e) => failures.push(e),
            }
            if x509::decode_certificate(&data, Some(targets::NOW)).is_ok() {
                failures.push(format!("{what}: decoded as a certificate"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn seed_certificate() -> Vec<u8> {
    std::fs::read(fuzz_dir().join("seeds/certificate/seed-server-ec.der")).unwrap()
}

#[test]
fn every_truncation_of_a_certificate_is_an_error() {
    let cert = seed_certificate();
    let text = pem::encode("CERTIFICATE", &cert);
    let end = text.trim_end().len();
    let mut failures = Vec::new();
    for n in 0..cert.len() {
        let part = &cert[..n];
        let what = format!("DER cut to {n} of {} bytes", cert.len());
        match everything(&what, part) {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{what}: inspect reported no error")),
            Err(e) => failures.push(e),
        }
        if x509::decode_certificate(part, None).is_ok() {
            failures.push(format!("{what}: decoded as a certificate"));
        }
    }
    for n in 0..end {
        let part = &text.as_bytes()[..n];
        let what = format!("PEM cut to {n} of {end} characters");
        let flagged = no_panic(&what, || {
            assert!(has_error(&inspect("cut.pem", part, Some(targets::NOW))));
        });
        if let Err(e) = flagged {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small deterministic generator, so the test needs no crate and never changes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn flipped_bytes_and_noise_do_not_panic() {
    let cert = seed_certificate();
    let mut failures = Vec::new();
    let mut rng = XorShift(0x6d74_6c73_6b69_7421);
    // Every byte of the certificate, each once replaced by a random value.
    for at in 0..cert.len() {
        let mut data = cert.clone();
        data[at] ^= (rng.next() as u8) | 1;
        if let Err(e) = everything(&format!("certificate with byte {at} changed"), &data) {
            failures.push(e);
        }
    }
    // Random bytes, and random bytes behind a SEQUENCE header of the right length.
    for round in 0..300 {
        let len = (rng.next() % 600) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if round % 2 == 0 && len > 4 {
            data[0] = 0x30;
            data[1] = 0x82;
            data[2] = ((len - 4) >> 8) as u8;
            data[3] = (len - 4) as u8;
        }
        if let Err(e) = everything(&format!("noise round {round}"), &data) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_key_format_and_many_sources_survive_garbage() {
    let cert = seed_certificate();
    for format in [KeyFormat::Pkcs8, KeyFormat::Pkcs1, KeyFormat::Sec1] {
        assert!(x509::decode_private_key(&cert, format).is_err());
        assert!(x509::decode_private_key(&[], format).is_err());
    }
    assert!(x509::decode_public_key(&[], false).is_err());
    assert!(x509::decode_csr(&cert).is_err());
    let report = inspect_many(
        &[
            Input {
                source: "empty",
                bytes: b"",
            },
            Input {
                source: "cut",
                bytes: &cert[..cert.len() / 2],
            },
            Input {
                source: "good",
                bytes: &cert,
            },
        ],
        Some(targets::NOW),
    );
    let bad: BTreeSet<&str> = report.errors.iter().map(|e| e.source.as_str()).collect();
    assert!(
        bad.contains("empty") && bad.contains("cut"),
        "{:?}",
        report.errors
    );
    assert!(report.items.iter().all(|i| i.source == "good"));
}

/// The decrypt seeds are worth fuzzing from: each capture decrypts with the key log joined to
/// it, so mutations start from a path that reaches the decrypted messages.
#[test]
fn decrypt_seeds_decrypt() {
    let dir = fuzz_dir().join("seeds/decrypt");
    let mut seen = 0;
    for file in names_in(&dir, false) {
        let data = std::fs::read(dir.join(&file)).unwrap();
        let parts = targets::split_sources(&data);
        let log = mtlskit_inspect::decrypt::KeyLog::parse(parts[1]);
        let d = mtlskit_inspect::capture::decode_keyed(parts[0], None, false, Some(&log)).unwrap();
        let decrypted = d
            .capture
            .connections
            .iter()
            .filter_map(|c| c.decryption.as_ref())
            .map(|x| (x.records_decrypted, x.records_failed))
            .collect::<Vec<_>>();
        assert!(
            decrypted.iter().any(|&(ok, failed)| ok > 0 && failed == 0),
            "{file}: {decrypted:?}"
        );
        seen += 1;
    }
    assert!(seen >= 4, "decrypt seeds: {seen}");
}
