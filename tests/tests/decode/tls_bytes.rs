#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The TLS decoder on bytes built or captured in the test: FoxIO's JA4 example, a real
//! ClientHello from `openssl s_client` cut at every byte and flipped at every byte, records
//! split into small fragments, several messages in one record, and spans inside the input.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use mtlskit_inspect::tls;
use mtlskit_inspect::Node;
use mtlskit_tests::process::{poll, Daemon};
use mtlskit_tests::tls_build::{self as build, message, records};

/// The first flight of `openssl s_client` (a ClientHello record), read by a listener here.
fn real_client_hello(args: &[&str]) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _client = Daemon::new(
        Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-servername", "mtls.example"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_client"),
        0,
    );
    let (mut sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut bytes = Vec::new();
    let complete =
        |b: &[u8]| b.len() >= 5 && b.len() >= 5 + (usize::from(b[3]) << 8 | usize::from(b[4]));
    let done = poll(Duration::from_secs(10), || {
        let mut buf = [0u8; 4096];
        if let Ok(n) = sock.read(&mut buf) {
            bytes.extend_from_slice(&buf[..n]);
        }
        complete(&bytes)
    });
    assert!(done, "no ClientHello from s_client");
    bytes
}

fn all_spans_inside(nodes: &[Node], len: usize) {
    for n in nodes {
        assert!(n.span.end() <= len, "{} {:?} beyond {len}", n.name, n.span);
        all_spans_inside(&n.children, len);
    }
}

