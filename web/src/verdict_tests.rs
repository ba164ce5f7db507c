//! Tests of the verdict panel: which dropped items the engine gets, and its verdict through the
//! reducer (role, host name, chosen certificate, moment). The PKI is `mtlskit pki init`'s; the
//! other CA and its client were made with openssl.

use mtlskit_inspect::diagnose::{Role, Verdict};
use mtlskit_inspect::Timestamp;

use super::{Choice, Outcome};
use crate::moment::Moment;
use crate::state::{Action, State};

const CA: &[u8] = include_bytes!("../../testdata/web/pki/ca.pem");
const CLIENT: &[u8] = include_bytes!("../../testdata/web/pki/client.pem");
const KEY: &[u8] = include_bytes!("../../testdata/web/pki/client.key");
const SERVER: &[u8] = include_bytes!("../../testdata/web/pki/server.pem");
const OTHER_CA: &[u8] = include_bytes!("../../testdata/web/other/ca.pem");
const OTHER_CLIENT: &[u8] = include_bytes!("../../testdata/web/other/client.pem");

/// Inside every fixture's validity.
const NOW: Timestamp = Timestamp(1_800_000_000);

fn add(state: &State, files: &[(&str, &[u8])]) -> State {
    state.apply(Action::Add {
        files: files
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect(),
        now: NOW,
    })
}

fn names(s: &State, positions: &[usize]) -> Vec<String> {
    positions
        .iter()
        .filter_map(|&p| s.report.items.get(p))
        .map(|i| i.source.clone())
        .collect()
}

/// The verdict and the finding codes, or a description of why there is none.
fn verdict(s: &State) -> Result<(Verdict, Vec<&'static str>), String> {
    match &*s.outcome {
        Outcome::Done(d) => Ok((
            d.verdict,
            d.findings.iter().map(|f| f.code.as_str()).collect(),
        )),
        Outcome::NoLeaf => Err("no leaf".to_string()),
        Outcome::Failed(e) => Err(e.clone()),
    }
}

#[test]
fn the_ca_is_the_anchor_the_client_the_leaf_and_its_key_goes_with_it() {
    let s = add(
        &State::new(NOW),
        &[
            ("client.key", KEY),
            ("ca.pem", CA),
            ("server.pem", SERVER),
            ("client.pem", CLIENT),
        ],
    );
    let c: &Choice = &s.choice;
    assert_eq!(names(&s, &c.anchors), ["ca.pem"]);
    assert_eq!(names(&s, &c.candidates), ["server.pem", "client.pem"]);
    // The certificate whose key was dropped is checked first.
    assert_eq!(
        names(&s, &c.leaf.into_iter().collect::<Vec<_>>()),
        ["client.pem"]
    );
    assert_eq!(
        names(&s, &c.key.into_iter().collect::<Vec<_>>()),
        ["client.key"]
    );
    assert!(c.intermediates.is_empty());
    assert_eq!(verdict(&s), Ok((Verdict::Accepted, Vec::new())));
}

#[test]
fn a_client_of_another_ca_is_rejected_as_untrusted() {
    let s = add(
        &State::new(NOW),
        &[("ca.pem", CA), ("other.pem", OTHER_CLIENT)],
    );
    let (v, codes) = verdict(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v, Verdict::Rejected);
    assert!(codes.contains(&"untrusted_issuer"), "{codes:?}");
    // Dropping its CA too makes it trusted: every self-issued CA is an anchor.
    let s = add(&s, &[("other-ca.pem", OTHER_CA)]);
    assert_eq!(s.choice.anchors.len(), 2);
    assert_eq!(verdict(&s).map(|v| v.0), Ok(Verdict::Accepted));
}

#[test]
fn the_moment_decides_expiry() {
    let s = add(&State::new(NOW), &[("ca.pem", CA), ("client.pem", CLIENT)]);
    assert_eq!(verdict(&s).map(|v| v.0), Ok(Verdict::Accepted));
    let later = Timestamp::from_parts(2200, 1, 1, 0, 0, 0);
    let s = s.apply(Action::SetMoment(Moment::At(later)));
    let (v, codes) = verdict(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v, Verdict::Rejected);
    assert!(codes.contains(&"expired"), "{codes:?}");
}

