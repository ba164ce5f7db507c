//! Many instances behind one name (docs/config.md, "Shared ticket keys"): two `mtlskit serve`
//! processes reading the same `ticket_key_file` (nginx's 80- and 48-byte formats) resume each
//! other's TLS 1.2 and TLS 1.3 tickets (`openssl s_client -sess_out` on A, `-sess_in` on B);
//! the session binding still refuses them on an instance whose client CA bundle differs;
//! rotation is replacing the files and reloading; `check` wants the files secret and of
//! nginx's sizes, and no key byte reaches a log; `import-nginx` maps `ssl_session_ticket_key`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mtlskit_tests::peer::{resumed, s_client_session};
use mtlskit_tests::pki::make_ca;
use mtlskit_tests::proxy::{config, echo_upstream, reload, Proxy};
use mtlskit_tests::{make_pki, mtlskit, Run};

/// `openssl rand N` into `path`, mode 0600, as an operator makes a ticket key.
fn make_key(path: &Path, bytes: usize) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(["rand", "-out"])
        .arg(path)
        .arg(bytes.to_string())
        .output()
        .expect("openssl rand");
    assert!(out.status.success(), "{out:?}");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::read(path).unwrap()
}

/// One instance in `dir` (its own folder, with the same certificates as the others), with
/// `extra` in `[server]` and its pid file for `mtlskit reload`.
fn instance(dir: &Path, pki: &Path, upstream: u16, extra: &str) -> Proxy {
    std::fs::create_dir_all(dir).unwrap();
    for f in [
        "ca.pem",
        "server.pem",
        "server.key",
        "client.pem",
        "client.key",
    ] {
        std::fs::copy(pki.join(f), dir.join(f)).unwrap();
    }
    let port = mtlskit_tests::process::free_port();
    let text = config(
        port,
        &format!("http://127.0.0.1:{upstream}"),
        &format!("session_cache = 0\n{extra}"),
        "",
    ) + "\n[process]\npid_file = \"proxy.pid\"\n";
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    Proxy::start(dir, port)
}

/// A request to `proxy` by the client, saving or offering the session in `file` (a path the
/// instances' folders share).
fn get(proxy: &Proxy, version: &str, path: &str, sess: (&str, &str)) -> Run {
    let run = s_client_session(
        &proxy.dir,
        proxy.daemon.port,
        "client",
        &[version],
        path,
        sess,
    );
    assert!(run.stdout.contains(" 200 OK"), "{path}: {}", run.stdout);
    run
}

/// The TLS versions and the session file each saves to.
const VERSIONS: [(&str, &str); 2] = [("-tls1_2", "ticket12.sess"), ("-tls1_3", "ticket13.sess")];

/// Saves a fresh ticket from `a` for each version (in `tag`-named files) and returns the
/// files.
fn tickets_from(a: &Proxy, tag: &str, shared: &Path) -> Vec<(&'static str, String)> {
    VERSIONS
        .iter()
        .map(|(version, file)| {
            let file = shared.join(format!("{tag}-{file}")).display().to_string();
            let run = get(a, version, &format!("/{tag}/a"), ("-sess_out", &file));
            assert!(!resumed(&run), "{}", run.stdout);
            assert!(run.stdout.contains("TLS session ticket:"), "{}", run.stdout);
            (*version, file)
        })
        .collect()
}

/// Offers each ticket to `proxy`; whether each resumed, checked against its access log.
fn resumes_on(proxy: &Proxy, tickets: &[(&str, String)], path: &str) -> Vec<bool> {
    tickets
        .iter()
        .map(|(version, file)| {
            let p = format!("{path}{version}");
            let run = get(proxy, version, &p, ("-sess_in", file));
            let line = proxy.wait_log("access.log", "path", &p);
            assert_eq!(line["resumed"], resumed(&run), "{line}");
            // Resumed or verified again, the identity is the client's.
            assert_eq!(line["subject"], "CN=client", "{line}");
            resumed(&run)
        })
        .collect()
}

