//! `mtlskit diagnose CAPTURE`: TLS 1.3 mTLS handshakes recorded on loopback against
//! `openssl s_server -Verify 1` (accepted, no client certificate, a certificate from another
//! CA), diagnosed with the key log the client wrote (`--keylog`), with the secrets injected
//! into the pcapng (a Decryption Secrets Block, `editcap --inject-secrets`), and without
//! either: the exact certificate and alert when decrypted, "unknown" and the size reading
//! when not; no secret printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::capture::editcap;
use mtlskit_tests::peer::{get, good_ca_server};
use mtlskit_tests::tshark::Capture;
use mtlskit_tests::{mtlskit, Run};
use serde_json::Value;

/// (name, s_client arguments beyond -tls1_3, whether the server answers).
fn cases(dir: &Path) -> Vec<(&'static str, Vec<String>, bool)> {
    let client = |ca: &str| {
        vec![
            "-cert".to_string(),
            dir.join(format!("{ca}-client.pem")).display().to_string(),
            "-key".to_string(),
            dir.join(format!("{ca}-client.key")).display().to_string(),
        ]
    };
    vec![
        ("accepted", client("good"), true),
        ("no client certificate", vec![], false),
        ("another CA", client("other"), false),
    ]
}

/// The three handshakes captured on lo, the key log, and the client port of each case.
fn record(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<u16>) {
    let (_server, port) = good_ca_server(dir);
    let keys = dir.join("keys.log");
    let cap = Capture::start(dir, "lo", port, "mtls13.pcapng", &[]);
    let cases = cases(dir);
    for (name, args, accepted) in &cases {
        let mut all: Vec<&str> = vec!["-tls1_3", "-keylogfile", keys.to_str().unwrap()];
        all.extend(args.iter().map(String::as_str));
        let answer = get("127.0.0.1", port, &all);
        assert_eq!(answer.contains("HTTP/1.0 200 ok"), *accepted, "{name}");
    }
    let file = cap.stop(cases.len());
    let bytes = std::fs::read(&file).unwrap();
    let streams = mtlskit_inspect::capture::streams(&bytes).unwrap();
    let ports: Vec<u16> = streams
        .iter()
        .filter(|s| s.client_to_server.bytes.first() == Some(&0x16))
        .map(|s| s.client.port())
        .collect();
    assert_eq!(ports.len(), cases.len(), "one TLS connection per case");
    (file, keys, ports)
}

fn connection(report: &Value, port: u16) -> &Value {
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("no connection from {port}: {report}"))
}

fn codes(c: &Value) -> Vec<String> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn message(c: &Value, code: &str) -> String {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {code} finding: {c}"))
}

