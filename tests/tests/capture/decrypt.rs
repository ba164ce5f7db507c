//! Captures decrypted with the key log the clients wrote (`openssl s_client -keylogfile`,
//! curl's `SSLKEYLOGFILE`, Python's `keylog_filename`), read by the capture reader and by tshark
//! 4 with `-o tls.keylog_file:` on the same file: the same handshake message types in the same
//! order per direction, the same certificates, the same alerts, the same HTTP request line;
//! every TLS 1.3 and TLS 1.2 AEAD cipher, and TLS 1.2 AES-CBC with HMAC-SHA1/SHA256/SHA384,
//! with and without encrypt-then-MAC; the diagnosis reads the decrypted messages instead of
//! guessing from sizes; a wrong key log decrypts nothing and says so; the secrets of a pcapng
//! Decryption Secrets Block (editcap --inject-secrets) decrypt the same; no secret is printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mtlskit_inspect::capture::model::{ClientCertificate, Connection};
use mtlskit_inspect::capture::{self, Decoded};
use mtlskit_inspect::decrypt::KeyLog;
use mtlskit_inspect::{inspect_with, Input, ItemBody, Options};
use mtlskit_tests::capture::editcap;
use mtlskit_tests::peer::{get, good_ca_server, python_get_with, s_client_run};
use mtlskit_tests::pki::leaf;
use mtlskit_tests::tshark::{decrypted_fields, unhex, Capture};
use mtlskit_tests::{mtlskit, Run};

