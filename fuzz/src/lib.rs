//! What each fuzz target does with its input, in one place.
//!
//! The targets under `fuzz_targets/` are one line each: they call [`run`] with their own name.
//! The stable-toolchain test `crates/inspect/tests/fuzz_replay.rs` includes this same file (by
//! `#[path]`) to replay the seeds and the saved crash inputs, so a target and its replay can
//! never drift apart. Besides "does not panic", every target checks the invariants a front end
//! relies on: the report serialises to JSON, and every span of a field tree lies inside the
//! bytes it indexes (the hex view slices with them).

use mtlskit_inspect::der;
use mtlskit_inspect::time::Timestamp;
use mtlskit_inspect::x509::{self, KeyFormat};
use mtlskit_inspect::{Input, Node, Report};

/// Every target, by name: the binaries in `fuzz_targets/` and the folders under `seeds/` and
/// `regressions/` use these names.
pub const TARGETS: &[&str] = &[
    "inspect",
    "inspect_many",
    "der_tree",
    "certificate",
    "crl",
    "csr",
    "private_key",
    "public_key",
    "pkcs7",
    "time",
    "pem",
    "hexdump",
    "tls",
    "capture",
    "capture_stream",
    "diagnose",
    "key_log",
    "decrypt",
];

/// A fixed "now" (2025-01-01T00:00:00Z) for the paths that add time findings.
pub const NOW: Timestamp = Timestamp(1_735_689_600);

/// Runs target `name` on `data`; `false` when no target has that name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "inspect" => inspect(data),
        "inspect_many" => inspect_many(data),
        "der_tree" => der_tree(data),
        "certificate" => certificate(data),
        "crl" => crl(data),
        "csr" => csr(data),
        "private_key" => private_key(data),
        "public_key" => public_key(data),
        "pkcs7" => pkcs7(data),
        "time" => time(data),
        "pem" => pem(data),
        "hexdump" => hexdump(data),
        "tls" => tls(data),
        "capture" => capture(data),
        "capture_stream" => capture_stream(data),
        "diagnose" => diagnose(data),
        "key_log" => key_log(data),
        "decrypt" => decrypt(data),
        _ => return false,
    }
    true
}

/// The whole sniff-and-decode path, without and with a moment in time.
pub fn inspect(data: &[u8]) {
    check_report(&mtlskit_inspect::inspect("fuzz", data, None));
    check_report(&mtlskit_inspect::inspect("fuzz", data, Some(NOW)));
}

/// Several sources in one call (key matching across them): the input is split by
/// [`split_sources`].
pub fn inspect_many(data: &[u8]) {
    let parts = split_sources(data);
    let names = ["a", "b", "c", "d"];
    let inputs: Vec<Input<'_>> = parts
        .iter()
        .zip(names)
        .map(|(bytes, source)| Input { source, bytes })
        .collect();
    check_report(&mtlskit_inspect::inspect_many(&inputs, Some(NOW)));
}

/// Splits a fuzz input into one to four sources: the first byte (mod 4, plus 1) is how many;
/// each source but the last is preceded by its length as two little-endian bytes (cut short
/// when the input runs out); the last takes the rest.
pub fn split_sources(data: &[u8]) -> Vec<&[u8]> {
    let Some((&first, mut rest)) = data.split_first() else {
        return vec![data];
    };
    let count = usize::from(first % 4) + 1;
    let mut parts = Vec::with_capacity(count);
    for _ in 1..count {
        let (len, after) = match rest {
            [a, b, after @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), after),
            _ => (0, &[][..]),
        };
        let (part, after) = after.split_at(len.min(after.len()));
        parts.push(part);
        rest = after;
    }
    parts.push(rest);
    parts
}

/// Chain building and checks on any set of certificates: the input is split by
/// [`split_sources`]; the first source is the CA bundle, the others the peer's chain (each a
/// PEM/DER/PKCS#7 bundle, or raw bytes taken as one certificate; a source holding CRLs gives
/// the CRLs checked). The first byte also picks the role. A verdict or a clear error, never a
/// panic or a hang.
pub fn diagnose(data: &[u8]) {
    use mtlskit_inspect::diagnose::{self, Request, Role, Source};
    let parts = split_sources(data);
    let certs =
        |bytes: &[u8]| diagnose::certificates_in(bytes).unwrap_or_else(|_| vec![bytes.to_vec()]);
    let Some((anchors, chain)) = parts.split_first() else {
        return;
    };
    let anchors = certs(anchors);
    let (crl_parts, chain): (Vec<&[u8]>, Vec<&[u8]>) =
        chain.iter().partition(|p| diagnose::crls_in(p).is_ok());
    let crls: Vec<Vec<u8>> = crl_parts
        .iter()
        .flat_map(|p| diagnose::crls_in(p).unwrap_or_default())
        .collect();
    let chain: Vec<Vec<u8>> = chain.iter().flat_map(|p| certs(p)).collect();
    fn source(der: &[u8]) -> Source<'_> {
        Source {
            der,
            origin: String::from("fuzz"),
        }
    }
    let role = if data.first().is_some_and(|b| b & 0x80 != 0) {
        Role::Server
    } else {
        Role::Client
    };
    let request = Request {
        anchors: anchors.iter().map(|d| source(d)).collect(),
        chain: chain.iter().map(|d| source(d)).collect(),
        key_spki_sha256: None,
        role,
        host: Some(String::from("localhost")),
        now: NOW,
        crls: crls.iter().map(|d| source(d)).collect(),
        ..Default::default()
    };
    if let Ok(d) = diagnose::diagnose(&request) {
        assert!(d.chain.len() <= diagnose::MAX_DEPTH);
        assert!(serde_json::to_string(&d).is_ok());
    }
}

