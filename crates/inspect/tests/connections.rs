//! How the capture reader groups packets into connections in captures that break the usual
//! assumptions: a client whose port equals the server's (up to a connection from an address
//! and port to themselves), and packet times that go backwards (captures concatenated out of
//! order, a clock stepped back while capturing). Each must still give one connection per TCP
//! connection, each direction with its own bytes, streamed or read whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::{addr, header, records, ACK, FIN, PSH, SYN};
use mtlskit_inspect::capture::{self, Limits, Reader, Stream};

/// The two byte streams of the recorded mTLS handshake of testdata/web/mtls_ok.pcap.
fn handshake() -> (Vec<u8>, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/web/mtls_ok.pcap");
    let streams = capture::streams(&std::fs::read(path).unwrap()).unwrap();
    let s = &streams[0];
    (
        s.client_to_server.bytes.clone(),
        s.server_to_client.bytes.clone(),
    )
}

/// One TCP connection's segments: (from the client?, payload, flags), handshake to FINs.
fn segments(client: &[u8], server: &[u8]) -> Vec<(bool, Vec<u8>, u8)> {
    let mut out = vec![
        (true, vec![], SYN),
        (false, vec![], SYN | ACK),
        (true, vec![], ACK),
    ];
    for piece in client.chunks(1400) {
        out.push((true, piece.to_vec(), ACK | PSH));
    }
    for piece in server.chunks(1400) {
        out.push((false, piece.to_vec(), ACK | PSH));
    }
    out.push((true, vec![], FIN | ACK));
    out.push((false, vec![], FIN | ACK));
    out.push((true, vec![], ACK));
    out
}

/// The capture read by the streaming reader in 64 KiB chunks, and by the whole-file reader.
fn both_readers(file: &[u8]) -> [Vec<Stream>; 2] {
    let mut reader = Reader::new(Limits::streaming());
    let mut streamed = Vec::new();
    for chunk in file.chunks(64 * 1024) {
        reader.feed(chunk).unwrap();
        streamed.extend(std::iter::from_fn(|| reader.next_stream()));
    }
    reader.finish().unwrap();
    streamed.extend(std::iter::from_fn(|| reader.next_stream()));
    streamed.sort_by_key(|s| s.first_packet);
    [streamed, capture::streams(file).unwrap()]
}

/// Each stream is one whole connection: every packet, the client's and the server's bytes on
/// their own sides, the client told by its SYN.
fn assert_whole(streams: &[Stream], want: &[(SocketAddr, SocketAddr)], packets: usize) {
    let (client_bytes, server_bytes) = handshake();
    let got: Vec<_> = streams
        .iter()
        .map(|s| (s.client, s.server, s.packets))
        .collect();
    let expected: Vec<_> = want.iter().map(|&(c, s)| (c, s, packets)).collect();
    assert_eq!(
        got, expected,
        "one stream per connection, every packet in it"
    );
    for s in streams {
        assert_eq!(s.client_by, capture::ClientBy::Syn);
        assert!(
            s.client_to_server.bytes == client_bytes,
            "the client's bytes"
        );
        assert!(
            s.server_to_client.bytes == server_bytes,
            "the server's bytes"
        );
        assert!(s.client_to_server.gaps.is_empty() && s.server_to_client.gaps.is_empty());
        assert!(s.client_to_server.fin && s.server_to_client.fin);
    }
}

const T0: u64 = 1_700_000_000_000_000;

#[test]
fn a_client_port_equal_to_the_server_port_is_one_connection() {
    let (c, s) = handshake();
    let segs = segments(&c, &s);
    for (client, server) in [
        // Two hosts, both on port 443 (as BGP's 179 on both ends).
        (addr([10, 0, 0, 1], 443), addr([10, 0, 0, 2], 443)),
        // The client's port is the server's, on one host (a copy of a loopback capture with
        // the client port rewritten, or a socket connected to itself).
        (addr([127, 0, 0, 1], 4433), addr([127, 0, 0, 1], 4433)),
    ] {
        let mut file = header();
        file.extend(records(client, server, &segs, |i| T0 + i as u64 * 1000));
        for streams in both_readers(&file) {
            assert_whole(&streams, &[(client, server)], segs.len());
        }
    }
}

#[test]
fn packet_times_going_backwards_split_no_connection() {
    let (c, s) = handshake();
    let segs = segments(&c, &s);
    let a = (addr([10, 0, 0, 1], 40000), addr([10, 0, 0, 2], 443));
    let b = (addr([10, 0, 0, 1], 40001), addr([10, 0, 0, 2], 443));
    // Two captures concatenated in the wrong order: the second connection an hour earlier
    // than the first.
    let mut file = header();
    file.extend(records(a.0, a.1, &segs, |i| {
        T0 + 3_600_000_000 + i as u64 * 1000
    }));
    file.extend(records(b.0, b.1, &segs, |i| T0 + i as u64 * 1000));
    for streams in both_readers(&file) {
        assert_whole(&streams, &[a, b], segs.len());
    }
    // The clock stepped back ten seconds in the middle of a connection (after its FINs, the
    // last ACK is stamped before them), then a later connection.
    let last = segs.len() - 1;
    let mut file = header();
    file.extend(records(a.0, a.1, &segs, |i| {
        T0 + i as u64 * 1000 - if i == last { 10_000_000 } else { 0 }
    }));
    file.extend(records(b.0, b.1, &segs, |i| {
        T0 + 60_000_000 + i as u64 * 1000
    }));
    for streams in both_readers(&file) {
        assert_whole(&streams, &[a, b], segs.len());
    }
    // Every packet a second before the one before it (a capture written newest first).
    let mut file = header();
    file.extend(records(a.0, a.1, &segs, |i| T0 - i as u64 * 1_000_000));
    for streams in both_readers(&file) {
        assert_whole(&streams, &[a], segs.len());
    }
}