/// Who makes the connection.
enum Client {
    /// `openssl s_client` with these arguments (and `-keylogfile`).
    Openssl(Vec<String>),
    /// curl with a client certificate and these arguments, `SSLKEYLOGFILE` set.
    Curl(Vec<String>),
    /// Python's ssl with a client certificate, at most this TLS version.
    Python(&'static str),
    /// `openssl s_client -tls1_3` with the good certificate, sending no request: its `K`
    /// command sends a KeyUpdate asking the server for one too, then end of input closes.
    KeyUpdate,
}

struct Case {
    name: &'static str,
    client: Client,
    accepted: bool,
    version: u16,
    suite: u16,
}

fn cases(dir: &Path) -> Vec<Case> {
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let s_client = |args: &[&str], ca: Option<&str>| {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if let Some(ca) = ca {
            v.extend([
                "-cert".into(),
                path(&format!("{ca}-client.pem")),
                "-key".into(),
                path(&format!("{ca}-client.key")),
            ]);
        }
        Client::Openssl(v)
    };
    let aes128 = ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"];
    let aes256 = ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"];
    let chacha = ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"];
    let gcm128 = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"];
    let gcm256 = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"];
    let chacha12 = ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"];
    // CBC with HMAC: OpenSSL negotiates encrypt-then-MAC (RFC 7366) unless told not to.
    let cbc_sha = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"];
    let cbc_sha384 = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384", "-no_etm"];
    let cbc_sha256 = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"];
    vec![
        Case {
            name: "TLS 1.3 AES-128-GCM mTLS",
            client: s_client(&aes128, Some("good")),
            accepted: true,
            version: 0x0304,
            suite: 0x1301,
        },
        Case {
            name: "TLS 1.3 AES-256-GCM no client certificate",
            client: s_client(&aes256, None),
            accepted: false,
            version: 0x0304,
            suite: 0x1302,
        },
        Case {
            name: "TLS 1.3 ChaCha20 certificate from another CA",
            client: s_client(&chacha, Some("other")),
            accepted: false,
            version: 0x0304,
            suite: 0x1303,
        },
        Case {
            name: "TLS 1.2 AES-128-GCM mTLS",
            client: s_client(&gcm128, Some("good")),
            accepted: true,
            version: 0x0303,
            suite: 0xc02b,
        },
        Case {
            name: "TLS 1.2 AES-256-GCM no client certificate",
            client: s_client(&gcm256, None),
            accepted: false,
            version: 0x0303,
            suite: 0xc02c,
        },
        Case {
            name: "TLS 1.2 ChaCha20 certificate from another CA",
            client: s_client(&chacha12, Some("other")),
            accepted: false,
            version: 0x0303,
            suite: 0xcca9,
        },
        Case {
            name: "TLS 1.2 AES-128-CBC-SHA encrypt-then-MAC mTLS",
            client: s_client(&cbc_sha, Some("good")),
            accepted: true,
            version: 0x0303,
            suite: 0xc009,
        },
        Case {
            name: "TLS 1.2 AES-256-CBC-SHA384 MAC-then-encrypt mTLS",
            client: s_client(&cbc_sha384, Some("good")),
            accepted: true,
            version: 0x0303,
            suite: 0xc024,
        },
        Case {
            name: "TLS 1.2 AES-128-CBC-SHA256 certificate from another CA",
            client: s_client(&cbc_sha256, Some("other")),
            accepted: false,
            version: 0x0303,
            suite: 0xc023,
        },
        Case {
            name: "curl TLS 1.3 mTLS",
            client: Client::Curl(vec!["--tlsv1.3".into()]),
            accepted: true,
            version: 0x0304,
            suite: 0,
        },
        Case {
            name: "Python TLS 1.2 mTLS",
            client: Client::Python("TLSv1_2"),
            accepted: true,
            version: 0x0303,
            suite: 0,
        },
        Case {
            name: "TLS 1.3 KeyUpdate",
            client: Client::KeyUpdate,
            accepted: true,
            version: 0x0304,
            suite: 0,
        },
    ]
}

/// Runs a case; whether the server answered with its page.
fn run(dir: &Path, port: u16, case: &Case, keys: &Path) -> bool {
    let (cert, key) = (dir.join("good-client.pem"), dir.join("good-client.key"));
    match &case.client {
        Client::Openssl(args) => {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            all.extend(["-keylogfile", keys.to_str().unwrap()]);
            get("127.0.0.1", port, &all).contains("HTTP/1.0 200 ok")
        }
        Client::Curl(args) => {
            let out = Command::new("curl")
                .env("SSLKEYLOGFILE", keys)
                .args(["-sSk", "--max-time", "20", "--cert"])
                .arg(&cert)
                .arg("--key")
                .arg(&key)
                .args(args)
                .arg(format!("https://127.0.0.1:{port}/curl"))
                .stdin(Stdio::null())
                .output()
                .expect("run curl");
            String::from_utf8_lossy(&out.stdout).contains("s_server")
        }
        Client::KeyUpdate => {
            let keys = keys.to_str().unwrap();
            let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
            let args = ["-tls1_3", "-keylogfile", keys, "-cert", cert, "-key", key];
            let connect = format!("127.0.0.1:{port}");
            let out = s_client_run(dir, &connect, &args, "K\n");
            out.stdout.contains("CONNECTED") && out.stderr.contains("KEYUPDATE")
        }
        Client::Python(max) => {
            let context = format!(
                "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n\
                 ctx.check_hostname = False\n\
                 ctx.verify_mode = ssl.CERT_NONE\n\
                 ctx.maximum_version = ssl.TLSVersion.{max}\n\
                 ctx.keylog_filename = {keys:?}\n\
                 ctx.load_cert_chain({cert:?}, {key:?})\n",
                keys = keys.display().to_string(),
                cert = cert.display().to_string(),
                key = key.display().to_string(),
            );
            python_get_with(dir, port, &context).contains("200 ok")
        }
    }
}

/// Every case against one `s_server -Verify 1` captured on lo: the capture, the key log the
/// clients wrote, and each case's client port.
fn capture_cases(dir: &Path) -> (PathBuf, PathBuf, Vec<(Case, u16)>) {
    let (_server, port) = good_ca_server(dir);
    let keys = dir.join("keys.log");
    let cap = Capture::start(dir, "lo", port, "decrypt.pcapng", &[]);
    let cases = cases(dir);
    let n = cases.len();
    for case in &cases {
        assert_eq!(run(dir, port, case, &keys), case.accepted, "{}", case.name);
    }
    // The KeyUpdate case's client closes and resets before the server's FIN.
    let file = cap.stop_client_reset_ok(n);
    let streams = capture::streams(&std::fs::read(&file).unwrap()).unwrap();
    let ports: Vec<u16> = streams
        .iter()
        .filter(|s| s.client_to_server.bytes.first() == Some(&0x16))
        .map(|s| s.client.port())
        .collect();
    let seen: Vec<(u16, usize)> = streams
        .iter()
        .map(|s| (s.client.port(), s.client_to_server.bytes.len()))
        .collect();
    assert_eq!(ports.len(), n, "one TLS connection per case: {seen:?}");
    (file, keys, cases.into_iter().zip(ports).collect())
}

fn by_port(d: &Decoded, port: u16) -> &Connection {
    d.capture
        .connections
        .iter()
        .find(|c| c.client == format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("no connection from port {port}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The capture item's findings about the connection from `port`, as (code, message), from
/// `inspect_with` (what `mtlskit inspect --keylog` and the page run).
fn findings(bytes: &[u8], log: &KeyLog, port: u16) -> Vec<(String, String)> {
    let mut options = Options::default();
    options.key_log = Some(log);
    let input = Input {
        source: "decrypt.pcapng",
        bytes,
    };
    let report = inspect_with(&[input], None, options);
    let item = &report.items[0];
    assert!(matches!(item.body, ItemBody::Capture(_)));
    let prefix = format!("127.0.0.1:{port} -> ");
    item.findings
        .iter()
        .filter(|f| f.message.starts_with(&prefix))
        .map(|f| (f.code.to_string(), f.message.clone()))
        .collect()
}

fn has(findings: &[(String, String)], code: &str, words: &[&str]) -> bool {
    findings
        .iter()
        .any(|(c, m)| c == code && words.iter().all(|w| m.contains(w)))
}

#[test]
fn decrypted_handshakes_match_tshark_and_explain_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (file, keys, cases) = capture_cases(dir);
    let bytes = std::fs::read(&file).unwrap();
    let log = KeyLog::parse(&std::fs::read(&keys).unwrap());
    assert!(log.problems.is_empty(), "{:?}", log.problems);
    let d = capture::decode_keyed(&bytes, None, true, Some(&log)).unwrap();
    let server_port: u16 = by_port(&d, cases[0].1)
        .server
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let k = d.capture.key_log.as_ref().expect("key log summary");
    assert!(!k.from_capture);
    assert_eq!(k.connections_decrypted, cases.len());

    for (case, port) in &cases {
        let c = by_port(&d, *port);
        let name = case.name;
        let dec = c.decryption.as_ref().expect("decryption report");
        assert_eq!(dec.unusable, None, "{name}");
        assert!(dec.records_decrypted > 0, "{name}: {dec:?}");
        assert_eq!(dec.records_failed, 0, "{name}: {dec:?}");
        assert_eq!(c.summary.version, Some(case.version), "{name}");
        if case.suite != 0 {
            assert_eq!(c.summary.cipher_suite, Some(case.suite), "{name}");
        }
        // The CBC cases read both record layouts: encrypt_then_mac (22) negotiated or not.
        let etm = c
            .server_to_client
            .server_hello
            .as_ref()
            .is_some_and(|h| h.extension_types.contains(&22));
        if name.contains("encrypt-then-MAC") {
            assert!(etm, "{name}: no encrypt_then_mac in the ServerHello");
        } else if name.contains("MAC-then-encrypt") {
            assert!(!etm, "{name}: encrypt_then_mac was negotiated");
        }
        let wanted = if case.version == 0x0304 {
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
        } else {
            "CLIENT_RANDOM"
        };
        assert!(dec.secrets.iter().any(|s| s == wanted), "{name}: {dec:?}");
        for (tls, from, to) in [
            (&c.client_to_server, *port, server_port),
            (&c.server_to_client, server_port, *port),
        ] {
            let theirs = decrypted_fields(
                &file,
                &keys,
                from,
                to,
                &[
                    "tls.handshake.type",
                    "tls.handshake.certificate",
                    "tls.alert_message.desc",
                    "http.request.method",
                    "http.request.uri",
                    "http.request.version",
                ],
            );
            let types: Vec<String> = tls
                .messages
                .iter()
                .map(|m| m.type_code.to_string())
                .collect();
            assert_eq!(types, theirs[0], "{name}: handshake types {from} -> {to}");
            let certs: Vec<String> = tls.certificates.iter().map(|c| c.sha256.clone()).collect();
            let their_certs: Vec<String> = theirs[1]
                .iter()
                .map(|h| sha256_hex(&unhex(&h.replace(':', ""))))
                .collect();
            assert_eq!(certs, their_certs, "{name}: certificates {from} -> {to}");
            let alerts: Vec<String> = tls.alerts.iter().map(|a| a.code.to_string()).collect();
            assert_eq!(alerts, theirs[2], "{name}: alerts {from} -> {to}");
            let line = tls
                .decryption
                .as_ref()
                .and_then(|d| d.application_data.as_ref())
                .and_then(|a| a.http_line.clone());
            if let (Some(m), Some(u), Some(v)) =
                (theirs[3].first(), theirs[4].first(), theirs[5].first())
            {
                assert_eq!(line, Some(format!("{m} {u} {v}")), "{name}: request line");
            } else if from == *port && case.accepted && !matches!(case.client, Client::KeyUpdate) {
                panic!("{name}: tshark read no HTTP request");
            }
        }
        if matches!(case.client, Client::KeyUpdate) {
            assert!(c.client_to_server.has_message(24), "{name}: no KeyUpdate");
        }
        // The summary reads the decrypted messages: never "encrypted".
        assert!(c.summary.client_certificate_requested, "{name}");
        let sent = if case.name.contains("no client certificate") {
            ClientCertificate::Empty
        } else {
            ClientCertificate::Sent
        };
        assert_eq!(c.summary.client_certificate, Some(sent), "{name}");
    }

    // The diagnosis names the exact alert and certificate, TLS 1.3 as TLS 1.2; no size guess.
    for (case, port) in &cases {
        let f = findings(&bytes, &log, *port);
        let name = case.name;
        assert!(
            !f.iter()
                .any(|(_, m)| m.contains("sizes") || m.contains("how a rejected")),
            "{name}: a guess from sizes: {f:?}"
        );
        if case.accepted {
            assert!(
                !f.iter().any(|(c, _)| c.starts_with("client_certificate_")),
                "{name}: {f:?}"
            );
        } else if name.contains("no client certificate") {
            let alert = if case.version == 0x0304 {
                "certificate_required (116)"
            } else {
                "handshake_failure (40)"
            };
            assert!(
                has(
                    &f,
                    "client_certificate_missing",
                    &["CN=good CA", "empty Certificate", alert]
                ),
                "{name}: {f:?}"
            );
        } else {
            assert!(
                has(
                    &f,
                    "client_certificate_rejected",
                    &["(CN=client)", "unknown_ca (48)", "issued by CN=other CA"]
                ),
                "{name}: {f:?}"
            );
        }
        assert!(
            has(&f, "decrypted", &["records decrypted with the key log"]),
            "{name}: {f:?}"
        );
    }
}

#[test]
fn a_wrong_key_log_decrypts_nothing_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (file, keys, cases) = capture_cases(dir);
    let bytes = std::fs::read(&file).unwrap();
    let text = std::fs::read_to_string(&keys).unwrap();
    // The same client randoms with other secrets: every record fails its tag.
    let wrong: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut w = l.split(' ');
            let (label, random, secret) = (w.next().unwrap(), w.next().unwrap(), w.next().unwrap());
            format!("{label} {random} {}\n", "5a".repeat(secret.len() / 2))
        })
        .collect();
    let d =
        capture::decode_keyed(&bytes, None, false, Some(&KeyLog::parse(wrong.as_bytes()))).unwrap();
    for (case, port) in &cases {
        let c = by_port(&d, *port);
        let dec = c.decryption.as_ref().unwrap();
        assert_eq!(dec.records_decrypted, 0, "{}", case.name);
        assert!(dec.records_failed > 0, "{}", case.name);
        assert!(
            c.findings.iter().any(|f| f.code == "decryption_failed"),
            "{}: {:?}",
            case.name,
            c.findings
        );
        // Nothing decrypted, nothing read: TLS 1.3 stays encrypted.
        if case.version == 0x0304 {
            assert_eq!(
                c.summary.client_certificate,
                Some(ClientCertificate::Encrypted)
            );
        }
    }
    // Another capture's key log: no client random matches.
    let other = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut w = l.split(' ');
            let (label, _, secret) = (w.next().unwrap(), w.next().unwrap(), w.next().unwrap());
            format!("{label} {} {secret}\n", "ab".repeat(32))
        })
        .collect::<String>();
    let d =
        capture::decode_keyed(&bytes, None, false, Some(&KeyLog::parse(other.as_bytes()))).unwrap();
    assert_eq!(d.capture.key_log.as_ref().unwrap().connections_matched, 0);
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == "secrets_missing" && f.message.contains("no secret for any")),
        "{:?}",
        d.findings
    );
}