/// The generic DER tree of arbitrary bytes.
pub fn der_tree(data: &[u8]) {
    let tree = der::tree(data);
    check_spans(&tree, data.len());
    if let Ok(tlv) = der::single(data) {
        assert!(tlv.raw.len() <= data.len());
    }
}

/// One certificate's DER, without and with a moment in time.
pub fn certificate(data: &[u8]) {
    for now in [None, Some(NOW)] {
        if let Ok(decoded) = x509::decode_certificate(data, now) {
            check_decoded(&decoded, data.len());
        }
    }
}

/// One CRL's DER, without and with a moment in time, and the revocation of a certificate
/// looked up in it (the fact the proxy logs).
pub fn crl(data: &[u8]) {
    for now in [None, Some(NOW)] {
        if let Ok(decoded) = x509::decode_crl(data, now) {
            check_decoded(&decoded, data.len());
        }
    }
    const CERT: &[u8] = include_bytes!("../seeds/certificate/seed-client-rsa.der");
    if let Ok(Some(r)) = x509::revocation(CERT, &[data, data]) {
        assert_eq!(r.crl_index, 0, "the first CRL that lists it");
        assert!(!r.to_string().is_empty());
    }
}

/// One CSR's DER (its self-signature is checked too).
pub fn csr(data: &[u8]) {
    if let Ok(decoded) = x509::decode_csr(data) {
        check_decoded(&decoded, data.len());
    }
}

/// One private key's DER, read as each of the three encodings.
pub fn private_key(data: &[u8]) {
    for format in [KeyFormat::Pkcs8, KeyFormat::Pkcs1, KeyFormat::Sec1] {
        if let Ok(decoded) = x509::decode_private_key(data, format) {
            check_decoded(&decoded, data.len());
        }
    }
}

/// One public key's DER, as a SubjectPublicKeyInfo and as a PKCS#1 RSAPublicKey.
pub fn public_key(data: &[u8]) {
    for pkcs1 in [false, true] {
        if let Ok(decoded) = x509::decode_public_key(data, pkcs1) {
            check_decoded(&decoded, data.len());
        }
    }
}

/// A PKCS#7 bundle's DER: the certificates it lists, each then decoded.
pub fn pkcs7(data: &[u8]) {
    if let Ok(certs) = x509::pkcs7_certificates(data) {
        for cert in certs {
            assert!(
                mtlskit_inspect::Span::of(data, cert).is_some(),
                "a PKCS#7 certificate must be a sub-slice of the bundle"
            );
            certificate(cert);
        }
    }
}

/// RFC 3339 parsing of arbitrary UTF-8; what parses must print and parse back to itself.
pub fn time(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = Timestamp::parse_rfc3339(text) {
        let printed = t.to_rfc3339();
        // Offsets can move a year 0000 or 9999 date out of the four-digit range RFC 3339 has.
        if !printed.starts_with('-') && printed.len() == "YYYY-MM-DDTHH:MM:SSZ".len() {
            assert_eq!(
                Timestamp::parse_rfc3339(&printed),
                Ok(t),
                "{text:?} printed as {printed:?}"
            );
        }
    }
}

/// PEM block splitting and the base64 reader.
pub fn pem(data: &[u8]) {
    let _ = mtlskit_inspect::pem::blocks(data);
    let _ = mtlskit_inspect::pem::decode_base64(data);
}

/// Hex dump reading (xxd, od, hexdump -C, bare hex).
pub fn hexdump(data: &[u8]) {
    let _ = mtlskit_inspect::hexdump::decode(data);
}

/// One direction of a TLS connection (what the proxy reads from a socket), with `now`.
pub fn tls(data: &[u8]) {
    let _ = mtlskit_inspect::tls::looks_like_tls(data);
    let decoded = mtlskit_inspect::tls::decode(data, Some(NOW));
    check_spans(&decoded.tree, data.len());
    if let Err(e) = serde_json::to_string(&decoded.tls) {
        panic!("the TLS object does not serialise: {e}");
    }
}