/// The decrypted diagnosis, the same from `--keylog` and from the capture's secrets block.
fn assert_decrypted(report: &Value, ports: &[u16], what: &str) {
    // Beside the three handshakes, the capture holds the probe connections that told the
    // capture had started: no ClientHello (the server answered decode_error), not failures.
    let all = report["connections"].as_array().unwrap();
    assert_eq!(report["completed"], 1, "{what}: {report}");
    assert_eq!(report["failed"], 2, "{what}: {report}");
    assert_eq!(report["unknown"], 0, "{what}: {report}");
    assert!(all.len() > 3, "the capture's probe connections are there");
    assert_eq!(report["no_handshake"], all.len() - 3, "{what}: {report}");
    for c in all.iter().filter(|c| c["version"].is_null()) {
        assert_eq!(c["outcome"], "no_handshake", "{c}");
        assert_eq!(c["alert"]["description"], "decode_error", "{c}");
    }
    assert_eq!(report["key_log"]["connections_decrypted"], 3, "{what}");

    let ok = connection(report, ports[0]);
    assert_eq!(ok["outcome"], "completed", "{what}: {ok}");
    assert_eq!(ok["readable"], "decrypted", "{what}");
    assert_eq!(ok["version"], "TLS 1.3");
    assert_eq!(ok["requested_cas"], serde_json::json!(["CN=good CA"]));
    assert_eq!(ok["client_certificate"], "CN=client");
    assert_eq!(ok["client_certificate_issuer"], "CN=good CA");
    assert_eq!(ok["alert"], Value::Null, "{what}: {ok}");
    assert!(
        !codes(ok)
            .iter()
            .any(|c| c.starts_with("client_certificate")),
        "{what}: {ok}"
    );

    let none = connection(report, ports[1]);
    assert_eq!(none["outcome"], "failed", "{what}: {none}");
    assert_eq!(none["client_certificate"], Value::Null);
    assert_eq!(none["client_certificate_empty"], true);
    assert_eq!(none["alert"]["sender"], "server");
    assert_eq!(none["alert"]["description"], "certificate_required");
    assert_eq!(none["alert"]["code"], 116);
    assert_eq!(none["alert"]["decrypted"], true);
    let m = message(none, "client_certificate_missing");
    for words in [
        "CN=good CA",
        "empty Certificate",
        "certificate_required (116)",
    ] {
        assert!(m.contains(words), "{what}: {m}");
    }

    let other = connection(report, ports[2]);
    assert_eq!(other["outcome"], "failed", "{what}: {other}");
    assert_eq!(other["client_certificate"], "CN=client");
    assert_eq!(other["client_certificate_issuer"], "CN=other CA");
    assert_eq!(other["alert"]["description"], "unknown_ca");
    assert_eq!(other["alert"]["code"], 48);
    let m = message(other, "client_certificate_rejected");
    for words in ["(CN=client)", "unknown_ca (48)", "issued by CN=other CA"] {
        assert!(m.contains(words), "{what}: {m}");
    }
    for c in [ok, none, other] {
        let m = message(c, "decrypted");
        assert!(m.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), "{what}: {m}");
        assert!(
            !c["findings"].to_string().contains("sizes"),
            "{what}: a guess from sizes: {c}"
        );
    }
}

fn secrets(keys: &Path) -> Vec<String> {
    std::fs::read_to_string(keys)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').nth(2).map(str::to_lowercase))
        .collect()
}

fn assert_no_secret(run: &Run, secrets: &[String]) {
    for s in secrets {
        for out in [&run.stdout, &run.stderr] {
            let out = out.to_lowercase();
            assert!(!out.contains(s), "a secret was printed");
        }
    }
}

#[test]
fn diagnose_names_the_certificate_and_alert_of_decrypted_tls13_handshakes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (file, keys, ports) = record(dir);
    let (cap, log) = (file.to_str().unwrap(), keys.to_str().unwrap());
    let secrets = secrets(&keys);
    assert!(!secrets.is_empty());

    // --keylog: JSON, then the text a person reads.
    let json = mtlskit(dir, &["diagnose", "--json", "--keylog", log, cap], None);
    assert_eq!(json.code, 1, "a failed handshake: {}", json.stderr);
    assert_no_secret(&json, &secrets);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_decrypted(&report, &ports, "--keylog");

    let text = mtlskit(dir, &["diagnose", "--keylog", log, cap], None);
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert_no_secret(&text, &secrets);
    let out = &text.stdout;
    let probes = report["connections"].as_array().unwrap().len() - 3;
    let head = format!(
        "3 TLS connections: 1 completed, 2 failed, 0 unknown ({probes} without a ClientHello: \
         port or health checks, listed last)"
    );
    assert!(out.contains(&head), "{out}");
    let checks =
        "\nWithout a ClientHello (the client sent none, or the capture started after it):\n";
    assert!(out.contains(checks), "{out}");
    assert!(out.contains(": server: fatal decode_error (50)\n"), "{out}");
    let block = |port: u16| -> String {
        let start = out
            .find(&format!("127.0.0.1:{port} -> "))
            .unwrap_or_else(|| panic!("no block for {port}: {out}"));
        let rest = &out[start..];
        let end = rest[1..].find("\n127.0.0.1:").map_or(rest.len(), |e| e + 1);
        rest[..end].to_string()
    };
    let ok = block(ports[0]);
    assert!(ok.contains(": COMPLETED (TLS 1.3, "), "{ok}");
    assert!(ok.contains("decrypted)"), "{ok}");
    assert!(
        ok.contains("Client certificate sent: CN=client (issued by CN=good CA)"),
        "{ok}"
    );
    assert!(
        ok.contains("Client certificate requested, issued by: CN=good CA"),
        "{ok}"
    );
    let none = block(ports[1]);
    assert!(none.contains(": FAILED (TLS 1.3"), "{none}");
    assert!(
        none.contains("Client certificate sent: none (an empty Certificate message)"),
        "{none}"
    );
    assert!(
        none.contains("Alert: server: fatal certificate_required (116) (decrypted)"),
        "{none}"
    );
    assert!(
        none.contains("ERROR   client_certificate_missing: "),
        "{none}"
    );
    let other = block(ports[2]);
    assert!(
        other.contains("Client certificate sent: CN=client (issued by CN=other CA)"),
        "{other}"
    );
    assert!(
        other.contains("Alert: server: fatal unknown_ca (48) (decrypted)"),
        "{other}"
    );
    assert!(
        other.contains("ERROR   client_certificate_rejected: "),
        "{other}"
    );

    // The secrets inside the pcapng (a Decryption Secrets Block): the same, without --keylog.
    let with_secrets = dir.join("with-secrets.pcapng");
    editcap(
        &file,
        &with_secrets,
        &["--inject-secrets", &format!("tls,{log}")],
    );
    let dsb = mtlskit(
        dir,
        &["diagnose", "--json", with_secrets.to_str().unwrap()],
        None,
    );
    assert_eq!(dsb.code, 1, "{}", dsb.stderr);
    assert_no_secret(&dsb, &secrets);
    let report: Value = serde_json::from_str(&dsb.stdout).unwrap();
    assert_eq!(report["key_log"]["from_capture"], true);
    assert_decrypted(&report, &ports, "secrets block");
}

