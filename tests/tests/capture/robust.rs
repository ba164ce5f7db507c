//! Damaged and unusual captures: truncated at every point, a segment dropped, segments
//! reordered or duplicated, sequence numbers wrapping past 2^32, other link layers and file
//! variants. Each is made from one real loopback capture by rewriting its records; the
//! reassembled streams must be the original's (and tshark's, where tshark sees them whole),
//! gaps must be reported where they are, and nothing may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mtlskit_inspect::capture::{self, Stream};
use mtlskit_tests::capture::{assert_same_as_tshark, editcap, Pcap};
use mtlskit_tests::peer::{get_ok, self_signed_server};
use mtlskit_tests::process::free_port;
use mtlskit_tests::tshark::Capture;

/// One capture for every test of this file: TLS 1.3, TLS 1.2 and IPv6 connections, as a
/// classic little-endian pcap with Ethernet framing.
fn original() -> &'static (PathBuf, Vec<u8>) {
    static CAPTURE: OnceLock<(PathBuf, Vec<u8>)> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("capture_robust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let _server = self_signed_server(&dir, port, &[]);
        let cap = Capture::start(&dir, "lo", port, "orig.pcap", &["-F", "pcap"]);
        get_ok("127.0.0.1", port, &["-tls1_3"]);
        get_ok("127.0.0.1", port, &["-tls1_2"]);
        get_ok("[::1]", port, &[]);
        let path = cap.stop(3);
        let bytes = std::fs::read(&path).unwrap();
        (path, bytes)
    })
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = original().0.with_file_name(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn key(s: &Stream) -> (String, String) {
    (s.client.to_string(), s.server.to_string())
}

fn find<'a>(streams: &'a [Stream], s: &Stream) -> &'a Stream {
    streams
        .iter()
        .find(|t| key(t) == key(s))
        .unwrap_or_else(|| panic!("stream {:?} missing", key(s)))
}

fn assert_same_streams(got: &[Stream], want: &[Stream]) {
    assert_eq!(got.len(), want.len());
    for w in want {
        let g = find(got, w);
        assert!(
            g.client_to_server.bytes == w.client_to_server.bytes,
            "{:?} c->s",
            key(w)
        );
        assert!(
            g.server_to_client.bytes == w.server_to_client.bytes,
            "{:?} s->c",
            key(w)
        );
        assert!(g.client_to_server.gaps.is_empty() && g.server_to_client.gaps.is_empty());
    }
}

/// The TCP segment inside an Ethernet frame captured on lo: (source port, seq offset in the
/// frame, payload length).
fn tcp(frame: &[u8]) -> (u16, usize, usize) {
    let ip = 14;
    let (tcp_at, ip_end) = match frame[ip] >> 4 {
        4 => {
            let ihl = usize::from(frame[ip] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([frame[ip + 2], frame[ip + 3]]));
            (ip + ihl, ip + total)
        }
        _ => {
            let len = usize::from(u16::from_be_bytes([frame[ip + 4], frame[ip + 5]]));
            (ip + 40, ip + 40 + len)
        }
    };
    let header = usize::from(frame[tcp_at + 12] >> 4) * 4;
    let port = u16::from_be_bytes([frame[tcp_at], frame[tcp_at + 1]]);
    (port, tcp_at + 4, ip_end - tcp_at - header)
}

fn data_records(p: &Pcap) -> Vec<usize> {
    (0..p.records.len())
        .filter(|&i| tcp(&p.records[i].1).2 > 0)
        .collect()
}

/// The offsets where a record (pcap) or block (pcapng) ends: a cut there is a whole file.
fn boundaries(file: &[u8]) -> Vec<usize> {
    let (mut at, len_at, extra) = if file.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        (0, 4, 0)
    } else {
        (24, 8, 16)
    };
    let mut ends = vec![at];
    while at + len_at + 4 <= file.len() {
        let len = u32::from_le_bytes(file[at + len_at..at + len_at + 4].try_into().unwrap());
        at += len as usize + extra;
        ends.push(at);
    }
    ends
}

