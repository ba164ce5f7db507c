//! Tests of the reducer: what a user does (drop, paste, open, select, remove) and what the page
//! then has to show.

use super::*;
use mtlskit_inspect::ItemBody;

const CA: &[u8] = include_bytes!("../../testdata/browser/ca.pem");
const CLIENT: &[u8] = include_bytes!("../../testdata/browser/client.pem");
const KEY: &[u8] = include_bytes!("../../testdata/browser/client.key");
const CSR: &[u8] = include_bytes!("../../testdata/browser/client.csr");
const BUNDLE: &[u8] = include_bytes!("../../testdata/browser/bundle.pem");
const GARBAGE: &[u8] = include_bytes!("../../testdata/browser/garbage.bin");

const NOW: Timestamp = Timestamp(1_750_000_000);

fn add(state: &State, files: &[(&str, &[u8])]) -> State {
    state.apply(Action::Add {
        files: files
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect(),
        now: NOW,
    })
}

#[test]
fn every_input_becomes_a_card_and_garbage_an_error_card() {
    let s = add(
        &State::new(NOW),
        &[
            ("client.key", KEY),
            ("client.csr", CSR),
            ("junk.bin", GARBAGE),
        ],
    );
    assert_eq!(s.cards.len(), 3);
    let names: Vec<&str> = s.cards.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["client.key", "client.csr", "junk.bin"]);
    assert!(!s.cards[0].failed());
    assert!(s.cards[2].failed());
    assert_eq!(s.cards[2].errors.len(), 1);
    let error = &s.report.errors[s.cards[2].errors[0]];
    assert_eq!(error.source, "junk.bin");
    // Small inputs open at once.
    assert!(s.open.contains(&(s.cards[0].id, 0)));
}

#[test]
fn the_same_name_twice_gets_a_suffix_and_remove_and_clear_work() {
    let s = add(&State::new(NOW), &[("a.key", KEY)]);
    let s = add(&s, &[("a.key", KEY)]);
    assert_eq!(s.cards[1].name, "a.key (2)");
    let first = s.cards[0].id;
    let s = s.apply(Action::Remove(first));
    assert_eq!(s.cards.len(), 1);
    assert_eq!(s.cards[0].name, "a.key (2)");
    assert!(s.open.iter().all(|k| k.0 != first));
    let s = s.apply(Action::Clear);
    assert!(s.cards.is_empty());
    assert!(s.report.items.is_empty() && s.open.is_empty());
}

#[test]
fn keys_are_matched_across_cards() {
    let s = add(&State::new(NOW), &[("client.csr", CSR)]);
    let s = add(&s, &[("client.key", KEY)]);
    let key = s
        .report
        .items
        .iter()
        .find(|i| i.source == "client.key")
        .map(|i| &i.body);
    let Some(ItemBody::PrivateKey(key)) = key else {
        panic!("no key item: {:?}", s.report.errors);
    };
    assert_eq!(key.matches.len(), 1);
    assert_eq!(key.matches[0].source, "client.csr");
}

#[test]
fn pasted_text_is_an_input() {
    let text = String::from_utf8_lossy(CSR).into_owned();
    let s = State::new(NOW).apply(Action::Paste {
        text: text.clone(),
        now: NOW,
    });
    assert_eq!(s.cards[0].name, "pasted text 1");
    assert_eq!(s.item_count(), 1);
    let s = s.apply(Action::Paste { text, now: NOW });
    assert_eq!(s.cards[1].name, "pasted text 2");
    let empty = s.apply(Action::Paste {
        text: "  \n".to_string(),
        now: NOW,
    });
    assert_eq!(empty.cards.len(), 2);
    assert!(empty.notice.is_some());
    // After "Clear all" the numbers start again; dropped text is numbered with pasted text.
    let text = String::from_utf8_lossy(CSR).into_owned();
    let s = s.apply(Action::Clear).apply(Action::DropText {
        text: text.clone(),
        now: NOW,
    });
    assert_eq!(s.cards[0].name, "dropped text 1");
    let s = s.apply(Action::Paste { text, now: NOW });
    assert_eq!(s.cards[1].name, "pasted text 2");
}