#[test]
fn role_host_and_the_chosen_certificate() {
    let s = add(
        &State::new(NOW),
        &[
            ("ca.pem", CA),
            ("client.pem", CLIENT),
            ("server.pem", SERVER),
        ],
    );
    // A client certificate used as a server's lacks serverAuth.
    let s = s.apply(Action::SetRole(Role::Server));
    let (_, codes) = verdict(&s).unwrap_or_else(|e| panic!("{e}"));
    assert!(codes.contains(&"missing_server_auth_eku"), "{codes:?}");
    // The server certificate, for its own name and for another.
    let s = s.apply(Action::ChooseLeaf(Some(("server.pem".to_string(), 0))));
    let s = s.apply(Action::SetHost("localhost".to_string()));
    assert_eq!(verdict(&s), Ok((Verdict::Accepted, Vec::new())));
    let s = s.apply(Action::SetHost("api.example".to_string()));
    let (v, codes) = verdict(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v, Verdict::Rejected);
    assert!(codes.contains(&"hostname_mismatch"), "{codes:?}");
    // A choice that is gone falls back to the first certificate.
    let gone = s.apply(Action::ChooseLeaf(Some(("nothing.pem".to_string(), 3))));
    assert_eq!(
        names(&gone, &gone.choice.leaf.into_iter().collect::<Vec<_>>()),
        ["client.pem"]
    );
}

#[test]
fn without_a_leaf_there_is_nothing_to_check() {
    let s = add(&State::new(NOW), &[("ca.pem", CA), ("client.key", KEY)]);
    assert_eq!(verdict(&s), Err("no leaf".to_string()));
    assert_eq!(s.choice.key, None);
    let s = s.apply(Action::Clear);
    assert!(matches!(*s.outcome, Outcome::NoLeaf));
}

#[test]
fn a_key_of_another_certificate_is_reported() {
    // The only key dropped is not the leaf's: the engine says so.
    let s = add(
        &State::new(NOW),
        &[("ca.pem", CA), ("server.pem", SERVER), ("client.key", KEY)],
    );
    let s = s.apply(Action::ChooseLeaf(Some(("server.pem".to_string(), 0))));
    let s = s.apply(Action::SetRole(Role::Server));
    let (v, codes) = verdict(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v, Verdict::Rejected);
    assert!(codes.contains(&"key_mismatch"), "{codes:?}");
}

const CRL_CA: &[u8] = include_bytes!("../../testdata/crl/ca.pem");
const CRL: &[u8] = include_bytes!("../../testdata/crl/crl.pem");
const GOOD: &[u8] = include_bytes!("../../testdata/crl/good.pem");
const REVOKED: &[u8] = include_bytes!("../../testdata/crl/revoked.pem");

#[test]
fn a_dropped_crl_is_a_card_and_the_verdict_checks_revocation() {
    let s = add(
        &State::new(NOW),
        &[
            ("ca.pem", CRL_CA),
            ("crl.pem", CRL),
            ("revoked.pem", REVOKED),
            ("good.pem", GOOD),
        ],
    );
    assert_eq!(names(&s, &s.choice.crls), ["crl.pem"]);
    // The CRL has its card, summarised by its issuer and its entries.
    let Some(card) = s.cards.iter().find(|c| c.name == "crl.pem") else {
        panic!("no card for crl.pem");
    };
    let item = &s.report.items[card.items[0]];
    let summary = crate::summary::summarize(item, NOW);
    assert_eq!(summary.kind, "CRL");
    assert_eq!(summary.name, "mtlskit CRL test CA, 1 revoked");
    // The first certificate is the revoked one: the engine says why.
    let (v, codes) = verdict(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((v, codes), (Verdict::Rejected, vec!["revoked"]));
    let s = s.apply(Action::ChooseLeaf(Some(("good.pem".to_string(), 0))));
    assert_eq!(verdict(&s), Ok((Verdict::Accepted, Vec::new())));
    // Without the CRL, nothing is said about revocation.
    let s = s.apply(Action::Remove(card.id));
    let s = s.apply(Action::ChooseLeaf(Some(("revoked.pem".to_string(), 0))));
    assert_eq!(verdict(&s), Ok((Verdict::Accepted, Vec::new())));
}

#[test]
fn each_certificate_is_checked_in_its_own_role_unless_the_user_picks_one() {
    let s = add(
        &State::new(NOW),
        &[
            ("ca.pem", CA),
            ("server.pem", SERVER),
            ("client.pem", CLIENT),
        ],
    );
    let s = s.apply(Action::ChooseLeaf(Some(("server.pem".to_string(), 0))));
    assert_eq!(s.choice.role, Role::Server);
    assert_eq!(verdict(&s), Ok((Verdict::Accepted, Vec::new())));
    let s = s.apply(Action::SetRole(Role::Client));
    assert_eq!(s.choice.role, Role::Client);
    // Another certificate: back to its own role.
    let s = s.apply(Action::ChooseLeaf(Some(("client.pem".to_string(), 0))));
    assert_eq!(s.choice.role, Role::Client);
    let s = s.apply(Action::ChooseLeaf(Some(("server.pem".to_string(), 0))));
    assert_eq!(s.choice.role, Role::Server);
}
