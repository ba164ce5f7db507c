//! How fast `inspect()` reads a real CA bundle: the system's `ca-certificates.crt`, about 140
//! PEM certificates, decoded end to end (PEM, DER, X.509 fields, fingerprints, findings).
//!
//! Throughput is reported twice, in certificates per second and in bytes per second. The
//! whole-process comparison with `openssl storeutl` is `bench/ca_bundle.sh`; results are in
//! `docs/benchmarks.md`. Set `MTLSKIT_CA_BUNDLE` to read another bundle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mtlskit_inspect::{inspect, Timestamp};

const DEFAULT_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

fn bundle() -> Option<(String, Vec<u8>)> {
    let path = std::env::var("MTLSKIT_CA_BUNDLE").unwrap_or_else(|_| DEFAULT_BUNDLE.to_string());
    match std::fs::read(&path) {
        Ok(bytes) => Some((path, bytes)),
        Err(e) => {
            eprintln!("ca_bundle: skipped, cannot read {path}: {e} (install ca-certificates)");
            None
        }
    }
}

fn count_certificates(bytes: &[u8]) -> u64 {
    let marker = b"-----BEGIN CERTIFICATE-----";
    bytes.windows(marker.len()).filter(|w| w == marker).count() as u64
}

fn ca_bundle(c: &mut Criterion) {
    let Some((path, bytes)) = bundle() else {
        return;
    };
    let certificates = count_certificates(&bytes);
    let now = Timestamp::parse_rfc3339("2025-06-01T00:00:00Z").ok();
    let report = inspect(&path, &bytes, now);
    eprintln!(
        "ca_bundle: {path}: {} bytes, {certificates} certificates, {} items, {} errors",
        bytes.len(),
        report.items.len(),
        report.errors.len()
    );

    for (unit, throughput) in [
        ("certificates", Throughput::Elements(certificates)),
        ("bytes", Throughput::Bytes(bytes.len() as u64)),
    ] {
        let mut group = c.benchmark_group(format!("ca_bundle/{unit}"));
        group
            .throughput(throughput)
            .sample_size(20)
            .measurement_time(Duration::from_secs(5));
        group.bench_function("inspect", |b| {
            b.iter(|| inspect(black_box(&path), black_box(&bytes), black_box(now)));
        });
        group.bench_function("inspect+json", |b| {
            b.iter(|| {
                let report = inspect(black_box(&path), black_box(&bytes), black_box(now));
                serde_json::to_vec(&report).expect("the report serialises")
            });
        });
        group.finish();
    }
}

criterion_group!(benches, ca_bundle);
criterion_main!(benches);
