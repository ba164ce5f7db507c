//! The inspect crate compiled to WebAssembly, as the web page uses it: decode certificates,
//! CSRs, keys and bundles, match keys, report garbage as an error, never panic, never read a
//! clock (x509-parser's `is_valid()` would panic on wasm32-unknown-unknown).
//!
//! Runs under `wasm-bindgen-test-runner` (the `.cargo/config.toml` runner): in Node by default,
//! and in headless Chromium from `inspect_wasm_browser.rs`, which includes this file after
//! `wasm_bindgen_test_configure!(run_in_browser)`. Natively this file is empty.
#![cfg(target_arch = "wasm32")]

use mtlskit_inspect::ItemBody;
use mtlskit_inspect::{inspect, inspect_many, Input, Node, Timestamp};
use wasm_bindgen_test::wasm_bindgen_test;

const CA: &[u8] = include_bytes!("../../../testdata/browser/ca.pem");
const CLIENT: &[u8] = include_bytes!("../../../testdata/browser/client.pem");
const KEY: &[u8] = include_bytes!("../../../testdata/browser/client.key");
const CSR: &[u8] = include_bytes!("../../../testdata/browser/client.csr");
const BUNDLE: &[u8] = include_bytes!("../../../testdata/browser/bundle.pem");
const GARBAGE: &[u8] = include_bytes!("../../../testdata/browser/garbage.bin");
/// `openssl x509 -in client.pem -noout -fingerprint -sha256`, lowercased without colons.
/// (The subject is in RFC 2253 order, as `openssl x509 -nameopt RFC2253` prints it.)
const CLIENT_SHA256: &str = "352561479deb54b86103dfa92f0ea4b41d45634074009583b2c1718e57aa0dc9";

const NOW: Timestamp = Timestamp(1_750_000_000);

#[wasm_bindgen_test]
fn decodes_a_certificate_with_its_fingerprint_and_tree() {
    let report = inspect("client.pem", CLIENT, Some(NOW));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let item = &report.items[0];
    let ItemBody::Certificate(cert) = &item.body else {
        panic!("not a certificate: {}", item.body.kind());
    };
    assert_eq!(cert.sha256, CLIENT_SHA256);
    assert_eq!(cert.subject, "O=mtlskit,CN=client.example");
    assert_eq!(cert.issuer, "O=mtlskit,CN=mtlskit test CA");
    assert!(!item.tree.is_empty());
    // Every byte of the certificate lies in some field of the tree.
    for offset in [0, item.bytes.len() / 2, item.bytes.len() - 1] {
        assert!(!Node::path_at(&item.tree, offset).is_empty());
    }
}

#[wasm_bindgen_test]
fn decodes_a_bundle_a_csr_and_a_key_and_matches_the_key() {
    let report = inspect_many(
        &[
            Input {
                source: "bundle.pem",
                bytes: BUNDLE,
            },
            Input {
                source: "client.csr",
                bytes: CSR,
            },
            Input {
                source: "client.key",
                bytes: KEY,
            },
        ],
        Some(NOW),
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let kinds: Vec<&str> = report.items.iter().map(|i| i.body.kind()).collect();
    assert_eq!(kinds, ["certificate", "certificate", "csr", "private_key"]);
    let ItemBody::PrivateKey(key) = &report.items[3].body else {
        panic!("no key");
    };
    let sources: Vec<&str> = key.matches.iter().map(|m| m.source.as_str()).collect();
    assert_eq!(sources, ["bundle.pem", "client.csr"]);
    let ItemBody::Csr(csr) = &report.items[2].body else {
        panic!("no CSR");
    };
    assert_eq!(csr.signature_valid, Some(true));
}

#[wasm_bindgen_test]
fn time_comes_from_the_caller() {
    let far = Timestamp::from_parts(2200, 1, 1, 0, 0, 0);
    let report = inspect("ca.pem", CA, Some(far));
    let codes: Vec<&str> = report.items[0]
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert!(codes.contains(&"expired"), "{codes:?}");
    let report = inspect("ca.pem", CA, None);
    assert!(report.items[0].findings.iter().all(|f| f.code != "expired"));
}

#[wasm_bindgen_test]
fn garbage_is_an_error_not_a_panic() {
    let report = inspect("junk.bin", GARBAGE, Some(NOW));
    assert!(report.items.is_empty());
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].source, "junk.bin");
}

#[wasm_bindgen_test]
fn cut_and_flipped_inputs_never_panic() {
    for input in [CA, CLIENT, KEY, CSR] {
        for cut in (0..input.len()).step_by(7) {
            let _ = inspect("cut", &input[..cut], Some(NOW));
        }
    }
    let der = inspect("client.pem", CLIENT, None).items[0].bytes.clone();
    for i in (0..der.len()).step_by(3) {
        let mut bad = der.clone();
        bad[i] ^= 0x41;
        let _ = inspect("flipped", &bad, Some(NOW));
    }
}
