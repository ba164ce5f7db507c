//! Tests of the capture view on real captures: `mtlskit probe --save-handshake` against
//! `openssl s_server -Verify 1 -tls1_2`, with and without a client certificate.

use mtlskit_inspect::ItemBody;
use mtlskit_inspect::{inspect, Node, Timestamp};

use super::*;

const OK: &[u8] = include_bytes!("../../testdata/web/mtls_ok.pcap");
const NO_CERT: &[u8] = include_bytes!("../../testdata/web/no_client_cert.pcap");

fn capture_item(bytes: &[u8]) -> Item {
    let report = inspect(
        "x.pcap",
        bytes,
        Some(Timestamp::from_parts(2026, 12, 1, 0, 0, 0)),
    );
    let Some(item) = report.items.into_iter().next() else {
        panic!("no item in the capture");
    };
    item
}

fn capture(item: &Item) -> &Capture {
    match &item.body {
        ItemBody::Capture(c) => c,
        other => panic!("not a capture: {}", other.kind()),
    }
}

#[test]
fn a_missing_client_certificate_is_told_with_the_cas_and_the_alert() {
    let item = capture_item(NO_CERT);
    let cap = capture(&item);
    let conn = &cap.connections[0];
    let h = header(conn);
    assert!(h.title.ends_with(" → 127.0.0.1:18443"), "{}", h.title);
    assert!(h
        .summary
        .starts_with("TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
    assert_eq!(h.status, CertStatus::Missing);
    assert!(h.certificate.contains("sent none"), "{}", h.certificate);
    assert_eq!(h.accepted_cas, ["CN=mtlskit CA"]);
    let alert = &h.alerts[0];
    assert_eq!(alert.text, "server: fatal handshake_failure (40)");
    assert!(alert
        .meaning
        .as_deref()
        .is_some_and(|m| m.contains("no client certificate")));
    let f = findings(conn);
    assert_eq!(f[0].code, "client_certificate_missing");
    // The connection's findings are not repeated as the file's.
    assert!(file_findings(&item, cap).is_empty());
    assert!(headline(cap).contains("TLS 1.2"));
}

#[test]
fn the_ladder_alternates_the_two_directions() {
    let item = capture_item(NO_CERT);
    let cap = capture(&item);
    let rungs = rungs(&cap.connections[0], 0, &item.tree);
    let sides: Vec<Side> = rungs.iter().map(|r| r.rung.side).collect();
    assert_eq!(sides.first(), Some(&Side::Client));
    assert!(rungs[0].rung.label.contains("client_hello"));
    assert_eq!(sides.get(1), Some(&Side::Server), "{rungs:#?}");
    assert!(rungs[1].rung.label.contains("server_hello"));
    // The server's alert is its last word, after the client's records.
    let Some(last) = rungs.last() else {
        panic!("no rungs");
    };
    assert_eq!(last.rung.side, Side::Server);
    assert!(last.rung.label.starts_with("Alert") || last.rung.label.starts_with("alert"));
    // Every rung's path leads to its record node, whose span is where it lies in the file.
    for r in &rungs {
        let Some(node) = Node::at_path(&item.tree, &r.path) else {
            panic!("no node at {:?}", r.path);
        };
        assert!(node.name.starts_with("record"), "{}", node.name);
        assert!(node.span.offset > 24 && node.span.end() <= NO_CERT.len());
    }
    let client = cap.connections[0].client_to_server.records.len();
    let server = cap.connections[0].server_to_client.records.len();
    assert_eq!(rungs.len(), client + server);
}

#[test]
fn a_sent_certificate_names_its_subject_and_bytes_select_records_of_either_direction() {
    let item = capture_item(OK);
    let cap = capture(&item);
    let conn = &cap.connections[0];
    let h = header(conn);
    assert_eq!(h.status, CertStatus::Sent);
    assert!(
        h.certificate.contains("CN=mtlskit client"),
        "{}",
        h.certificate
    );
    assert!(h.alerts.iter().any(|a| a.text.contains("encrypted alert")));
    assert!(findings(conn)
        .iter()
        .all(|f| f.severity != mtlskit_inspect::Severity::Error));
    // Clicking any byte of a server record selects that record, though the client direction's
    // node (first in the tree) spans it too.
    for r in rungs(conn, 0, &item.tree) {
        let Some(node) = Node::at_path(&item.tree, &r.path) else {
            panic!("no node at {:?}", r.path);
        };
        let path = Node::path_at(&item.tree, node.span.offset);
        assert_eq!(path.get(..3), Some(r.path.as_slice()), "{}", r.rung.label);
    }
}

#[test]
fn flights_alternate_like_a_tls_1_2_handshake() {
    let item = capture_item(OK);
    let cap = capture(&item);
    let labels: Vec<String> = rungs(&cap.connections[0], 0, &item.tree)
        .iter()
        .map(|r| format!("{:?} {}", r.rung.side, r.rung.label))
        .collect();
    let at = |text: &str| {
        labels
            .iter()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} in {labels:#?}"))
    };
    assert!(at("client_hello") < at("server_hello"));
    assert!(at("server_hello_done") < at("Client handshake: certificate"));
    assert!(at("certificate_verify") < at("Server change_cipher_spec"));
    assert!(at("Server change_cipher_spec") < at("Client application_data"));
}

#[test]
fn merge_keeps_each_list_in_order() {
    let a = vec![(1, 'a'), (5, 'b'), (usize::MAX, 'c')];
    let b = vec![(3, 'x'), (4, 'y'), (9, 'z')];
    assert_eq!(merge(a, b), vec!['a', 'x', 'y', 'b', 'z', 'c']);
    assert_eq!(merge::<char>(Vec::new(), Vec::new()), Vec::<char>::new());
}

#[test]
fn cut_captures_never_panic() {
    for cut in (0..NO_CERT.len()).step_by(7) {
        let report = inspect("x.pcap", &NO_CERT[..cut], None);
        for item in &report.items {
            if let ItemBody::Capture(cap) = &item.body {
                let _ = headline(cap);
                let _ = file_findings(item, cap);
                for (i, c) in cap.connections.iter().enumerate() {
                    let _ = (header(c), findings(c), rungs(c, i, &item.tree));
                }
            }
        }
    }
}

/// testdata/decrypt: TLS 1.3 to `s_server -Verify 1` (accepted, another CA, no certificate)
/// and the client's key log.
const TLS13: &[u8] = include_bytes!("../../testdata/decrypt/tls13.pcapng");
const TLS13_KEYS: &[u8] = include_bytes!("../../testdata/decrypt/tls13.keys");

fn decrypted_item(keys: Option<&[u8]>) -> Item {
    use mtlskit_inspect::decrypt::KeyLog;
    use mtlskit_inspect::{inspect_with, Input, Options};
    let log = keys.map(KeyLog::parse);
    let mut options = Options::default();
    options.key_log = log.as_ref();
    let input = Input {
        source: "tls13.pcapng",
        bytes: TLS13,
    };
    let now = Timestamp::from_parts(2026, 12, 1, 0, 0, 0);
    let report = inspect_with(&[input], Some(now), options);
    let Some(item) = report.items.into_iter().next() else {
        panic!("no item in the capture");
    };
    item
}

#[test]
#[allow(clippy::expect_used)]
fn decrypted_records_are_named_marked_and_lead_to_their_plaintext() {
    use mtlskit_inspect::capture::model::Direction;
    let item = decrypted_item(Some(TLS13_KEYS));
    let cap = capture(&item);
    let conn = &cap.connections[0];
    let all = rungs(conn, 0, &item.tree);
    let decrypted: Vec<&CaptureRung> = all.iter().filter(|r| r.rung.decrypted).collect();
    let labels: Vec<String> = all
        .iter()
        .map(|r| format!("{:?} {} {}", r.rung.side, r.rung.label, r.rung.decrypted))
        .collect();
    // What the encrypted records held, named on their rungs: the server's
    // CertificateRequest, the client's Certificate, CertificateVerify and Finished.
    let find = |side: Side, what: &str| {
        decrypted
            .iter()
            .find(|r| r.rung.side == side && r.rung.label.contains(what))
            .unwrap_or_else(|| panic!("{side:?} {what} in {labels:#?}"))
    };
    let request = find(Side::Server, "certificate_request");
    find(Side::Client, "certificate_verify");
    assert!(
        request.rung.detail.contains("decrypted"),
        "{:?}",
        request.rung
    );
    // Its path is the decrypted record's node, which spans the ciphertext in the file...
    let node = Node::at_path(&item.tree, &request.path).expect("decrypted node");
    assert!(node.name.starts_with("record "), "{}", node.name);
    assert!(node.span.offset > 0 && node.span.end() <= TLS13.len());
    // ... and the same path below the direction's node selects the record's plaintext.
    let at = plain_selection(&item.tree, &request.path).expect("a plaintext selection");
    assert_eq!((at.connection, at.direction), (0, 1));
    assert_eq!(at.prefix, request.path[..2].to_vec());
    let d = cap
        .decrypted
        .iter()
        .find(|d| d.connection == 0 && d.direction == Direction::ServerToClient)
        .expect("the server's plaintext");
    let plain = Node::at_path(&d.tree, &at.rest).expect("plaintext node");
    assert_eq!(plain.name, node.name);
    assert!(plain.span.end() <= d.bytes.len() && plain.span.len > 0);
    // A rung on the wire's records is no plaintext selection, and leads to its own record,
    // of its own direction, though a decrypted node now sits between the two directions.
    let hello = &all[0];
    assert!(!hello.rung.decrypted);
    assert_eq!(plain_selection(&item.tree, &hello.path), None);
    for r in all.iter().filter(|r| !r.rung.decrypted) {
        let node = Node::at_path(&item.tree, &r.path).expect("record node");
        let direction = &item.tree[0].children[r.path[1]];
        let wanted = if r.rung.side == Side::Client {
            "client -> server"
        } else {
            "server -> client"
        };
        assert_eq!(direction.name, wanted, "{:?}", r.rung);
        assert!(node.name.starts_with("record "), "{}", node.name);
    }

    // Without the key log nothing is marked decrypted and no plaintext is kept.
    let item = decrypted_item(None);
    let cap = capture(&item);
    assert!(cap.decrypted.is_empty());
    for (i, c) in cap.connections.iter().enumerate() {
        assert!(rungs(c, i, &item.tree).iter().all(|r| !r.rung.decrypted));
    }
}
