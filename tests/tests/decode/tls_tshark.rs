#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Real handshakes on 127.0.0.1 (openssl s_server against openssl s_client, curl and Python's
//! ssl), captured by tshark; each direction is decoded by `tls::decode` and every contract
//! field is compared with tshark's dissection of the same packets.

use std::path::Path;

use mtlskit_inspect::tls::{self, Decoded};
use mtlskit_tests::peer::{curl_status, python_get, subject, tls_get, tls_server};
use mtlskit_tests::pki::make_two_ca_pki;
use mtlskit_tests::process::free_port;
use mtlskit_tests::tshark::{
    data_streams, fields, follow, frames, num, tshark_read, unhex, Capture,
};

/// Both directions of one connection, decoded.
struct Conn {
    stream: usize,
    client: Decoded,
    server: Decoded,
}

/// Runs `clients` against a fresh s_server (with `server_args`) under a capture and decodes
/// every connection that carried data, after checking each direction against tshark.
fn capture(
    server_args: &[&str],
    n: usize,
    clients: impl FnOnce(&Path, u16),
) -> (Vec<Conn>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    make_two_ca_pki(dir.path());
    let port = free_port();
    let _server = tls_server(dir.path(), port, server_args);
    let cap = Capture::start(dir.path(), "lo", port, "capture.pcapng", &[]);
    clients(dir.path(), port);
    let path = cap.stop(n);
    let mut conns = Vec::new();
    for stream in data_streams(&path, port) {
        let f = follow(&path, stream);
        let (c2s, s2c) = (f.from0, f.from1);
        let client = tls::decode(&c2s, None);
        let server = tls::decode(&s2c, None);
        assert!(tls::looks_like_tls(&c2s) && tls::looks_like_tls(&s2c));
        same_as_tshark(&path, stream, port, &server, true);
        let client_port = client_port(&path, stream, port);
        same_as_tshark(&path, stream, client_port, &client, false);
        conns.push(Conn {
            stream,
            client,
            server,
        });
    }
    assert_eq!(conns.len(), n, "connections with data");
    (conns, dir)
}

fn client_port(path: &Path, stream: usize, port: u16) -> u16 {
    let out = tshark_read(
        path,
        &[
            "-Y",
            &format!("tcp.stream=={stream} && tcp.dstport=={port}"),
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
        ],
    );
    out.lines().next().unwrap().trim().parse().unwrap()
}

const FIELDS: &[&str] = &[
    "tls.record.content_type",
    "tls.record.opaque_type",
    "tls.record.length",
    "tls.handshake.type",
    "tls.handshake.ciphersuite",
    "tls.handshake.extension.type",
    "tls.handshake.ja3_full",
    "tls.handshake.ja3",
    "tls.handshake.ja3s_full",
    "tls.handshake.ja3s",
    "tls.handshake.random",
    "tls.handshake.session_id",
    "tls.alert_message.level",
    "tls.alert_message.desc",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions.supported_version",
    "tls.handshake.extensions_supported_group",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.certificate",
    "tls.handshake.cert_type",
    "tls.handshake.version",
    "tls.handshake.comp_method",
];

fn nums(values: &[String]) -> Vec<u64> {
    values.iter().map(|v| num(v)).collect()
}