/// A pcap or pcapng file: TCP reassembly and the TLS of every connection.
pub fn capture(data: &[u8]) {
    let _ = mtlskit_inspect::capture::looks_like_capture(data);
    if let Ok(decoded) = mtlskit_inspect::capture::decode(data, Some(NOW)) {
        check_spans(&decoded.tree, data.len());
        if let Err(e) = serde_json::to_string(&decoded.capture) {
            panic!("the capture does not serialise: {e}");
        }
    }
}

/// The streaming capture reader: the first byte chooses the chunk size (1 to 256 bytes), the
/// rest is the capture. Read in chunks with every connection kept to the end, the report is
/// the whole-file one, byte for byte; read with the streaming limits, it never panics and
/// its spans stay in the file.
pub fn capture_stream(data: &[u8]) {
    use mtlskit_inspect::capture::{self, decode_stream, Collector, Limits, Reader};
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let size = usize::from(first) + 1;
    let whole = capture::decode(bytes, Some(NOW));
    for limits in [Limits::whole_file(), Limits::streaming()] {
        let mut reader = Reader::new(limits);
        let mut collector = Collector::new();
        let mut failed = None;
        for chunk in bytes.chunks(size) {
            if let Err(e) = reader.feed(chunk) {
                failed = Some(e);
                break;
            }
            while let Some(stream) = reader.next_stream() {
                let log = capture::merged_key_log(None, reader.key_log());
                collector.add(decode_stream(stream, Some(NOW), true, log.as_ref()));
            }
        }
        let streamed = match failed {
            Some(e) => Err(e),
            None => reader.finish().map(|trailer| {
                while let Some(stream) = reader.next_stream() {
                    let log = capture::merged_key_log(None, reader.key_log());
                    collector.add(decode_stream(stream, Some(NOW), true, log.as_ref()));
                }
                collector.finish(trailer, None)
            }),
        };
        match (&whole, &streamed) {
            (Ok(w), Ok(s)) => {
                check_spans(&s.tree, bytes.len());
                if limits == Limits::whole_file() {
                    assert_eq!(format!("{w:?}"), format!("{s:?}"), "chunks of {size} bytes");
                }
            }
            (Err(w), Err(s)) => assert_eq!(w, s),
            (w, s) => panic!(
                "whole file: {:?}, streamed: {:?}",
                w.as_ref().err(),
                s.as_ref().err()
            ),
        }
    }
}

/// Any bytes as an NSS key log: a parse that never fails, a bounded list of problem lines,
/// and a `Debug` that shows no secret (secrets are 32 to 64 bytes: the longest run of hex
/// digits it prints is shorter than the 64 digits of the smallest).
pub fn key_log(data: &[u8]) {
    use mtlskit_inspect::decrypt::{looks_like_key_log, KeyLog};
    let _ = looks_like_key_log(data);
    let log = KeyLog::parse(data);
    assert!(log.problems.len() <= 16, "problem lines are bounded");
    let shown = format!("{log:?}");
    // Client randoms are shown (32-byte arrays as decimal lists); secrets never.
    assert!(
        !shown.contains("Secret([") && !shown.contains("Secret {"),
        "{shown}"
    );
}

/// A capture and a key log ([`split_sources`]: the first source is the capture, the second
/// the key log): decryption of every connection the key log has secrets for, and the report
/// with the decrypted messages.
pub fn decrypt(data: &[u8]) {
    use mtlskit_inspect::decrypt::KeyLog;
    let parts = split_sources(data);
    let (capture, log) = match parts.as_slice() {
        [capture, log, ..] => (*capture, KeyLog::parse(log)),
        [capture] => (*capture, KeyLog::default()),
        [] => return,
    };
    if let Ok(decoded) =
        mtlskit_inspect::capture::decode_keyed(capture, Some(NOW), true, Some(&log))
    {
        check_spans(&decoded.tree, capture.len());
        for d in &decoded.decrypted {
            check_spans(&d.tree, d.bytes.len());
        }
        if let Err(e) = serde_json::to_string(&decoded.capture) {
            panic!("the capture does not serialise: {e}");
        }
    }
}

fn check_report(report: &Report) {
    for item in &report.items {
        check_spans(&item.tree, item.bytes.len());
    }
    if let Err(e) = serde_json::to_string(report) {
        panic!("the report does not serialise: {e}");
    }
}

fn check_decoded(decoded: &x509::Decoded, len: usize) {
    check_spans(&decoded.tree, len);
    if let Err(e) = serde_json::to_string(&decoded.body) {
        panic!("the item does not serialise: {e}");
    }
}

/// Every span lies inside the `len` bytes it indexes.
fn check_spans(nodes: &[Node], len: usize) {
    for node in nodes {
        assert!(
            node.span
                .offset
                .checked_add(node.span.len)
                .is_some_and(|end| end <= len),
            "field {:?} has span {:?} outside the {len} bytes of its item",
            node.name,
            node.span
        );
        check_spans(&node.children, len);
    }
}