#[test]
fn foxio_ja4_example() {
    let hello = records(22, &build::foxio_example(), 1 << 14);
    let d = tls::decode(&hello, None);
    assert!(d.findings.is_empty(), "{:?}", d.findings);
    let ch = d.tls.client_hello.unwrap();
    assert_eq!(ch.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_eq!(
        ch.ja4_r,
        "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
         0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_\
         0403,0804,0401,0503,0805,0501,0806,0601"
    );
    assert_eq!(ch.ja4_o, "t13d1516h2_acb858a92679_18f69afefd3d");
    assert_eq!(
        ch.ja4_ro,
        "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_\
         001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_\
         0403,0804,0401,0503,0805,0501,0806,0601"
    );
    assert_eq!(ch.server_name.as_deref(), Some("example.com"));
    assert_eq!(ch.alpn, ["h2", "http/1.1"]);
    assert_eq!(ch.supported_versions, [0x3a3a, 0x0304, 0x0303]);
    assert_eq!(ch.key_share_groups, [0x001d]);
    // JA3 drops GREASE from every list; the cipher list keeps the wire order.
    assert!(ch.ja3_full.starts_with("771,4865-4866-4867-49195-"));
    assert!(ch.ja3_full.ends_with(",29-23-24,0"));
    all_spans_inside(&d.tree, hello.len());
}

#[test]
fn openssl_client_hello_cut_at_every_byte() {
    let hello = real_client_hello(&["-tls1_3"]);
    let full = tls::decode(&hello, None);
    assert!(full.findings.is_empty(), "{:?}", full.findings);
    let ch = full.tls.client_hello.clone().unwrap();
    assert_eq!(ch.server_name.as_deref(), Some("mtls.example"));
    assert_eq!(ch.ja3, md5_of(&ch.ja3_full));
    for cut in 1..hello.len() {
        let d = tls::decode(&hello[..cut], None);
        assert!(!d.findings.is_empty(), "cut at {cut}: no finding");
        assert!(
            d.tls.messages.is_empty(),
            "cut at {cut}: a message counted as read"
        );
        assert!(d
            .findings
            .iter()
            .any(|f| f.code.as_str().starts_with("truncated")));
        all_spans_inside(&d.tree, cut);
        if cut >= 5 + 4 + 2 + 32 {
            let part = d.tls.client_hello.expect("a partial ClientHello");
            assert_eq!(part.random, ch.random, "cut at {cut}");
            assert!(part.ja3.is_empty(), "no fingerprint of a partial hello");
        }
    }
}

fn md5_of(s: &str) -> String {
    use md5::Digest;
    md5::Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn every_byte_flipped_never_panics() {
    let hello = real_client_hello(&["-tls1_2"]);
    for i in 0..hello.len() {
        for flip in [0xff, 0x80, 0x01] {
            let mut bad = hello.clone();
            bad[i] ^= flip;
            let d = tls::decode(&bad, None);
            all_spans_inside(&d.tree, bad.len());
        }
    }
}

#[test]
fn handshake_split_across_small_records() {
    let hello = real_client_hello(&["-tls1_2"]);
    let body = &hello[5..];
    let whole = tls::decode(&hello, None).tls.client_hello.unwrap();
    for size in [1, 2, 3, 7, 50, 100] {
        let split = records(22, body, size);
        let d = tls::decode(&split, None);
        assert!(d.findings.is_empty(), "size {size}: {:?}", d.findings);
        assert_eq!(d.tls.records.len(), body.len().div_ceil(size));
        assert_eq!(d.tls.messages.len(), 1);
        assert_eq!(d.tls.records[0].handshake_types, [1]);
        assert_eq!(d.tls.client_hello.as_ref(), Some(&whole), "size {size}");
        all_spans_inside(&d.tree, split.len());
        // The message node hangs under the first record and spans into the last one.
        let msg = d.tree[0]
            .children
            .iter()
            .find(|n| n.name == "client_hello")
            .unwrap();
        assert_eq!(msg.span.offset, 5);
        assert_eq!(msg.span.end(), split.len());
    }
}

#[test]
fn several_messages_in_one_record() {
    let mut sh = vec![3, 3];
    sh.extend([0x33; 32]);
    sh.extend(build::vec8(&[]));
    sh.extend(0xc02fu16.to_be_bytes());
    sh.push(0);
    sh.extend(build::vec16(
        &[build::ext(0xff01, &[0]), build::ext(0x000b, &[1, 0])].concat(),
    ));
    let flight = [message(2, &sh), message(14, &[])].concat();
    let mut bytes = records(22, &flight, 1 << 14);
    bytes.extend(records(20, &[1], 10));
    bytes.extend(records(22, &[0xab; 40], 100)); // encrypted Finished
    bytes.extend(records(21, &[2, 40], 10));
    let d = tls::decode(&bytes, None);
    assert!(d.findings.is_empty(), "{:?}", d.findings);
    let kinds: Vec<&str> = d.tls.messages.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["server_hello", "server_hello_done"]);
    assert_eq!(d.tls.records[0].handshake_types, [2, 14]);
    assert_eq!(
        d.tls
            .records
            .iter()
            .map(|r| r.encrypted)
            .collect::<Vec<_>>(),
        [false, false, true, false]
    );
    let sh = d.tls.server_hello.as_ref().unwrap();
    assert_eq!(sh.ja3s_full, "771,49199,65281-11");
    assert_eq!(sh.session_id, "");
    assert_eq!(d.tls.alerts[0].description, "handshake_failure");
    assert_eq!(
        d.tls.summary.cipher_suite_name.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    assert_eq!(d.tls.summary.handshake.map(|h| h.as_str()), Some("full"));
    let json = serde_json::to_value(&d.tls).unwrap();
    assert_eq!(json["records"][0]["content_type"], 22);
    assert_eq!(json["messages"][1]["type"], "server_hello_done");
    assert_eq!(json["server_hello"]["version"], 771);
    assert!(json["client_hello"].is_null());
}

#[test]
fn garbage_and_truncated_records_give_findings() {
    let d = tls::decode(b"\x16\x03\x01\x00\x10\x01\x00", None);
    assert_eq!(d.tls.records.len(), 1);
    assert!(d.findings.iter().any(|f| f.code == "truncated_record"));
    let d = tls::decode(b"SSH-2.0-OpenSSH_9.2\r\n", None);
    assert!(d.tls.records.is_empty());
    assert!(d.findings.iter().any(|f| f.code == "not_a_record"));
    assert!(!tls::looks_like_tls(b"SSH-2.0-OpenSSH_9.2\r\n"));
    let d = tls::decode(&records(22, &message(1, &[3, 3, 0]), 100), None);
    assert!(
        d.findings.iter().any(|f| f.code == "malformed_handshake"),
        "{:?}",
        d.findings
    );
}