#[test]
fn secrets_injected_by_editcap_decrypt_and_the_cli_never_prints_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (file, keys, cases) = capture_cases(dir);
    let with_secrets = dir.join("with-secrets.pcapng");
    let inject = format!("tls,{}", keys.display());
    editcap(&file, &with_secrets, &["--inject-secrets", &inject]);
    let d =
        capture::decode_keyed(&std::fs::read(&with_secrets).unwrap(), None, false, None).unwrap();
    assert!(d.capture.key_log.as_ref().unwrap().from_capture);
    for (case, port) in &cases {
        let dec = by_port(&d, *port).decryption.as_ref().unwrap();
        assert!(
            dec.records_decrypted > 0 && dec.records_failed == 0,
            "{}: {dec:?}",
            case.name
        );
    }

    // The CLI: --keylog decrypts; neither the text nor the JSON holds a secret.
    let secrets: Vec<String> = std::fs::read_to_string(&keys)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').nth(2).map(str::to_string))
        .collect();
    assert!(secrets.iter().all(|s| s.len() >= 64), "{secrets:?}");
    let keylog = keys.to_str().unwrap();
    let capture = file.to_str().unwrap();
    let text = mtlskit(dir, &["inspect", "--keylog", keylog, capture], None);
    let json = mtlskit(
        dir,
        &["inspect", "--json", "--keylog", keylog, capture],
        None,
    );
    let dsb = mtlskit(dir, &["inspect", with_secrets.to_str().unwrap()], None);
    for (what, run) in [("text", &text), ("json", &json), ("dsb", &dsb)] {
        let Run { stdout, stderr, .. } = run;
        assert!(stdout.contains("decrypted"), "{what}: {stdout}");
        for s in &secrets {
            let (upper, lower) = (s.to_uppercase(), s.to_lowercase());
            for out in [stdout, stderr] {
                assert!(
                    !out.contains(&upper) && !out.contains(&lower),
                    "{what} printed a secret"
                );
            }
        }
    }
    assert!(text.stdout.contains("Key log"), "{}", text.stdout);
    assert!(text.stdout.contains("Application data"), "{}", text.stdout);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let conn = &report["items"][0]["connections"][0];
    assert!(conn["decryption"]["secrets"].is_array(), "{conn}");
    assert!(report["items"][0]["key_log"]["secrets"].as_u64().unwrap() > 0);
    // A file that is not a key log is a usage error naming it.
    let bad = mtlskit(dir, &["inspect", "--keylog", capture, capture], None);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("not an NSS key log"), "{}", bad.stderr);
}