#[test]
fn a_finding_shows_its_bytes_in_the_certificate_it_names() {
    let s = add(&State::new(NOW), &[("ca.pem", CA), ("client.pem", CLIENT)]);
    let ItemBody::Certificate(cert) = &s.report.items[1].body else {
        panic!("client.pem is a certificate");
    };
    // The span of notAfter, as a diagnosis finding carries it.
    let item = &s.report.items[1];
    let validity = find(&item.tree, "notAfter").map(|n| n.span);
    let Some(span) = validity else {
        panic!("the tree has notAfter")
    };
    let s = s.apply(Action::Toggle((2, 0)));
    assert!(!s.open.contains(&(2, 0)));
    let s = s.apply(Action::ShowBytes {
        certificate: cert.sha256.clone(),
        span,
    });
    assert!(s.open.contains(&(2, 0)), "the certificate is opened");
    let selected = s.selected.get(&(2, 0)).cloned().unwrap_or_default();
    let node = Node::at_path(&s.report.items[1].tree, &selected).map(|n| n.name.as_str());
    assert_eq!(node, Some("notAfter"));
    assert_eq!(s.reveal.map(|(k, _)| k), Some((2, 0)));
    // An unknown certificate changes nothing.
    let same = s.apply(Action::ShowBytes {
        certificate: "00".to_string(),
        span,
    });
    assert_eq!(same.reveal, s.reveal);
}

fn find<'a>(nodes: &'a [Node], name: &str) -> Option<&'a Node> {
    nodes.iter().find_map(|n| {
        if n.name == name {
            Some(n)
        } else {
            find(&n.children, name)
        }
    })
}

#[test]
fn selecting_a_byte_selects_the_deepest_field_and_back() {
    let s = add(&State::new(NOW), &[("client.csr", CSR)]);
    let key = (s.cards[0].id, 0);
    let item = s.item(key).cloned();
    let Some(item) = item else {
        panic!("no CSR item: {:?}", s.report.errors);
    };
    assert!(!item.tree.is_empty(), "the CSR has a field tree");
    // A byte in the middle lands on some field; selecting that field gives the same path.
    let offset = item.bytes.len() / 2;
    let s = s.apply(Action::SelectByte(key, offset));
    let path = s.selected.get(&key).cloned().unwrap_or_default();
    assert!(!path.is_empty());
    let node = Node::at_path(&item.tree, &path).map(|n| n.span);
    assert!(node.is_some_and(|span| span.contains(offset)));
    let again = s.apply(Action::Select(key, path.clone()));
    assert_eq!(again.selected.get(&key), Some(&path));
    // A path that does not exist clears the selection; so does an unknown item.
    let cleared = again.apply(Action::Select(key, vec![999]));
    assert_eq!(cleared.selected.get(&key), None);
    let unknown = again.apply(Action::SelectByte((999, 0), 0));
    assert_eq!(unknown.selected.len(), 1);
}

#[test]
fn toggling_opens_and_closes_items() {
    let s = add(&State::new(NOW), &[("client.key", KEY)]);
    let key = (s.cards[0].id, 0);
    assert!(s.open.contains(&key));
    let s = s.apply(Action::Toggle(key));
    assert!(!s.open.contains(&key));
    let s = s.apply(Action::Toggle(key));
    assert!(s.open.contains(&key));
}

#[test]
fn a_fixed_moment_stays_and_now_follows_the_clock() {
    let s = State::new(NOW);
    let later = Timestamp(NOW.0 + 86_400);
    let s = s.apply(Action::Add {
        files: vec![("k".to_string(), KEY.to_vec())],
        now: later,
    });
    assert_eq!(s.moment, Moment::Now(later));
    let fixed = Timestamp(4_102_444_800);
    let s = s.apply(Action::SetMoment(Moment::At(fixed)));
    let s = add(&s, &[("k2", KEY)]);
    assert_eq!(s.moment, Moment::At(fixed));
}

#[test]
fn bundles_of_many_items_stay_collapsed() {
    let many: Vec<u8> = std::iter::repeat_n(CSR, OPEN_AT_MOST + 1)
        .flatten()
        .copied()
        .collect();
    let s = add(&State::new(NOW), &[("many.pem", &many)]);
    assert_eq!(s.cards[0].items.len(), OPEN_AT_MOST + 1);
    assert!(s.open.is_empty());
}

#[test]
fn certificates_decode_when_the_decoder_does() {
    // The certificate decoder lands in the inspect crate separately; until then a bundle is an
    // input whose objects are errors, and the card still shows them.
    let s = add(
        &State::new(NOW),
        &[("bundle.pem", BUNDLE), ("ca.pem", CA), ("c.pem", CLIENT)],
    );
    assert_eq!(s.cards.len(), 3);
    let bundle = &s.cards[0];
    assert_eq!(bundle.items.len() + bundle.errors.len(), 2);
}

