//! The streaming capture reader against the whole-file one: the same report for every capture
//! of testdata/ and of the fuzz seeds, whatever size the chunks are; and a long-lived
//! connection read in bounded memory, its bytes counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use mtlskit_inspect::capture::summary::SummaryBuilder;
use mtlskit_inspect::capture::{
    self, decode_stream, merged_key_log, Collector, ConnectionDecoder, ConnectionReport, Decoded,
    Limits, Reader,
};
use mtlskit_inspect::decrypt::KeyLog;
use mtlskit_inspect::time::Timestamp;

const NOW: Timestamp = Timestamp(1_735_689_600);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every pcap and pcapng file under testdata/ and fuzz/seeds/capture/.
fn captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("testdata"), &mut out);
    walk(&root().join("fuzz/seeds/capture"), &mut out);
    out.sort();
    assert!(out.len() >= 6, "captures found: {out:?}");
    out
}

/// Everything the report holds, spans and trees included.
fn shown(d: &Decoded) -> String {
    format!("{d:?}")
}

/// The capture fed in chunks of `size` bytes, each connection decoded as it finishes.
fn streamed(bytes: &[u8], size: usize, limits: Limits, given: Option<&KeyLog>) -> Decoded {
    let mut reader = Reader::new(limits);
    let mut collector = Collector::new();
    let drain = |reader: &mut Reader, collector: &mut Collector| {
        while let Some(stream) = reader.next_stream() {
            let log = merged_key_log(given, reader.key_log());
            collector.add(decode_stream(stream, Some(NOW), true, log.as_ref()));
        }
    };
    for chunk in bytes.chunks(size) {
        reader.feed(chunk).unwrap();
        drain(&mut reader, &mut collector);
    }
    let trailer = reader.finish().unwrap();
    drain(&mut reader, &mut collector);
    collector.finish(trailer, given)
}

