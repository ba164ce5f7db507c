//! Captures of real TLS connections on the loopback interface, read by us and by tshark: the
//! connection list and every reassembled byte of both directions must be tshark's.
//!
//! Each test starts its own `openssl s_server` on a free port and its own tshark, so they can
//! run in parallel. Link layers: Ethernet (Linux `lo`), Linux cooked SLL and SLL2 (`-i any`);
//! file formats: pcapng (dumpcap's default) and classic pcap (`-F pcap`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_inspect::capture::{self, ClientBy};
use mtlskit_tests::capture::assert_same_as_tshark;
use mtlskit_tests::peer::{curl_ok, get_ok, self_signed_server};
use mtlskit_tests::process::free_port;
use mtlskit_tests::tshark::Capture;

/// The clients every capture holds: TLS 1.3 and 1.2 over IPv4 and IPv6, and curl.
fn connect_all(port: u16) -> usize {
    get_ok("127.0.0.1", port, &["-tls1_3"]);
    get_ok("127.0.0.1", port, &["-tls1_2"]);
    get_ok("[::1]", port, &[]);
    curl_ok(&format!("https://127.0.0.1:{port}/"));
    curl_ok(&format!("https://[::1]:{port}/"));
    5
}

fn check_tls_connections(file: &std::path::Path, port: u16, expected: usize) {
    let streams = assert_same_as_tshark(file);
    let tls: Vec<_> = streams
        .iter()
        .filter(|s| !s.client_to_server.bytes.is_empty())
        .collect();
    assert_eq!(tls.len(), expected, "TLS connections in {file:?}");
    for s in &tls {
        assert_eq!(s.server.port(), port, "{s:?}");
        assert_ne!(s.client.port(), port);
        assert_eq!(s.client_by, ClientBy::Syn);
        // Every stream starts with the ClientHello, then the server's handshake records.
        assert_eq!(&s.client_to_server.bytes[..1], &[0x16]);
        assert_eq!(s.client_to_server.bytes[5], 1, "ClientHello");
        assert_eq!(s.server_to_client.bytes[5], 2, "ServerHello");
        assert!(s.client_to_server.gaps.is_empty() && s.server_to_client.gaps.is_empty());
        assert!(s.packets >= 8);
        assert!(s.first_time_ns.is_some() && s.last_time_ns >= s.first_time_ns);
    }
    let v6: Vec<_> = tls.iter().filter(|s| s.client.is_ipv6()).collect();
    assert_eq!(v6.len(), 2, "IPv6 connections");
    assert_eq!(v6[0].server.to_string(), format!("[::1]:{port}"));
    // Where each chunk of the stream lies in the file holds exactly those bytes.
    let bytes = std::fs::read(file).unwrap();
    for s in &tls {
        for flow in [&s.client_to_server, &s.server_to_client] {
            let total: usize = flow.chunks.iter().map(|c| c.len).sum();
            assert_eq!(total, flow.bytes.len());
            for c in &flow.chunks {
                assert_eq!(
                    &bytes[c.file_offset..c.file_offset + c.len],
                    &flow.bytes[c.offset..c.offset + c.len]
                );
            }
        }
    }
}

#[test]
fn loopback_pcapng_matches_tshark() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = self_signed_server(dir.path(), port, &[]);
    let cap = Capture::start(dir.path(), "lo", port, "lo.pcapng", &[]);
    let n = connect_all(port);
    let file = cap.stop(n);
    let bytes = std::fs::read(&file).unwrap();
    assert!(capture::looks_like_capture(&bytes));
    let read = capture::read(&bytes).unwrap();
    assert_eq!(read.format, "pcapng");
    assert_eq!(read.link_types, ["Ethernet"]);
    assert!(read.findings.is_empty(), "{:?}", read.findings);
    check_tls_connections(&file, port, n);
}

#[test]
fn loopback_classic_pcap_matches_tshark() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = self_signed_server(dir.path(), port, &[]);
    let cap = Capture::start(dir.path(), "lo", port, "lo.pcap", &["-F", "pcap"]);
    let n = connect_all(port);
    let file = cap.stop(n);
    let read = capture::read(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(read.format, "pcap");
    check_tls_connections(&file, port, n);
}

#[test]
fn any_interface_linux_cooked_sll_and_sll2_match_tshark() {
    for (link, name) in [
        ("LINUX_SLL", "Linux cooked (SLL)"),
        ("LINUX_SLL2", "Linux cooked v2 (SLL2)"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let _server = self_signed_server(dir.path(), port, &[]);
        let cap = Capture::start(dir.path(), "any", port, "any.pcapng", &["-y", link]);
        let n = connect_all(port);
        let file = cap.stop(n);
        let read = capture::read(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(read.link_types, [name]);
        check_tls_connections(&file, port, n);
    }
}