#[test]
fn nothing_panics_on_any_prefix_of_the_inputs() {
    let mut s = State::new(NOW);
    for input in [CA, CLIENT, KEY, CSR, BUNDLE, GARBAGE] {
        for cut in (0..input.len()).step_by(37) {
            s = add(&s, &[("cut", &input[..cut])]);
            let last = s.cards.last().map(|c| c.id).unwrap_or_default();
            s = s.apply(Action::SelectByte((last, 0), cut));
            s = s.apply(Action::Remove(last));
        }
    }
    assert!(s.cards.is_empty());
}

#[test]
fn private_key_material_is_never_shown_or_copied() {
    let s = add(&State::new(NOW), &[("client.key", KEY)]);
    let Some(item) = s.item((s.cards[0].id, 0)) else {
        panic!("no key item");
    };
    let secrets = crate::hexview::secret_spans(item);
    assert!(!secrets.is_empty());
    // The scalar of the EC key lies in a secret span, and copying any field holding it
    // copies the placeholder, not the bytes.
    let whole = Node::at_path(&item.tree, &[0]).map(|n| crate::export::field_value(item, n));
    assert_eq!(whole.as_deref(), Some(mtlskit_inspect::x509::PRIVATE));
}

const TLS13: &[u8] = include_bytes!("../../testdata/decrypt/tls13.pcapng");
const TLS13_KEYS: &[u8] = include_bytes!("../../testdata/decrypt/tls13.keys");

#[test]
fn a_key_log_dropped_beside_a_capture_decrypts_it_and_stays_out_of_the_report() {
    let s = add(
        &State::new(NOW),
        &[("tls13.pcapng", TLS13), ("keys.log", TLS13_KEYS)],
    );
    // The key log is a card that says what it holds, not an item, not an error.
    assert_eq!(s.cards.len(), 2);
    let key_card = &s.cards[1];
    assert!(key_card.items.is_empty() && key_card.errors.is_empty());
    assert!(!key_card.failed());
    let note = key_card.key_log.as_deref().unwrap_or_default();
    assert!(note.contains("15 secrets for 3 TLS connections"), "{note}");
    assert!(note.contains("stays in this browser"), "{note}");
    assert_eq!(s.report.items.len(), 1);
    let ItemBody::Capture(c) = &s.report.items[0].body else {
        panic!("not a capture")
    };
    // The client certificates and the server's accepted CA names, decrypted.
    let subjects: Vec<&str> = c
        .connections
        .iter()
        .flat_map(|k| k.client_to_server.certificates.iter())
        .map(|cert| cert.subject.as_str())
        .collect();
    assert_eq!(subjects, ["CN=good client", "CN=other client"]);
    let cas = c.connections[0]
        .server_to_client
        .certificate_request
        .as_ref()
        .map(|r| r.certificate_authorities.as_slice())
        .unwrap_or_default();
    assert_eq!(cas, ["CN=good CA"]);
    // No secret reaches the report (what the JSON export serialises).
    let json = serde_json::to_string(&*s.report).unwrap_or_default();
    let text = String::from_utf8_lossy(TLS13_KEYS);
    for secret in text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').nth(2))
    {
        assert!(!json.contains(secret), "a secret in the report");
    }
    // Removing the key log leaves the capture encrypted again.
    let id = key_card.id;
    let s = s.apply(Action::Remove(id));
    let ItemBody::Capture(c) = &s.report.items[0].body else {
        panic!("not a capture")
    };
    assert!(c.connections.iter().all(|k| k.decryption.is_none()));
}

#[test]
fn the_status_line_counts_the_connections_of_streamed_captures() {
    let s = State::new(NOW);
    assert!(s.status().starts_with("Drop certificates"));
    let s = s.apply(Action::StreamStart {
        id: 1,
        name: "big.pcap".into(),
        size: 100,
    });
    assert_eq!(
        s.status(),
        "0 TLS connections from 1 capture read as a stream (reading)"
    );
    let summary = crate::stream::Overview {
        connections: 2,
        ..Default::default()
    };
    let s = s
        .apply(Action::StreamReport {
            id: 1,
            report: crate::stream::Report::Read {
                read: 100,
                rows: Vec::new(),
                summary: Box::new(summary),
                pick: 0,
                matches: Vec::new(),
            },
        })
        .apply(Action::StreamReport {
            id: 1,
            report: crate::stream::Report::End(Progress::Done),
        });
    assert_eq!(
        s.status(),
        "2 TLS connections from 1 capture read as a stream"
    );
    let s = add(&s, &[("ca.pem", CA)]);
    assert_eq!(
        s.status(),
        "1 item from 1 input · 2 TLS connections from 1 capture read as a stream"
    );
}
