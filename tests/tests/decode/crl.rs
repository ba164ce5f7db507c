//! The CRL decoder against `openssl crl`: CRLs made by `openssl ca -gencrl` at test time must
//! read as OpenSSL prints them (issuer, dates, number, fingerprint, AKI, every entry with its
//! reason), and `mtlskit inspect` must check them against the CA given with them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_inspect::x509::{decode_crl, revocation};
use mtlskit_inspect::{Crl, ItemBody, Node, RevocationReason, Span, Timestamp};
use mtlskit_tests::certtext::{der_of, field, plain_hex, serial_from_openssl, time_from_openssl};
use mtlskit_tests::crl::CrlCa;
use mtlskit_tests::{codes, inspect_json, items, openssl};

/// The DER of a PEM CRL in `dir`, by `openssl crl`.
fn crl_der(dir: &std::path::Path, pem: &str) -> Vec<u8> {
    mtlskit_tests::openssl_bytes(dir, &["crl", "-in", pem, "-outform", "DER"])
}

fn body(b: &ItemBody) -> &Crl {
    match b {
        ItemBody::Crl(c) => c,
        other => panic!("not a CRL: {other:?}"),
    }
}

/// `openssl crl -text`'s revoked entries: (serial, revocation date, reason as printed).
fn entries_from_openssl(text: &str) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<(String, String, Option<String>)> = Vec::new();
    let mut lines = text.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        if let Some(serial) = line.strip_prefix("Serial Number: ") {
            let date = lines
                .next()
                .and_then(|l| l.strip_prefix("Revocation Date: "));
            out.push((
                serial_from_openssl(serial),
                time_from_openssl(date.expect("a revocation date")),
                None,
            ));
        } else if line == "X509v3 CRL Reason Code:" {
            let reason = lines.next().map(str::to_string);
            out.last_mut().expect("an entry").2 = reason;
        }
    }
    out
}

/// openssl's words for a reason ("Key Compromise").
fn openssl_reason(r: RevocationReason) -> &'static str {
    match r {
        RevocationReason::KeyCompromise => "Key Compromise",
        RevocationReason::Superseded => "Superseded",
        RevocationReason::CessationOfOperation => "Cessation Of Operation",
        RevocationReason::AffiliationChanged => "Affiliation Changed",
        other => panic!("no openssl text for {other}"),
    }
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
fn crl_fields_read_as_openssl_prints_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = CrlCa::root(dir, "ca", "/O=mtlskit test/CN=Revoking CA");
    for (name, reason) in [
        ("a", Some("keyCompromise")),
        ("b", None),
        ("c", Some("superseded")),
        ("d", Some("cessationOfOperation")),
    ] {
        ca.issue(name, &format!("/CN=client {name}"), "client");
        if let Some(reason) = reason {
            ca.revoke(name, reason);
        }
    }
    ca.crl("crl.pem", &[]);
    let der = crl_der(dir, "crl.pem");
    let d = decode_crl(&der, None).expect("decodes");
    let c = body(&d.body);

    let fields = openssl(
        dir,
        &[
            "crl",
            "-in",
            "crl.pem",
            "-noout",
            "-issuer",
            "-lastupdate",
            "-nextupdate",
            "-crlnumber",
            "-nameopt",
            "RFC2253,-esc_msb",
            "-fingerprint",
            "-sha256",
        ],
    );
    assert_eq!(c.issuer, field(&fields, "issuer"));
    assert_eq!(
        c.this_update,
        time_from_openssl(field(&fields, "lastUpdate"))
    );
    assert_eq!(
        c.next_update.as_deref(),
        Some(time_from_openssl(field(&fields, "nextUpdate")).as_str())
    );
    let number = field(&fields, "crlNumber").trim_start_matches("0x");
    assert_eq!(
        c.crl_number.as_deref().map(|n| n.parse::<u64>().unwrap()),
        Some(u64::from_str_radix(number, 16).unwrap())
    );
    assert_eq!(c.sha256, plain_hex(field(&fields, "SHA2-256 Fingerprint")));
    assert_eq!(c.version, 2);
    assert_eq!(c.signature_algorithm, "ecdsa-with-SHA256");

    let text = openssl(dir, &["crl", "-in", "crl.pem", "-noout", "-text"]);
    let aki = text
        .lines()
        .skip_while(|l| !l.contains("Authority Key Identifier"))
        .nth(1)
        .map(|l| l.trim().trim_start_matches("keyid:").to_string());
    assert_eq!(c.authority_key_id, aki);
    let want = entries_from_openssl(&text);
    assert_eq!(want.len(), 3, "{text}");
    let got: Vec<(String, String, Option<String>)> = c
        .revoked
        .iter()
        .map(|e| {
            (
                e.serial.clone(),
                e.revocation_date.clone(),
                e.reason.map(|r| openssl_reason(r).to_string()),
            )
        })
        .collect();
    assert_eq!(got, want);

    // Every entry is a node of the tree, its serial at the bytes of the serial.
    let entries = find(&d.tree, "revokedCertificates").expect("the entries");
    assert_eq!(entries.children.len(), 3);
    let serial = find(&entries.children[0].children, "userCertificate").expect("serial");
    let Span { offset, .. } = serial.span;
    assert_eq!(der[offset], 0x02, "the span starts at the INTEGER");
    assert_eq!(serial.value, c.revoked[0].serial);
    assert_eq!(der.len(), d.tree[0].span.len);

    // The revocation fact for a listed certificate, and none for an unlisted one.
    let a = der_of(dir, &dir.join("a.pem"));
    let r = revocation(&a, &[&der]).unwrap().expect("a is revoked");
    assert_eq!(r.reason, Some(RevocationReason::KeyCompromise));
    assert_eq!(r.serial, c.revoked[r.entry_index].serial);
    assert_eq!(
        Some(r.reason),
        c.revoked.get(r.entry_index).map(|e| e.reason)
    );
    assert_eq!(r.crl_issuer, c.issuer);
    assert_eq!(r.next_update, c.next_update_unix.map(Timestamp));
    assert!(
        r.to_string().starts_with("certificate CN=client a serial "),
        "{r}"
    );
    assert!(r
        .to_string()
        .contains("(keyCompromise) by the CRL of CN=Revoking CA,O=mtlskit test"));
    let b = der_of(dir, &dir.join("b.pem"));
    assert_eq!(revocation(&b, &[&der]).unwrap(), None);
}

