//! Tests of streamed captures on real ones (`mtlskit probe --save-handshake` against `openssl
//! s_server -Verify 1 -tls1_2`, with and without a client certificate), joined into one file of
//! many connections the way `bench/make_capture.py` does.

use mtlskit_inspect::capture::model::Connection;
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

/// Decodes `bytes` fed in chunks of `chunk`: the rows (with their slim connections) and the
/// summary.
fn decode(bytes: &[u8], chunk: usize) -> (Vec<(Row, Connection)>, Summary) {
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

/// Runs an engine over `bytes` the way `worker::pump` does, reporting every `every` chunks of
/// `chunk` bytes; the reports, each through JSON as between worker and page.
fn run_engine(engine: &mut Engine, bytes: &[u8], chunk: usize, every: usize) -> Vec<Report> {
    let mut reports = Vec::new();
    for (n, piece) in bytes.chunks(chunk).enumerate() {
        if let Err(e) = engine.feed(piece) {
            panic!("{e}");
        }
        while engine.step() {}
        if n % every == every - 1 {
            reports.push(engine.report());
        }
    }
    if let Err(e) = engine.finish() {
        panic!("{e}");
    }
    while engine.step() {}
    reports.push(engine.report());
    reports.into_iter().map(through_json).collect()
}

fn through_json(report: Report) -> Report {
    let text = match serde_json::to_string(&report) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => panic!("{e}: {text}"),
    }
}

/// The page's card after the reports.
fn card_of(reports: Vec<Report>) -> StreamCard {
    let mut card = StreamCard::new(1, "big.pcap".into(), 0);
    for r in reports {
        card.take(r);
    }
    card
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
    let (row, conn) = &rows[0];
    let Some(first) = cap.connections.iter().find(|c| c.client == conn.client) else {
        panic!("no connection from {}", conn.client);
    };
    let header = crate::capture::header(first);
    assert_eq!(row.title, header.title);
    assert_eq!(row.summary, header.summary);
    assert_eq!(row.certificate, header.certificate);
    // Chunk sizes do not change what is read.
    let (again, same) = decode(&bytes, 1 << 20);
    assert_eq!(again.len(), rows.len());
    assert_eq!(same, summary);
}

#[test]
fn the_card_shows_what_the_engine_read_as_the_library_counts_it() {
    let bytes = many(&[OK, NO_CERT], 25);
    let (rows, summary) = decode(&bytes, 4096);
    let reports = run_engine(&mut Engine::new(now()), &bytes, 4096, 7);
    assert!(reports.len() > 3, "{} reports", reports.len());
    let card = card_of(reports);
    // Every row, in order, and all shown without a pick.
    let expected: Vec<&Row> = rows.iter().map(|(r, _)| r).collect();
    let got: Vec<&Row> = card.rows.iter().map(|r| &**r).collect();
    assert_eq!(got, expected);
    assert_eq!(*card.shown, (0..50).collect::<Vec<u32>>());
    assert_eq!(card.read, bytes.len() as u64);
    // The summary, field by field as its JSON (the CLI's `--summary --json`) has it.
    let s = &card.summary;
    assert_eq!(s.connections, summary.connections);
    assert_eq!(s.other_connections, summary.other_connections);
    assert_eq!(s.outcomes.completed, summary.outcomes.completed);
    assert_eq!(s.outcomes.failed, summary.outcomes.failed);
    assert_eq!(s.outcomes.unknown, summary.outcomes.unknown);
    assert_eq!(s.outcomes.no_handshake, summary.outcomes.no_handshake);
    let tally = |counts: &[mtlskit_inspect::capture::summary::Count]| -> Vec<Tally> {
        counts
            .iter()
            .map(|c| Tally {
                value: c.value.clone(),
                connections: c.connections,
            })
            .collect()
    };
    assert_eq!(s.codes, tally(&summary.codes));
    assert!(!s.codes.is_empty());
    assert_eq!(s.versions, tally(&summary.versions));
    assert_eq!(s.cipher_suites, tally(&summary.cipher_suites));
    assert_eq!(s.client_certificates, tally(&summary.client_certificates));
    assert_eq!(s.ja4, tally(&summary.ja4));
    assert_eq!(s.server_names, tally(&summary.server_names));
    assert_eq!(s.client_subjects, tally(&summary.client_subjects));
    assert_eq!(s.client_issuers, tally(&summary.client_issuers));
    assert_eq!(s.expiring.len(), summary.expiring.len());
    assert_eq!(s.expiring_within_days, summary.expiring_within_days);
    assert_eq!(s.file_findings.len(), summary.file_findings.len());
}