#[test]
fn probe_keylog_and_saved_handshake_open_decrypted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_server, port) = good_ca_server(dir);
    // rustls sends only X.509 v3 certificates: one with extensions from the good CA.
    std::fs::write(dir.join("v3.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    leaf(
        dir,
        "probe-client",
        "/CN=probe client",
        "good",
        "2",
        Some(("v3.ext", None)),
        None,
    );
    let url = format!("https://localhost:{port}/probe");
    let run = mtlskit(
        dir,
        &[
            "probe",
            "-k",
            "--cert",
            "probe-client.pem",
            "--key",
            "probe-client.key",
            "--keylog",
            "keys.log",
            "--save-handshake",
            "hs.pcapng",
            &url,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let keys = dir.join("keys.log");
    let text = std::fs::read_to_string(&keys).unwrap();
    assert!(text.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a key log is a secret");
    for line in text.lines() {
        let secret = line.split(' ').nth(2).unwrap();
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }

    // The saved handshake carries its secrets: it opens decrypted without --keylog.
    let bytes = std::fs::read(dir.join("hs.pcapng")).unwrap();
    let d = capture::decode_keyed(&bytes, None, false, None).unwrap();
    assert!(d.capture.key_log.as_ref().unwrap().from_capture);
    let c = &d.capture.connections[0];
    let dec = c.decryption.as_ref().unwrap();
    assert!(
        dec.records_decrypted > 0 && dec.records_failed == 0,
        "{dec:?}"
    );
    assert_eq!(c.summary.version, Some(0x0304));
    assert_eq!(c.summary.client_certificate, Some(ClientCertificate::Sent));
    let line = c
        .client_to_server
        .decryption
        .as_ref()
        .unwrap()
        .application_data
        .as_ref();
    assert_eq!(
        line.and_then(|a| a.http_line.as_deref()),
        Some("GET /probe HTTP/1.1")
    );
    // tshark reads the same file (its secrets block) alike.
    let ports = |s: &str| -> u16 { s.rsplit(':').next().unwrap().parse().unwrap() };
    let (client, server) = (ports(&c.client), ports(&c.server));
    for (tls, from, to) in [
        (&c.client_to_server, client, server),
        (&c.server_to_client, server, client),
    ] {
        let theirs = decrypted_fields(
            &dir.join("hs.pcapng"),
            &keys,
            from,
            to,
            &["tls.handshake.type"],
        );
        let ours: Vec<String> = tls
            .messages
            .iter()
            .map(|m| m.type_code.to_string())
            .collect();
        assert_eq!(ours, theirs[0], "handshake types {from} -> {to}");
    }
}

/// `openssl s_client -tls1_3` to `port` writing `keys`, with `args`; its standard input stays
/// open until the session it resumes from is saved to `session` (the server's NewSessionTicket
/// came), then closes. What it printed.
fn s_client_until_ticket(
    dir: &Path,
    port: u16,
    keys: &Path,
    session: &Path,
    args: &[&str],
) -> String {
    use std::time::Duration;
    let mut child = Command::new("timeout")
        .current_dir(dir)
        .args(["20", "openssl", "s_client", "-tls1_3", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-keylogfile")
        .arg(keys)
        .arg("-sess_out")
        .arg(session)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_client");
    let saved = mtlskit_tests::process::poll(Duration::from_secs(15), || {
        std::fs::metadata(session).is_ok_and(|m| m.len() > 0)
    });
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait for s_client");
    assert!(saved, "no session ticket came");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn early_data_decrypts_with_the_client_early_traffic_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // s_server takes 0-RTT data only without -www: it prints what it reads and answers nothing.
    mtlskit_tests::pki::ca(dir, "server", "/CN=localhost", "2", &[]);
    let port = mtlskit_tests::process::free_port();
    let accept = format!("127.0.0.1:{port}");
    let args = [
        "-cert",
        "server.pem",
        "-key",
        "server.key",
        "-tls1_3",
        "-early_data",
    ];
    let _server = mtlskit_tests::peer::openssl_server(dir, &accept, port, &args);
    let keys = dir.join("keys.log");
    let cap = Capture::start(dir, "lo", port, "early.pcapng", &[]);
    let (first, second) = (dir.join("first.sess"), dir.join("second.sess"));
    s_client_until_ticket(dir, port, &keys, &first, &[]);
    std::fs::write(dir.join("early.txt"), "GET /early HTTP/1.0\r\n\r\n").unwrap();
    let resumed = s_client_until_ticket(
        dir,
        port,
        &keys,
        &second,
        &[
            "-sess_in",
            first.to_str().unwrap(),
            "-early_data",
            "early.txt",
        ],
    );
    assert!(resumed.contains("Early data was accepted"), "{resumed}");
    let file = cap.stop_client_reset_ok(2);
    let log = KeyLog::parse(&std::fs::read(&keys).unwrap());
    let d = capture::decode_keyed(&std::fs::read(&file).unwrap(), None, false, Some(&log)).unwrap();
    let c = d
        .capture
        .connections
        .iter()
        .find(|c| {
            c.client_to_server
                .client_hello
                .as_ref()
                .is_some_and(|h| h.extension_types.contains(&42))
        })
        .expect("the connection that offered early data");
    let dec = c.decryption.as_ref().unwrap();
    assert!(
        dec.secrets
            .iter()
            .any(|s| s == "CLIENT_EARLY_TRAFFIC_SECRET"),
        "{dec:?}"
    );
    assert_eq!(dec.records_failed, 0, "{dec:?}");
    assert_eq!(dec.records_without_secret, 0, "{dec:?}");
    // The early request, the EndOfEarlyData, then the handshake as usual: as tshark reads them.
    let port_of = |s: &str| -> u16 { s.rsplit(':').next().unwrap().parse().unwrap() };
    let (client, server) = (port_of(&c.client), port_of(&c.server));
    let theirs = decrypted_fields(
        &file,
        &keys,
        client,
        server,
        &["tls.handshake.type", "http.request.uri"],
    );
    let ours: Vec<String> = c
        .client_to_server
        .messages
        .iter()
        .map(|m| m.type_code.to_string())
        .collect();
    assert_eq!(ours, theirs[0], "client handshake types");
    assert!(
        ours.contains(&"5".to_string()),
        "no EndOfEarlyData: {ours:?}"
    );
    assert_eq!(theirs[1], ["/early"]);
    let line = c.client_to_server.decryption.as_ref().unwrap();
    assert_eq!(
        line.application_data
            .as_ref()
            .and_then(|a| a.http_line.as_deref()),
        Some("GET /early HTTP/1.0")
    );
}