#[test]
fn inspect_checks_the_crl_with_its_ca_and_marks_revoked_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = CrlCa::root(dir, "ca", "/CN=Revoking CA");
    ca.issue("gone", "/CN=gone", "client");
    ca.issue("kept", "/CN=kept", "client");
    ca.revoke("gone", "keyCompromise");
    ca.crl("crl.pem", &[]);
    // Another CA of the same name: its CRL does not verify with the first one's key.
    let other = CrlCa::root(dir, "other", "/CN=Revoking CA");
    other.crl("other.pem", &[]);
    openssl(
        dir,
        &[
            "crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der",
        ],
    );

    let (report, run) = inspect_json(
        dir,
        &["ca.pem", "crl.der", "other.pem", "gone.pem", "kept.pem"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = items(&report);
    let kinds: Vec<&str> = all.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["certificate", "crl", "crl", "certificate", "certificate"]
    );
    assert_eq!(all[1]["signature_valid"], true);
    assert_eq!(all[1]["signed_by"]["source"], "ca.pem");
    assert_eq!(all[1]["revoked"][0]["reason"], "keyCompromise");
    assert_eq!(all[2]["signature_valid"], false);
    assert_eq!(codes(&all[2]), ["crl_not_signed_by_issuer"]);
    assert!(codes(&all[3]).contains(&"revoked".to_string()));
    assert!(!codes(&all[4]).contains(&"revoked".to_string()));

    // An expired CRL, at the moment given.
    let (report, _) = inspect_json(dir, &["--at", "2099-01-01T00:00:00Z", "crl.der"]);
    assert_eq!(codes(&items(&report)[0]), ["crl_expired"]);
    // The same CRL alone: nothing to check its signature with.
    let (report, _) = inspect_json(dir, &["crl.pem"]);
    assert_eq!(
        items(&report)[0]["signature_valid"],
        serde_json::Value::Null
    );
}

#[test]
fn damaged_crls_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = CrlCa::root(dir, "ca", "/CN=Revoking CA");
    ca.crl("crl.pem", &[]);
    let der = crl_der(dir, "crl.pem");
    for cut in [1, der.len() / 2, der.len() - 1] {
        assert!(decode_crl(&der[..cut], None).is_err(), "cut at {cut}");
    }
    std::fs::write(dir.join("cut.der"), &der[..der.len() / 2]).unwrap();
    let (report, run) = inspect_json(dir, &["cut.der"]);
    assert_eq!(run.code, 1);
    assert!(items(&report).is_empty());
}