#[test]
fn truncated_files_give_prefixes_of_the_streams() {
    let (_, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    let pcapng = write("orig.pcapng", &[]);
    editcap(&original().0, &pcapng, &["-F", "pcapng"]);
    let ng = std::fs::read(&pcapng).unwrap();
    assert_same_streams(&capture::streams(&ng).unwrap(), &full);
    for file in [bytes, &ng] {
        let cuts = (0..300).chain((300..file.len()).step_by(7));
        for cut in cuts {
            let Ok(read) = capture::read(&file[..cut]) else {
                assert!(cut < 40, "a header-only file is a capture (cut at {cut})");
                continue;
            };
            if !boundaries(file).contains(&cut) {
                assert!(
                    read.findings.iter().any(|f| f.code == "capture_truncated"),
                    "cut at {cut}: {:?}",
                    read.findings
                );
            }
            for s in &read.streams {
                let w = find(&full, s);
                assert!(w
                    .client_to_server
                    .bytes
                    .starts_with(&s.client_to_server.bytes));
                assert!(w
                    .server_to_client
                    .bytes
                    .starts_with(&s.server_to_client.bytes));
            }
        }
    }
}

#[test]
fn a_dropped_segment_is_a_gap_where_it_was() {
    let (_, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    let mut p = Pcap::parse(bytes);
    // The client's second data segment of the first TLS connection (after the ClientHello).
    let first = &full
        .iter()
        .find(|s| !s.client_to_server.bytes.is_empty())
        .unwrap();
    let client_port = first.client.port();
    let dropped = data_records(&p)
        .into_iter()
        .filter(|&i| tcp(&p.records[i].1).0 == client_port)
        .nth(1)
        .unwrap();
    let len = tcp(&p.records[dropped].1).2;
    p.records.remove(dropped);
    let path = write("dropped.pcap", &p.write());
    let got = capture::streams(&std::fs::read(&path).unwrap()).unwrap();
    let s = find(&got, first);
    let at = first.client_to_server.chunks[1].offset;
    assert_eq!(s.client_to_server.gaps.len(), 1);
    assert_eq!(s.client_to_server.gaps[0].offset, at);
    assert_eq!(s.client_to_server.gaps[0].len, len as u64);
    // The gap is reported before the packet that follows it (the dropped one's successor).
    assert!(s.client_to_server.gaps[0].packet > dropped);
    let want = &first.client_to_server.bytes;
    assert_eq!(
        s.client_to_server.bytes,
        [&want[..at], &want[at + len..]].concat()
    );
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == "tcp_gap" && f.message.contains(&format!("{len} bytes"))));
    // The other direction and the other connections are untouched.
    assert_eq!(s.server_to_client.bytes, first.server_to_client.bytes);
}