#[test]
fn diagnose_without_secrets_says_what_is_unknown_and_rejects_bad_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (file, keys, ports) = record(dir);
    let cap = file.to_str().unwrap();

    // No key log: TLS 1.3 hides the certificate messages; the accepted handshake cannot be
    // told from a refused one by what is readable, and nothing names a certificate.
    let run = mtlskit(dir, &["diagnose", "--json", cap], None);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report.get("key_log").is_none(), "{report}");
    for port in &ports {
        let c = connection(&report, *port);
        assert_eq!(c["readable"], "encrypted", "{c}");
        assert_eq!(c["client_certificate"], Value::Null, "{c}");
        assert_eq!(c["requested_cas"], Value::Null, "{c}");
        assert_ne!(c["outcome"], "completed", "{c}");
    }
    assert_eq!(connection(&report, ports[0])["outcome"], "unknown");
    let text = mtlskit(dir, &["diagnose", cap], None);
    assert!(
        text.stdout.contains(&format!("127.0.0.1:{} -> ", ports[0]))
            && text.stdout.contains(": UNKNOWN (TLS 1.3, ")
            && text
                .stdout
                .contains("give the key log the client or server wrote (--keylog FILE)"),
        "{}",
        text.stdout
    );

    // A wrong key log (the same client randoms, other secrets) decrypts nothing and says so.
    let wrong: String = std::fs::read_to_string(&keys)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            format!("{} {} {}\n", w[0], w[1], "5a".repeat(w[2].len() / 2))
        })
        .collect();
    std::fs::write(dir.join("wrong.log"), wrong).unwrap();
    let run = mtlskit(
        dir,
        &["diagnose", "--json", "--keylog", "wrong.log", cap],
        None,
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["key_log"]["connections_decrypted"], 0, "{report}");
    for port in &ports {
        let c = connection(&report, *port);
        assert!(codes(c).contains(&"decryption_failed".to_string()), "{c}");
        assert_eq!(c["readable"], "encrypted");
    }
    // The decryption failing is not the handshake failing.
    assert_eq!(connection(&report, ports[0])["outcome"], "unknown");

    // Usage: a key log without a capture, a capture with --ca, a file that is no key log.
    for args in [
        &[
            "diagnose",
            "--keylog",
            "wrong.log",
            "--ca",
            cap,
            "--cert",
            cap,
        ][..],
        &["diagnose", "--ca", cap, cap],
        &["diagnose", "--keylog", cap, cap],
    ] {
        let run = mtlskit(dir, args, None);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
    }
    let run = mtlskit(dir, &["diagnose", "--keylog", cap, cap], None);
    assert!(run.stderr.contains("not an NSS key log"), "{}", run.stderr);
    // A certificate is not a capture.
    let run = mtlskit(dir, &["diagnose", "good.pem"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a capture"), "{}", run.stderr);
}