#[test]
fn a_summary_row_filters_the_list_and_a_second_click_shows_all() {
    let bytes = many(&[OK, NO_CERT], 5);
    let mut engine = Engine::new(now());
    let mut card = card_of(run_engine(&mut engine, &bytes, 65_536, 1));
    assert_eq!(card.shown.len(), 10);
    let Some(code) = card
        .summary
        .codes
        .iter()
        .find(|c| c.value == "client_certificate_missing")
        .cloned()
    else {
        panic!("codes: {:?}", card.summary.codes);
    };
    let pick = Pick {
        table: "codes".into(),
        value: code.value.clone(),
    };
    let row = toggle(card.pick.as_ref(), pick.clone());
    assert_eq!(row.as_ref(), Some(&pick));
    card.set_pick(1, row.clone());
    assert!(
        card.shown.is_empty(),
        "nothing shown until the engine answers"
    );
    card.take(through_json(engine.pick(1, row)));
    assert_eq!(card.shown.len(), code.connections);
    assert!(card.shown.iter().all(|&i| card.rows[i as usize]
        .codes
        .iter()
        .any(|c| c == "client_certificate_missing")));
    // Rows decoded later are filtered as they come.
    let (more, _) = decode(&many(&[NO_CERT], 1), 65_536);
    let mut more_engine = Engine::new(now());
    let later = run_engine(&mut more_engine, &many(&[NO_CERT], 1), 65_536, 1);
    assert_eq!(more.len(), 1);
    let Some(Report::Read { rows, summary, .. }) = later.into_iter().last() else {
        panic!("no report");
    };
    // (as the first engine would report them: one more refused connection, matched)
    card.take(Report::Read {
        read: 0,
        summary,
        rows,
        pick: 1,
        matches: vec![10],
    });
    assert_eq!(card.shown.len(), code.connections + 1);
    // Matches for an older request are left to the answer to the newer one.
    card.set_pick(2, toggle(card.pick.as_ref(), pick.clone()));
    assert!(card.pick.is_none());
    card.take(Report::Read {
        read: 0,
        summary: Box::default(),
        rows: Vec::new(),
        pick: 1,
        matches: vec![0],
    });
    assert!(card.shown.is_empty());
    card.take(through_json(engine.pick(2, None)));
    assert_eq!(card.shown.len(), 10);
    // A stale answer is ignored.
    card.take(Report::Shown {
        pick: 1,
        shown: vec![3],
    });
    assert_eq!(card.shown.len(), 10);
    // Tables without a filter, and "(none)" rows, pick nothing.
    let versions = Pick {
        table: "versions".into(),
        value: "TLS 1.2".into(),
    };
    assert_eq!(toggle(None, versions), None);
    let none = Pick {
        table: "server_names".into(),
        value: "(none)".into(),
    };
    assert!(none.filter().is_none());
}

#[test]
fn commands_cross_to_the_worker_as_json() {
    for command in [
        Command::Start { now: 1_700_000_000 },
        Command::Cancel,
        Command::Pick {
            pick: 3,
            row: Some(Pick {
                table: "ja4".into(),
                value: "t12d".into(),
            }),
        },
    ] {
        let text = serde_json::to_string(&command).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Command>(&text).ok(), Some(command));
    }
    // What web/worker.js sends when the decoder cannot load.
    let text = r#"{"Unavailable":"TypeError: failed"}"#;
    assert_eq!(
        serde_json::from_str::<Report>(text).ok(),
        Some(Report::Unavailable("TypeError: failed".into()))
    );
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
