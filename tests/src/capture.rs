//! The capture reader against tshark, and capture files rewritten record by record (the
//! damaged and unusual captures of the capture tests).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use mtlskit_inspect::capture::{self, Limits, Reader, Stream};

use crate::tshark::{conversations, follow, pair, stream_count, Follow};

/// Asserts that our streams are tshark's: the same conversations, and for every stream tshark
/// follows, the same endpoints and the same bytes in each direction.
pub fn assert_same_as_tshark(path: &Path) -> Vec<Stream> {
    let bytes = std::fs::read(path).expect("read capture");
    let ours = capture::streams(&bytes).expect("our reading");
    assert_streaming_same(&bytes, &ours, path);
    let ours_pairs: BTreeSet<_> = ours
        .iter()
        .map(|s| pair(s.client.to_string(), s.server.to_string()))
        .collect();
    assert_eq!(ours_pairs, conversations(path), "conversations of {path:?}");
    let count = stream_count(path);
    assert_eq!(ours.len(), count, "stream count of {path:?}");
    for n in 0..count {
        let Follow {
            node0: n0,
            node1: n1,
            from0: a,
            from1: b,
        } = follow(path, n);
        let s = ours
            .iter()
            .find(|s| {
                pair(s.client.to_string(), s.server.to_string()) == pair(n0.clone(), n1.clone())
            })
            .unwrap_or_else(|| panic!("no stream {n0} <-> {n1} in ours"));
        let (ours_a, ours_b) = if s.client.to_string() == n0 {
            (&s.client_to_server.bytes, &s.server_to_client.bytes)
        } else {
            (&s.server_to_client.bytes, &s.client_to_server.bytes)
        };
        assert!(
            *ours_a == a,
            "{path:?} stream {n}: {n0} -> {n1} differs ({} vs {} bytes)",
            ours_a.len(),
            a.len()
        );
        assert!(
            *ours_b == b,
            "{path:?} stream {n}: {n1} -> {n0} differs ({} vs {} bytes)",
            ours_b.len(),
            b.len()
        );
    }
    ours
}

/// Asserts that the streaming reader, fed 7-byte chunks and finishing connections as they
/// end, gives the whole-file reader's streams.
fn assert_streaming_same(bytes: &[u8], whole: &[Stream], path: &Path) {
    let mut reader = Reader::new(Limits::streaming());
    let mut streams = Vec::new();
    for chunk in bytes.chunks(7) {
        reader.feed(chunk).expect("the streaming reading");
        streams.extend(std::iter::from_fn(|| reader.next_stream()));
    }
    reader.finish().expect("the end of the streaming reading");
    streams.extend(std::iter::from_fn(|| reader.next_stream()));
    streams.sort_by_key(|s| s.first_packet);
    assert!(
        streams == whole,
        "{path:?}: the streaming reader's connections differ from the whole file's"
    );
}

/// A classic pcap file taken apart: the 24-byte header and each record's header and data.
#[derive(Debug)]
pub struct Pcap {
    pub header: Vec<u8>,
    pub records: Vec<([u8; 16], Vec<u8>)>,
}

impl Pcap {
    /// Reads a little-endian pcap (what editcap and dumpcap write on x86).
    pub fn parse(bytes: &[u8]) -> Pcap {
        assert_eq!(
            &bytes[..4],
            &[0xd4, 0xc3, 0xb2, 0xa1],
            "a little-endian µs pcap"
        );
        let mut records = vec![];
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let header: [u8; 16] = bytes[at..at + 16].try_into().unwrap();
            let len = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
            records.push((header, bytes[at + 16..at + 16 + len].to_vec()));
            at += 16 + len;
        }
        Pcap {
            header: bytes[..24].to_vec(),
            records,
        }
    }

    /// The file, with every record's lengths set from its data.
    pub fn write(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        for (h, data) in &self.records {
            let mut h = *h;
            let len = (data.len() as u32).to_le_bytes();
            h[8..12].copy_from_slice(&len);
            h[12..16].copy_from_slice(&len);
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
        }
        out
    }

    pub fn set_link_type(&mut self, link: u32) {
        self.header[20..24].copy_from_slice(&link.to_le_bytes());
    }
}

/// Converts a capture with editcap (`-F pcap`, `-F nsecpcap`, `-F pcapng`).
pub fn editcap(input: &Path, output: &Path, args: &[&str]) {
    let status = Command::new("editcap")
        .args(args)
        .arg(input)
        .arg(output)
        .status()
        .expect("run editcap");
    assert!(status.success(), "editcap {args:?}");
}
