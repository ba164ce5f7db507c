//! Tests of streamed captures on real ones (`mtlskit probe --save-handshake` against `openssl
//! s_server -Verify 1 -tls1_2`, with and without a client certificate), joined into one file of
//! many connections the way `bench/make_capture.py` does.

use mtlskit_inspect::capture::summary::SummaryBuilder;
use mtlskit_inspect::{inspect, ItemBody, Timestamp};

use super::*;

const OK: &[u8] = include_bytes!("../../testdata/web/mtls_ok.pcap");
const NO_CERT: &[u8] = include_bytes!("../../testdata/web/no_client_cert.pcap");

fn now() -> Timestamp {
    Timestamp::from_parts(2026, 12, 1, 0, 0, 0)
}

/// Every connection of `files` (little-endian Ethernet pcaps of one connection each), copied
/// `copies` times, each copy on its own client port and one second later.
fn many(files: &[&[u8]], copies: u16) -> Vec<u8> {
    let mut out = files[0][..24].to_vec();
    for copy in 0..copies {
        for (f, file) in files.iter().enumerate() {
            let port = 20_000 + copy * 2 + f as u16;
            let mut at = 24;
            let mut client = None;
            while at + 16 <= file.len() {
                let len = le32(file, at + 8) as usize;
                let mut p = file[at..at + 16 + len].to_vec();
                let sec = le32(&p, 0) + u32::from(copy);
                p[0..4].copy_from_slice(&sec.to_le_bytes());
                let tcp = 16 + 14 + usize::from(p[16 + 14] & 15) * 4;
                let (src, dst) = (
                    u16::from_be_bytes([p[tcp], p[tcp + 1]]),
                    u16::from_be_bytes([p[tcp + 2], p[tcp + 3]]),
                );
                let client = *client.get_or_insert(src);
                if src == client {
                    p[tcp..tcp + 2].copy_from_slice(&port.to_be_bytes());
                }
                if dst == client {
                    p[tcp + 2..tcp + 4].copy_from_slice(&port.to_be_bytes());
                }
                out.extend_from_slice(&p);
                at += 16 + len;
            }
        }
    }
    out
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Decodes `bytes` fed in chunks of `chunk`: the rows and the summary.
fn decode(bytes: &[u8], chunk: usize) -> (Vec<Row>, Summary) {
    let mut d = Decoder::new(now());
    let mut rows = Vec::new();
    for piece in bytes.chunks(chunk) {
        if let Err(e) = d.feed(piece) {
            panic!("{e}");
        }
        while let Some(row) = d.next_row() {
            rows.extend(row);
        }
    }
    if let Err(e) = d.finish() {
        panic!("{e}");
    }
    while let Some(row) = d.next_row() {
        rows.extend(row);
    }
    assert_eq!(d.bytes_read(), bytes.len() as u64);
    (rows, d.summary())
}

#[test]
fn pcap_and_pcapng_are_told_by_their_first_bytes() {
    assert!(is_capture(OK));
    assert!(is_capture(include_bytes!(
        "../../testdata/decrypt/tls13.pcapng"
    )));
    assert!(!is_capture(b"-----BEGIN CERTIFICATE-----"));
    assert!(!is_capture(&OK[..3]));
}

#[test]
fn a_streamed_capture_has_the_rows_and_summary_of_the_whole_file_reading() {
    let bytes = many(&[OK, NO_CERT], 25);
    let (rows, summary) = decode(&bytes, 4096);
    assert_eq!(rows.len(), 50);
    assert_eq!(summary.connections, 50);
    assert_eq!(summary.outcomes.completed, 25);
    assert_eq!(summary.outcomes.failed, 25);
    // The same counts as the library's builder over the whole-file report.
    let report = inspect("x.pcap", &bytes, Some(now()));
    let ItemBody::Capture(cap) = &report.items[0].body else {
        panic!("not a capture");
    };
    let mut builder = SummaryBuilder::new(Some(now()), EXPIRING_DAYS);
    for c in &cap.connections {
        builder.add(c);
    }
    let whole = builder.finish(Some(TOP));
    assert_eq!(summary.outcomes, whole.outcomes);
    assert_eq!(summary.codes, whole.codes);
    assert_eq!(summary.ja4, whole.ja4);
    assert_eq!(summary.client_subjects, whole.client_subjects);
    assert_eq!(summary.format, "pcap");
    // A row says what the whole-file card says of the same connection.
    let Some(first) = cap
        .connections
        .iter()
        .find(|c| c.client == rows[0].conn.client)
    else {
        panic!("no connection from {}", rows[0].conn.client);
    };
    assert_eq!(rows[0].header, crate::capture::header(first));
    // Chunk sizes do not change what is read.
    let (again, same) = decode(&bytes, 1 << 20);
    assert_eq!(again.len(), rows.len());
    assert_eq!(same, summary);
}

#[test]
fn a_summary_row_filters_the_list_and_a_second_click_shows_all() {
    let bytes = many(&[OK, NO_CERT], 5);
    let (rows, summary) = decode(&bytes, 65_536);
    let mut card = StreamCard::new(1, "big.pcap".into(), bytes.len() as u64);
    card.push(rows);
    assert_eq!(card.shown.len(), 10);
    let Some(code) = summary
        .codes
        .iter()
        .find(|c| c.value == "client_certificate_missing")
    else {
        panic!("codes: {:?}", summary.codes);
    };
    let pick = Pick {
        table: "codes",
        value: code.value.clone(),
    };
    card.set_pick(Some(pick.clone()));
    assert_eq!(card.shown.len(), code.connections);
    assert!(card.shown.iter().all(|&i| card.rows[i as usize]
        .codes
        .contains(&"client_certificate_missing")));
    // Rows decoded later are filtered as they come.
    let (more, _) = decode(&many(&[NO_CERT], 1), 65_536);
    card.push(more);
    assert_eq!(card.shown.len(), code.connections + 1);
    card.set_pick(Some(pick));
    assert!(card.pick.is_none());
    assert_eq!(card.shown.len(), 11);
    // Tables without a filter, and "(none)" rows, pick nothing.
    card.set_pick(Some(Pick {
        table: "versions",
        value: "TLS 1.2".into(),
    }));
    assert!(card.pick.is_none());
    let none = Pick {
        table: "server_names",
        value: "(none)".into(),
    };
    assert!(none.filter().is_none());
}

#[test]
fn the_virtual_list_renders_the_viewport_and_a_margin() {
    assert_eq!(visible(0.0, 400.0, 40.0, 20_000, 5), 0..16);
    assert_eq!(visible(4000.0, 400.0, 40.0, 20_000, 5), 95..116);
    assert_eq!(visible(1e9, 400.0, 40.0, 100, 5), 100..100);
    assert_eq!(visible(0.0, 400.0, 40.0, 3, 5), 0..3);
    assert_eq!(visible(0.0, 400.0, 40.0, 0, 5), 0..0);
}

#[test]
fn a_file_that_is_not_a_capture_fails_cleanly() {
    let mut d = Decoder::new(now());
    assert!(d.feed(b"not a capture at all, just text").is_err());
}