#[test]
fn two_instances_resume_each_others_tickets_until_their_ca_bundles_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path();
    let pki = shared.join("pki");
    std::fs::create_dir(&pki).unwrap();
    make_pki(&pki);
    make_ca(&pki, "otherca", "Other CA");
    let up = echo_upstream(shared, None);
    let current = shared.join("ticket.key");
    let previous = shared.join("previous.key");
    let key80 = make_key(&current, 80);
    make_key(&previous, 48);
    let extra = format!(
        "ticket_key_file = [\"{}\", \"{}\"]",
        current.display(),
        previous.display()
    );
    let a = instance(&shared.join("a"), &pki, up.port, &extra);
    let b = instance(&shared.join("b"), &pki, up.port, &extra);

    // A's tickets, TLS 1.2 and 1.3, resume on B (and on A).
    let first = tickets_from(&a, "first", shared);
    assert_eq!(resumes_on(&b, &first, "/first/b"), [true, true]);
    assert_eq!(resumes_on(&a, &first, "/first/a-again"), [true, true]);

    // Rotation: the current key becomes the previous one, a new 48-byte key (nginx's older
    // format) encrypts; both instances reload. Tickets of the old key still resume, new
    // tickets are made under the new key, and they resume across instances too.
    std::fs::rename(&current, &previous).unwrap();
    make_key(&current, 48);
    for p in [&a, &b] {
        let run = reload(&p.dir);
        assert_eq!(run.code, 0, "{}", run.stderr);
        p.wait_generation(2);
    }
    assert_eq!(resumes_on(&b, &first, "/rotated/b"), [true, true]);
    let second = tickets_from(&a, "second", shared);
    assert_eq!(resumes_on(&b, &second, "/second/b"), [true, true]);
    // The key dropped at the next rotation takes its tickets with it.
    make_key(&previous, 80);
    let run = reload(&b.dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    b.wait_generation(3);
    assert_eq!(resumes_on(&b, &first, "/dropped/b"), [false, false]);
    assert_eq!(resumes_on(&b, &second, "/kept/b"), [true, true]);

    // B's client CA bundle changes (another CA added, the client's still in it) and B
    // reloads: the ticket keys are the same, but the session binding refuses A's tickets
    // there; B verifies the client in a full handshake. A still resumes them.
    let bundle = std::fs::read_to_string(pki.join("otherca.pem")).unwrap()
        + &std::fs::read_to_string(pki.join("ca.pem")).unwrap();
    std::fs::write(b.dir.join("ca.pem"), bundle).unwrap();
    let run = reload(&b.dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    b.wait_generation(4);
    let third = tickets_from(&a, "third", shared);
    assert_eq!(resumes_on(&b, &third, "/other-ca/b"), [false, false]);
    assert_eq!(resumes_on(&a, &third, "/other-ca/a"), [true, true]);

    // No byte of a key reaches a log, in hex or base64.
    use base64::Engine;
    let hex: String = key80[..16].iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&key80[16..40]);
    for p in [&a, &b] {
        for log in ["error.log", "access.log"] {
            let text = std::fs::read_to_string(p.dir.join(log)).unwrap();
            assert!(!text.contains(&hex) && !text.contains(&b64), "{log}");
        }
    }
}

#[test]
fn check_wants_nginx_sized_secret_key_files_and_import_nginx_maps_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_key(&dir.join("ticket.key"), 80);
    make_key(&dir.join("previous.key"), 48);
    // The nginx block's two keys, in nginx's order (the first encrypts).
    std::fs::write(
        dir.join("site.conf"),
        "server {\n  listen 127.0.0.1:8443 ssl;\n  ssl_certificate server.pem;\n  \
         ssl_certificate_key server.key;\n  ssl_client_certificate ca.pem;\n  \
         ssl_verify_client on;\n  ssl_session_ticket_key ticket.key;\n  \
         ssl_session_ticket_key previous.key;\n  location / { proxy_pass http://127.0.0.1:8080; }\n}\n",
    )
    .unwrap();
    let run = mtlskit(dir, &["import-nginx", "site.conf"], None);
    let mapped = "ticket_key_file = [\"ticket.key\", \"previous.key\"]";
    let ignored = run.stderr.contains("ssl_session_ticket_key");
    assert!(
        run.code == 0 && run.stdout.contains(mapped) && !ignored,
        "{}{}",
        run.stdout,
        run.stderr
    );
    std::fs::write(dir.join("proxy.toml"), &run.stdout).unwrap();
    let ok = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(!ok.stderr.contains("ticket.key"), "{}", ok.stderr);

    // Readable by others: a warning naming the file; the key is not printed.
    std::fs::set_permissions(
        dir.join("ticket.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let loose = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(loose.code, 0, "{}", loose.stderr);
    assert!(
        loose
            .stderr
            .contains("ticket.key: is readable by group or others (mode 644); chmod 600 it"),
        "{}",
        loose.stderr
    );

    // Another size: an error naming the file and both sizes nginx accepts.
    std::fs::write(dir.join("previous.key"), [0u8; 64]).unwrap();
    let bad = mtlskit(dir, &["check", "--config", "proxy.toml"], None);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains(
            "previous.key: a ticket key file must be 48 or 80 bytes (nginx's ssl_session_ticket_key format, e.g. openssl rand 80), not 64"
        ),
        "{}",
        bad.stderr
    );
}