#[test]
fn reordered_segments_are_put_back_in_place() {
    let (_, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    let mut p = Pcap::parse(bytes);
    // Move every connection's first client data segment (the ClientHello) after the next
    // data segment of the same client.
    let mut moved = 0;
    for s in full.iter().filter(|s| !s.client_to_server.bytes.is_empty()) {
        let port = s.client.port();
        let mine: Vec<usize> = data_records(&p)
            .into_iter()
            .filter(|&i| tcp(&p.records[i].1).0 == port)
            .collect();
        let record = p.records.remove(mine[0]);
        p.records.insert(mine[1], record);
        moved += 1;
    }
    assert_eq!(moved, 3);
    let path = write("reordered.pcap", &p.write());
    let got = assert_same_as_tshark(&path);
    assert_same_streams(&got, &full);
    assert!(
        got.iter()
            .filter(|s| s.client_to_server.out_of_order > 0)
            .count()
            == 3
    );
}

#[test]
fn retransmitted_segments_are_dropped_and_match_tshark() {
    let (_, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    let mut p = Pcap::parse(bytes);
    let data = data_records(&p);
    // Every third data segment is sent twice: once right away, once three packets later.
    for &i in data.iter().rev().step_by(3) {
        let copy = p.records[i].clone();
        let to = (i + 4).min(p.records.len());
        p.records.insert(to, copy);
    }
    let path = write("retransmitted.pcap", &p.write());
    let got = assert_same_as_tshark(&path);
    assert_same_streams(&got, &full);
    assert!(got
        .iter()
        .any(|s| s.server_to_client.retransmissions + s.client_to_server.retransmissions > 0));
}

#[test]
fn sequence_numbers_wrapping_past_2_32() {
    let (_, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    let mut p = Pcap::parse(bytes);
    // Shift every sequence number so each direction's stream crosses 2^32 after 100 bytes:
    // both directions, so the acknowledgement numbers need no change for our reader.
    let mut shift = std::collections::HashMap::new();
    for (_, frame) in &mut p.records {
        let (port, seq_at, _) = tcp(frame);
        let seq = u32::from_be_bytes(frame[seq_at..seq_at + 4].try_into().unwrap());
        let delta = *shift
            .entry(port)
            .or_insert_with(|| (u32::MAX - 100).wrapping_sub(seq));
        frame[seq_at..seq_at + 4].copy_from_slice(&seq.wrapping_add(delta).to_be_bytes());
    }
    let path = write("wrapped.pcap", &p.write());
    let got = capture::streams(&std::fs::read(&path).unwrap()).unwrap();
    assert_same_streams(&got, &full);
}

#[test]
fn raw_ip_and_loopback_link_layers() {
    let (_, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    // (link type, header in place of Ethernet's for IPv4, for IPv6)
    let variants: [(u32, &str, Vec<u8>, Vec<u8>); 3] = [
        (101, "raw IP", vec![], vec![]),
        (
            0,
            "BSD loopback (null)",
            2u32.to_le_bytes().to_vec(),
            30u32.to_le_bytes().to_vec(),
        ),
        (
            108,
            "OpenBSD loopback",
            2u32.to_be_bytes().to_vec(),
            24u32.to_be_bytes().to_vec(),
        ),
    ];
    for (link, name, v4, v6) in variants {
        let mut p = Pcap::parse(bytes);
        p.set_link_type(link);
        for (_, frame) in &mut p.records {
            let header = if frame[14] >> 4 == 4 { &v4 } else { &v6 };
            frame.splice(..14, header.iter().copied());
        }
        let path = write(&format!("link{link}.pcap"), &p.write());
        let read = capture::read(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(read.link_types, [name]);
        assert_same_streams(&read.streams, &full);
        assert_same_as_tshark(&path);
    }
}

#[test]
fn nanosecond_pcap_and_pcapng_read_the_same() {
    let (path, bytes) = original();
    let full = capture::streams(bytes).unwrap();
    for (name, format) in [("ns.pcap", "nsecpcap"), ("conv.pcapng", "pcapng")] {
        let out = write(name, &[]);
        editcap(path, &out, &["-F", format]);
        let got = capture::streams(&std::fs::read(&out).unwrap()).unwrap();
        assert_same_streams(&got, &full);
        for s in &full {
            let g = find(&got, s);
            assert_eq!(g.first_time_ns, s.first_time_ns, "{name}");
            assert_eq!(g.last_time_ns, s.last_time_ns, "{name}");
        }
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    let (_, bytes) = original();
    let mut copy = bytes.clone();
    for at in (0..copy.len()).step_by(5) {
        for flip in [0xffu8, 0x80] {
            copy[at] ^= flip;
            let _ = capture::read(&copy);
            copy[at] ^= flip;
        }
    }
    // Headers that claim everything: huge lengths, endless blocks.
    let mut p = Pcap::parse(bytes);
    p.records.truncate(5);
    let mut huge = p.write();
    huge[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let read = capture::read(&huge).unwrap();
    assert!(read.findings.iter().any(|f| f.code == "capture_damaged"));
    assert!(capture::streams(b"").is_err());
    assert!(capture::streams(b"not a capture at all").is_err());
    assert!(!capture::looks_like_capture(b"\x16\x03\x01"));
}
