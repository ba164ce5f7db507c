//! x509-limbo conformance (issue 16): the suite in `testdata/limbo/` through the diagnosis
//! engine and the proxy's verifier, held to `testdata/limbo/exceptions.toml` and to the goals of
//! docs/diagnosis.md ("Conformance"): no false accept by the diagnosis, every CLIENT case
//! agreeing, no refusal by the proxy that the diagnosis (asked as the proxy) calls fine, and no
//! refusal by the diagnosis of what the proxy accepts without saying so.
//!
//! One test binary for the area; the harness is `mtlskit_tests::limbo` (tests/src/limbo.rs),
//! which `cargo xtask limbo` runs too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use mtlskit_inspect::diagnose::{Role, Verifier};
use mtlskit_tests::limbo::{self, Case, CaseResult, Exceptions, Outcome, Summary};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_suite_agrees_but_for_the_listed_exceptions() {
    let cases = limbo::load(&root().join("testdata/limbo/limbo.json")).unwrap();
    assert_eq!(cases.len(), 208);
    let exceptions = limbo::exceptions(&root().join("testdata/limbo/exceptions.toml")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let diagnose: Vec<CaseResult> = cases.iter().map(limbo::run_diagnose).collect();
    let proxy: Vec<CaseResult> = cases
        .iter()
        .map(|c| limbo::run_proxy(c, scratch.path()))
        .collect();
    let as_proxy: Vec<CaseResult> = cases
        .iter()
        .map(|c| limbo::diagnose_as(c, Verifier::Rustls))
        .collect();

    let mut problems = limbo::exception_problems("diagnose", &cases, &diagnose, &exceptions, false);
    problems.extend(limbo::exception_problems(
        "proxy",
        &cases,
        &proxy,
        &exceptions,
        true,
    ));
    problems.extend(limbo::unexplained_refusals(&cases, &proxy, &as_proxy));
    problems.extend(limbo::unflagged_refusals(&cases, &proxy));
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let summary = Summary::of(&cases, &diagnose);
    assert!(summary.false_accepts.is_empty(), "{summary}");
    let run = summary.agree + summary.disagree();
    assert!(summary.agree * 100 >= run * 95, "{summary}");
    // rustls-webpki's own harness skips 17 of these cases.
    assert!(summary.skipped <= 17, "{summary}");
    let client_disagree: Vec<&str> = cases
        .iter()
        .zip(&diagnose)
        .filter(|(c, r)| c.role == Role::Client && r.actual != c.expected)
        .map(|(c, _)| c.id.as_str())
        .collect();
    assert!(client_disagree.is_empty(), "{client_disagree:?}");
}

/// A case of the suite by id.
fn case(cases: &[Case], id: &str) -> Case {
    cases.iter().find(|c| c.id == id).cloned().unwrap()
}

#[test]
fn exceptions_catch_new_disagreements_stale_entries_and_hidden_false_accepts() {
    let cases = limbo::load(&root().join("testdata/limbo/limbo.json")).unwrap();
    let two = [
        case(&cases, "rfc5280::ca-as-leaf"),
        case(&cases, "rfc5280::serial::zero"),
    ];
    let result = |c: &Case, actual| CaseResult {
        id: c.id.clone(),
        actual,
        context: String::new(),
    };
    let list = |ids: &[&str]| -> Exceptions {
        let mut e = Exceptions::new();
        let h = e.entry("diagnose".to_string()).or_default();
        for id in ids {
            h.insert(id.to_string(), "because".to_string());
        }
        e
    };
    // ca-as-leaf (expected SUCCESS) refused, serial::zero (expected FAILURE) refused.
    let results = [
        result(&two[0], Outcome::Failure),
        result(&two[1], Outcome::Failure),
    ];
    let unlisted = limbo::exception_problems("diagnose", &two, &results, &list(&[]), false);
    assert_eq!(unlisted.len(), 1, "{unlisted:?}");
    assert!(unlisted[0].contains("rfc5280::ca-as-leaf expected SUCCESS, got FAILURE"));
    let listed = list(&["rfc5280::ca-as-leaf"]);
    assert!(limbo::exception_problems("diagnose", &two, &results, &listed, false).is_empty());
    // Listed, and now agreeing: the entry must go.
    let fixed = [
        result(&two[0], Outcome::Success),
        result(&two[1], Outcome::Failure),
    ];
    let stale = limbo::exception_problems("diagnose", &two, &fixed, &listed, false);
    assert_eq!(stale.len(), 1);
    assert!(stale[0].contains("remove it"), "{stale:?}");
    // A false accept may be listed for the proxy, never for the diagnosis.
    let accepts = [
        result(&two[0], Outcome::Success),
        result(&two[1], Outcome::Success),
    ];
    let hidden = list(&["rfc5280::serial::zero"]);
    let problems = limbo::exception_problems("diagnose", &two, &accepts, &hidden, false);
    assert!(problems[0].contains("false accept"), "{problems:?}");
    assert!(limbo::exception_problems("diagnose", &two, &accepts, &hidden, true).is_empty());
}

#[test]
fn results_are_in_limbo_s_format_with_the_finding_codes() {
    let cases = limbo::load(&root().join("testdata/limbo/limbo.json")).unwrap();
    let picked = [
        case(&cases, "rfc5280::serial::zero"),
        case(&cases, "crl::revoked-certificate-with-crl"),
    ];
    let results: Vec<CaseResult> = picked.iter().map(limbo::run_diagnose).collect();
    let json: serde_json::Value =
        serde_json::from_str(&limbo::results_json("mtlskit-diagnose", &results)).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["harness"], "mtlskit-diagnose");
    assert_eq!(json["results"][0]["id"], "rfc5280::serial::zero");
    assert_eq!(json["results"][0]["actual_result"], "FAILURE");
    assert_eq!(json["results"][0]["context"], "negative_serial");
    assert_eq!(json["results"][1]["context"], "revoked");
    assert_eq!(
        Summary::of(&picked, &results).to_string(),
        "2 agree, 0 disagree (0 false accepts, 0 false rejects), 0 skipped"
    );
}