/// Every contract field of one direction equals tshark's reading of the same frames.
fn same_as_tshark(path: &Path, stream: usize, from_port: u16, d: &Decoded, server: bool) {
    let t = &d.tls;
    let who = if server { "server" } else { "client" };
    let per_frame = frames(path, stream, from_port, FIELDS);
    let mut types = Vec::new();
    for frame in &per_frame {
        types.extend(nums(&frame[0]));
        types.extend(nums(&frame[1]));
    }
    let f = fields(path, stream, from_port, FIELDS);
    let ours_types: Vec<u64> = t
        .records
        .iter()
        .map(|r| u64::from(r.content_type))
        .collect();
    assert_eq!(ours_types, types, "{who}: record content types");
    let ours_lengths: Vec<u64> = t.records.iter().map(|r| r.length as u64).collect();
    assert_eq!(ours_lengths, nums(&f[2]), "{who}: record lengths");
    let msgs: Vec<u64> = t.messages.iter().map(|m| u64::from(m.type_code)).collect();
    assert_eq!(msgs, nums(&f[3]), "{who}: handshake types");
    assert!(
        d.findings
            .iter()
            .all(|x| x.code != "truncated_record" && x.code != "malformed_handshake"),
        "{who}: {:?}",
        d.findings
    );
    let alerts: Vec<u64> = t.alerts.iter().map(|a| u64::from(a.code)).collect();
    assert_eq!(alerts, nums(&f[13]), "{who}: alerts");
    let levels: Vec<u64> = t.alerts.iter().map(|a| u64::from(a.level)).collect();
    assert_eq!(levels, nums(&f[12]), "{who}: alert levels");
    let certs: Vec<String> = f[18]
        .iter()
        .map(|hex| {
            use sha2::Digest;
            let der = unhex(&hex.replace(':', ""));
            sha2::Sha256::digest(&der)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect();
    let ours_certs: Vec<String> = t.certificates.iter().map(|c| c.sha256.clone()).collect();
    assert_eq!(ours_certs, certs, "{who}: certificates");

    if server {
        let mut hellos: Vec<_> = t.hello_retry_request.iter().collect();
        hellos.extend(t.server_hello.iter());
        let suites: Vec<u64> = hellos.iter().map(|h| u64::from(h.cipher_suite)).collect();
        assert_eq!(suites, nums(&f[4]), "server: cipher suite");
        let exts: Vec<u64> = hellos
            .iter()
            .flat_map(|h| h.extension_types.iter().map(|v| u64::from(*v)))
            .collect();
        assert_eq!(exts, nums(&f[5]), "server: extension types");
        let full: Vec<String> = hellos.iter().map(|h| h.ja3s_full.clone()).collect();
        assert_eq!(full, f[8], "server: ja3s_full");
        let md5: Vec<String> = hellos.iter().map(|h| h.ja3s.clone()).collect();
        assert_eq!(md5, f[9], "server: ja3s");
        let randoms: Vec<String> = hellos.iter().map(|h| h.random.clone()).collect();
        assert_eq!(randoms, f[10], "server: random");
        let ids: Vec<String> = hellos
            .iter()
            .map(|h| h.session_id.clone())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(ids, f[11], "server: session id");
        let selected: Vec<u64> = hellos
            .iter()
            .filter_map(|h| h.selected_version.map(u64::from))
            .collect();
        assert_eq!(selected, nums(&f[15]), "server: selected version");
        let versions: Vec<u64> = hellos.iter().map(|h| u64::from(h.version)).collect();
        assert_eq!(versions, nums(&f[20]), "server: version");
        let alpn: Vec<String> = hellos.iter().filter_map(|h| h.alpn.clone()).collect();
        assert_eq!(alpn, f[17], "server: alpn");
        let types: Vec<u64> = t
            .certificate_request
            .iter()
            .flat_map(|c| c.certificate_types.iter().map(|v| u64::from(*v)))
            .collect();
        assert_eq!(types, nums(&f[19]), "server: certificate types");
        if let Some(sh) = &t.server_hello {
            assert_eq!(
                nums(&f[21]).last().copied(),
                Some(u64::from(sh.compression_method))
            );
        }
    } else {
        let ch = t.client_hello.as_ref().expect("a ClientHello");
        let hellos = nums(&f[3]).iter().filter(|v| **v == 1).count();
        // Only the first ClientHello goes into the report; compare its share of the fields.
        let n = ch.cipher_suites.len();
        let suites: Vec<u64> = ch.cipher_suites.iter().map(|v| u64::from(*v)).collect();
        assert_eq!(suites, nums(&f[4])[..n], "client: cipher suites");
        let n = ch.extension_types.len();
        let exts: Vec<u64> = ch.extension_types.iter().map(|v| u64::from(*v)).collect();
        assert_eq!(exts, nums(&f[5])[..n], "client: extension types");
        assert_eq!(f[6].len(), hellos, "client: one JA3 per ClientHello");
        assert_eq!(ch.ja3_full, f[6][0], "client: ja3_full");
        assert_eq!(ch.ja3, f[7][0], "client: ja3");
        assert_eq!(ch.random, f[10][0], "client: random");
        assert_eq!(
            ch.session_id,
            f[11].first().cloned().unwrap_or_default(),
            "client: session id"
        );
        assert_eq!(
            ch.server_name.iter().cloned().collect::<Vec<_>>(),
            f[14][..hellos.min(1)],
            "client: SNI"
        );
        let n = ch.supported_versions.len();
        let sv: Vec<u64> = ch
            .supported_versions
            .iter()
            .map(|v| u64::from(*v))
            .collect();
        assert_eq!(sv, nums(&f[15])[..n], "client: supported versions");
        let n = ch.supported_groups.len();
        let g: Vec<u64> = ch.supported_groups.iter().map(|v| u64::from(*v)).collect();
        assert_eq!(g, nums(&f[16])[..n], "client: supported groups");
        let n = ch.alpn.len();
        assert_eq!(ch.alpn, f[17][..n], "client: alpn");
        assert_eq!(
            u64::from(ch.legacy_version),
            nums(&f[20])[0],
            "client: legacy version"
        );
        let methods: Vec<u64> = ch
            .compression_methods
            .iter()
            .map(|v| u64::from(*v))
            .collect();
        assert_eq!(
            methods,
            nums(&f[21])[..methods.len()],
            "client: compression"
        );
        assert!(
            ch.ja4.starts_with('t') && ch.ja4.len() == 36,
            "client: ja4 {}",
            ch.ja4
        );
    }
}

fn dn(dir: &Path, pem: &str) -> String {
    subject(dir, pem)
}

#[test]
fn tls12_mutual_tls_success() {
    let (conns, dir) = capture(&["-Verify", "1", "-verify_return_error"], 1, |dir, port| {
        let out = tls_get(
            dir,
            port,
            &["-tls1_2", "-cert", "client.pem", "-key", "client.key"],
        );
        assert!(out.contains("HTTP/1.0 200 ok"), "{out}");
    });
    let c = &conns[0];
    let s = &c.server.tls;
    assert_eq!(s.summary.version, Some(0x0303));
    assert_eq!(s.summary.handshake.map(|h| h.as_str()), Some("full"));
    assert!(s.summary.certificate_request_seen);
    let cr = s.certificate_request.as_ref().expect("CertificateRequest");
    assert_eq!(
        cr.certificate_authorities,
        [dn(dir.path(), "ca.pem").as_str()]
    );
    assert!(!cr.signature_algorithms.is_empty());
    // s_server sends its certificate and the CA it finds in -CAfile.
    assert_eq!(s.certificates[0].subject, "CN=localhost");
    assert_eq!(s.certificates[0].issuer, dn(dir.path(), "ca.pem").as_str());
    let ske = s.server_key_exchange.as_ref().expect("ServerKeyExchange");
    assert_eq!(ske.curve_type, Some(3));
    assert!(ske.group.is_some() && ske.signature_scheme.is_some());
    assert!(s.alerts.is_empty());
    assert!(
        s.records
            .iter()
            .any(|r| r.encrypted && r.content_type == 22),
        "encrypted Finished"
    );
    let cl = &c.client.tls;
    // s_client, too, sends the CA it finds in -CAfile after its own certificate.
    assert_eq!(cl.summary.certificates_sent, Some(cl.certificates.len()));
    assert_eq!(cl.certificates[0].subject, "CN=client one");
    assert_eq!(
        cl.messages
            .iter()
            .map(|m| m.kind.as_str())
            .collect::<Vec<_>>(),
        [
            "client_hello",
            "certificate",
            "client_key_exchange",
            "certificate_verify"
        ]
    );
    assert_eq!(cl.summary.server_name.as_deref(), Some("localhost"));
    let _ = c.stream;
}

#[test]
fn tls12_without_client_certificate_gets_a_plaintext_alert() {
    let (conns, _dir) = capture(&["-Verify", "1", "-verify_return_error"], 1, |dir, port| {
        let out = tls_get(dir, port, &["-tls1_2"]);
        assert!(!out.contains("HTTP/1.0 200 ok"));
    });
    let c = &conns[0];
    assert_eq!(c.client.tls.summary.certificates_sent, Some(0));
    let alert = c.server.tls.alerts.first().expect("the server's alert");
    assert_eq!((alert.level, alert.level_name.as_str()), (2, "fatal"));
    assert_eq!(alert.description, "handshake_failure");
}

#[test]
fn tls12_client_certificate_from_another_ca_is_rejected() {
    let (conns, dir) = capture(&["-Verify", "1", "-verify_return_error"], 1, |dir, port| {
        let out = tls_get(
            dir,
            port,
            &["-tls1_2", "-cert", "stranger.pem", "-key", "stranger.key"],
        );
        assert!(!out.contains("HTTP/1.0 200 ok"));
    });
    let c = &conns[0];
    assert_eq!(
        c.client.tls.certificates[0].issuer,
        dn(dir.path(), "other.pem").as_str()
    );
    let alert = c.server.tls.alerts.first().expect("the server's alert");
    assert_eq!(alert.level, 2);
    assert_eq!(alert.description, "unknown_ca");
}

#[test]
fn tls13_mutual_tls_success_and_rejection() {
    let (conns, _dir) = capture(&["-Verify", "1", "-verify_return_error"], 2, |dir, port| {
        let out = tls_get(
            dir,
            port,
            &["-tls1_3", "-cert", "client.pem", "-key", "client.key"],
        );
        assert!(out.contains("HTTP/1.0 200 ok"), "{out}");
        let out = tls_get(dir, port, &["-tls1_3"]);
        assert!(!out.contains("HTTP/1.0 200 ok"));
    });
    for c in &conns {
        let s = &c.server.tls;
        assert_eq!(
            s.server_hello.as_ref().and_then(|h| h.selected_version),
            Some(0x0304)
        );
        assert!(s.summary.certificates_encrypted);
        assert!(s.certificates.is_empty() && s.certificate_request.is_none());
        assert_eq!(s.messages.len(), 1, "only the ServerHello is plaintext");
        assert!(s
            .records
            .iter()
            .skip(1)
            .all(|r| r.encrypted || r.content_type == 20));
        let cl = &c.client.tls;
        assert!(cl
            .client_hello
            .as_ref()
            .unwrap()
            .supported_versions
            .contains(&0x0304));
        assert!(cl.summary.notes.iter().any(|n| n.contains("encrypted")));
    }
}

#[test]
fn tls13_hello_retry_request() {
    let (conns, _dir) = capture(
        &["-Verify", "1", "-verify_return_error", "-groups", "P-256"],
        1,
        |dir, port| {
            let args = [
                "-tls1_3",
                "-groups",
                "X25519:P-256",
                "-cert",
                "client.pem",
                "-key",
                "client.key",
            ];
            let out = tls_get(dir, port, &args);
            assert!(out.contains("HTTP/1.0 200 ok"), "{out}");
        },
    );
    let c = &conns[0];
    let hrr = c
        .server
        .tls
        .hello_retry_request
        .as_ref()
        .expect("a HelloRetryRequest");
    assert_eq!(hrr.key_share_group, Some(23));
    let kinds: Vec<&str> = c
        .client
        .tls
        .messages
        .iter()
        .map(|m| m.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["client_hello", "client_hello"],
        "the second ClientHello follows a CCS"
    );
}

#[test]
fn curl_and_python_clients() {
    let (conns, _dir) = capture(&["-Verify", "1", "-verify_return_error"], 2, |dir, port| {
        assert_eq!(curl_status(dir, port), "200");
        assert!(python_get(dir, port).starts_with("HTTP/1.0 200"));
    });
    for c in &conns {
        let ch = c.client.tls.client_hello.as_ref().unwrap();
        assert!(!ch.ja3.is_empty() && !ch.ja4.is_empty());
        assert!(!ch.alpn.is_empty(), "curl and the script offer ALPN");
    }
}