#[test]
fn streaming_and_whole_file_reports_are_identical() {
    for path in captures() {
        let bytes = std::fs::read(&path).unwrap();
        let whole = capture::decode(&bytes, Some(NOW)).unwrap();
        assert!(!whole.capture.connections.is_empty(), "{}", path.display());
        let want = shown(&whole);
        for size in [1, 7, 64 * 1024, bytes.len()] {
            for limits in [Limits::streaming(), Limits::whole_file()] {
                let got = shown(&streamed(&bytes, size, limits, None));
                if got != want {
                    let at = got
                        .bytes()
                        .zip(want.bytes())
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    let from = at.saturating_sub(300);
                    eprintln!(
                        "got:  {}\nwant: {}",
                        &got[from..(at + 300).min(got.len())],
                        &want[from..(at + 300).min(want.len())]
                    );
                }
                assert!(
                    got == want,
                    "{}: chunks of {size} bytes, {limits:?}: the report differs",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_key_log_decrypts_in_the_streaming_path() {
    let dir = root().join("testdata/decrypt");
    let bytes = std::fs::read(dir.join("tls13.pcapng")).unwrap();
    let log = KeyLog::parse(&std::fs::read(dir.join("tls13.keys")).unwrap());
    let with_secrets = std::fs::read(dir.join("tls13-with-secrets.pcapng")).unwrap();
    // The capture's own Decryption Secrets Block, and a key log file.
    let cases = [(with_secrets, None), (bytes, Some(log))];
    for (bytes, log) in &cases {
        let whole = capture::decode_keyed(&bytes[..], Some(NOW), true, log.as_ref()).unwrap();
        let decrypted = whole
            .capture
            .key_log
            .as_ref()
            .map_or(0, |k| k.connections_decrypted);
        assert!(decrypted > 0, "the whole-file reader decrypts");
        for size in [7, 64 * 1024] {
            let got = streamed(bytes, size, Limits::streaming(), log.as_ref());
            assert_eq!(shown(&got), shown(&whole));
        }
    }
}

/// A pcap of one TCP connection (Ethernet, IPv4) from 10.0.0.1:40000 to 10.0.0.2:443:
/// `segments` of (from the client?, payload, flags), one millisecond apart.
fn pcap(segments: &[(bool, Vec<u8>, u8)]) -> Vec<u8> {
    let mut out = common::header();
    out.extend(common::records(
        common::addr([10, 0, 0, 1], 40000),
        common::addr([10, 0, 0, 2], 443),
        segments,
        |i| 1_700_000_000_000_000 + i as u64 * 1000,
    ));
    out
}

#[test]
fn a_long_lived_connection_is_counted_not_kept() {
    use common::{ACK, FIN, PSH, SYN};
    let hello = std::fs::read(root().join("testdata/web/mtls_ok.pcap")).unwrap();
    // The real ClientHello and server flight of a recorded handshake, then 8 MB of
    // application data records from the server.
    let streams = capture::streams(&hello).unwrap();
    let first = &streams[0];
    let mut segments = vec![
        (true, vec![], SYN),
        (false, vec![], SYN | ACK),
        (true, vec![], ACK),
    ];
    for piece in first.client_to_server.bytes.chunks(1400) {
        segments.push((true, piece.to_vec(), ACK | PSH));
    }
    for piece in first.server_to_client.bytes.chunks(1400) {
        segments.push((false, piece.to_vec(), ACK | PSH));
    }
    let mut record = vec![0x17, 0x03, 0x03, 0x05, 0x73]; // 1395 bytes of application data
    record.resize(1400, 0xab);
    let data_segments = 6000;
    for _ in 0..data_segments {
        segments.push((false, record.clone(), ACK | PSH));
        segments.push((true, vec![], ACK));
    }
    segments.push((true, vec![], FIN | ACK));
    segments.push((false, vec![], FIN | ACK));
    segments.push((true, vec![], ACK));
    let file = pcap(&segments);
    let server_bytes = first.server_to_client.bytes.len() + data_segments * 1400;

    let whole = capture::decode(&file, Some(NOW)).unwrap();
    let conn = &whole.capture.connections[0];
    assert_eq!(conn.bytes_server_to_client, server_bytes);

    let streamed = streamed(&file, 64 * 1024, Limits::streaming(), None);
    let conn = &streamed.capture.connections[0];
    assert_eq!(
        conn.bytes_server_to_client, server_bytes,
        "every byte counted"
    );
    assert!(
        conn.summary.client_certificate.is_some(),
        "{:?}",
        conn.summary
    );
    assert!(
        conn.server_to_client.records.len() < 300,
        "only the first 256 KiB decoded: {} records",
        conn.server_to_client.records.len()
    );
    assert!(conn
        .findings
        .iter()
        .any(|f| f.code.as_str() == "tcp_not_kept"));
    assert!(!conn
        .findings
        .iter()
        .any(|f| f.message.contains("cut short")));
    // The same handshake facts as the whole-file reading.
    assert_eq!(conn.summary, whole.capture.connections[0].summary);
}

#[test]
fn connections_finish_before_the_end_of_the_file() {
    // Ten copies of a connection, one second apart, each closed by FIN: the reader hands
    // each over while reading, holding few open at a time.
    let bytes = std::fs::read(root().join("testdata/web/mtls_ok.pcap")).unwrap();
    let streams = capture::streams(&bytes).unwrap();
    assert!(streams[0].client_to_server.fin && streams[0].server_to_client.fin);
    let mut reader = Reader::default();
    let mut seen = 0;
    let mut max_open = 0;
    // Feed the same capture's records again with later times: built from the pcap body.
    let body = &bytes[24..];
    reader.feed(&bytes[..24]).unwrap();
    for copy in 0..10u32 {
        let mut at = 0;
        while at + 16 <= body.len() {
            let len = u32::from_le_bytes(body[at + 8..at + 12].try_into().unwrap()) as usize;
            let mut record = body[at..at + 16 + len].to_vec();
            let secs = u32::from_le_bytes(record[..4].try_into().unwrap()) + copy * 10;
            record[..4].copy_from_slice(&secs.to_le_bytes());
            reader.feed(&record).unwrap();
            max_open = max_open.max(reader.open_connections());
            while reader.next_stream().is_some() {
                seen += 1;
            }
            at += 16 + len;
        }
    }
    assert!(seen >= 9, "finished while reading: {seen}");
    assert!(max_open <= 2, "open at once: {max_open}");
    reader.finish().unwrap();
    while reader.next_stream().is_some() {
        seen += 1;
    }
    assert_eq!(seen, 10);
    let _ = ConnectionReport::first_packet;
}

/// The summary of a decoded capture, as `inspect --summary` counts it.
fn summary_of(d: &Decoded, trailer: &capture::Trailer) -> String {
    let mut builder = SummaryBuilder::new(Some(NOW), 30);
    builder.file(trailer);
    for c in &d.capture.connections {
        builder.add(c);
    }
    for _ in &d.capture.other_connections {
        builder.add_other();
    }
    format!("{:?}", builder.finish(None))
}

#[test]
fn the_fast_path_without_trees_gives_the_reports_of_the_tree_path() {
    // One decoder for every capture, as a decoding thread of the CLI keeps one: the
    // certificates it remembers from a file change nothing in the next.
    let mut fast = ConnectionDecoder::new(Some(NOW), false);
    let key_log =
        KeyLog::parse(&std::fs::read(root().join("testdata/decrypt/tls13.keys")).unwrap());
    let mut cases: Vec<(PathBuf, Option<&KeyLog>)> =
        captures().into_iter().map(|p| (p, None)).collect();
    cases.push((root().join("testdata/decrypt/tls13.pcapng"), Some(&key_log)));
    for (path, given) in cases {
        let bytes = std::fs::read(&path).unwrap();
        let with_trees = capture::decode_keyed(&bytes, Some(NOW), true, given).unwrap();
        // The streaming reader, each connection decoded without trees as it finishes.
        let mut reader = Reader::default();
        let mut collector = Collector::new();
        reader.feed(&bytes).unwrap();
        let trailer = reader.finish().unwrap();
        let log = merged_key_log(given, reader.key_log());
        while let Some(stream) = reader.next_stream() {
            collector.add(fast.decode(stream, log.as_ref()));
        }
        let without = collector.finish(trailer.clone(), given);
        assert!(without.tree.is_empty() && without.decrypted.is_empty());
        let whole = capture::decode_keyed(&bytes, Some(NOW), false, given).unwrap();
        for got in [&without, &whole] {
            assert_eq!(
                format!("{:?}", got.capture),
                format!("{:?}", with_trees.capture),
                "{}: the report differs without trees",
                path.display()
            );
            assert_eq!(
                format!("{:?}", got.findings),
                format!("{:?}", with_trees.findings),
                "{}: the findings differ without trees",
                path.display()
            );
            assert_eq!(
                summary_of(got, &trailer),
                summary_of(&with_trees, &trailer),
                "{}: the summary differs without trees",
                path.display()
            );
        }
    }
}
