//! The streaming capture reader against the whole-file one: the same report for every capture
//! of testdata/ and of the fuzz seeds, whatever size the chunks are; and a long-lived
//! connection read in bounded memory, its bytes counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use mtlskit_inspect::capture::{
    self, decode_stream, merged_key_log, Collector, ConnectionReport, Decoded, Limits, Reader,
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
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let mut seq = [1000u32, 5000u32];
    for (i, (client, payload, flags)) in segments.iter().enumerate() {
        let side = usize::from(!client);
        let (src, dst, sport, dport) = if *client {
            ([10, 0, 0, 1], [10, 0, 0, 2], 40000u16, 443u16)
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1], 443, 40000)
        };
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        frame.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        frame[16..18].copy_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&src);
        frame.extend_from_slice(&dst);
        frame.extend_from_slice(&sport.to_be_bytes());
        frame.extend_from_slice(&dport.to_be_bytes());
        frame.extend_from_slice(&seq[side].to_be_bytes());
        frame.extend_from_slice(&seq[1 - side].to_be_bytes());
        frame.extend_from_slice(&[0x50, *flags, 0xff, 0xff, 0, 0, 0, 0]);
        frame.extend_from_slice(payload);
        seq[side] = seq[side]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags & 0x03 != 0));
        let ms = i as u32;
        out.extend_from_slice(&(1_700_000_000 + ms / 1000).to_le_bytes());
        out.extend_from_slice(&((ms % 1000) * 1000).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

#[test]
fn a_long_lived_connection_is_counted_not_kept() {
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;
    const FIN: u8 = 0x01;
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
