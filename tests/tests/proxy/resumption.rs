//! Resumption (docs/config.md, "Resumption policy") with `openssl s_client -sess_out/-sess_in`:
//! by session ID (TLS 1.2, tickets off) and by ticket (TLS 1.2 and 1.3), with the verified
//! identity kept and `resumed: true` in the access log; and none after the client CA bundle
//! changed: the proxy restarted on another bundle (that still holds the client's CA) refuses
//! the old process's session IDs and tickets and verifies the client in a full handshake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_tests::peer::{resumed, s_client_session, save_sessions, SESSIONS};
use mtlskit_tests::pki::make_ca;
use mtlskit_tests::proxy::{config, echo_upstream, Proxy};
use mtlskit_tests::{make_pki, Run};

/// One HTTP/1.0 request to `path` with the client certificate, saving (`out`) or offering
/// (`in`) the session in `file`.
fn request(dir: &Path, port: u16, version: &str, path: &str, sess: (&str, &str)) -> Run {
    let run = s_client_session(dir, port, "client", &[version], path, sess);
    assert!(run.stdout.contains(" 200 OK"), "{path}: {}", run.stdout);
    run
}

fn reused(run: &Run) -> bool {
    resumed(run)
}

/// Writes the config for `port` with `server_extra` and client CA bundle `ca`, and starts
/// the proxy.
fn start(dir: &Path, port: u16, upstream: u16, server_extra: &str, ca: &str) -> Proxy {
    let text = config(
        port,
        &format!("http://127.0.0.1:{upstream}"),
        server_extra,
        "",
    )
    .replace("client_ca = \"ca.pem\"", &format!("client_ca = \"{ca}\""));
    std::fs::write(dir.join("proxy.toml"), text).unwrap();
    Proxy::start(dir, port)
}

#[test]
fn resumed_by_session_id_and_by_ticket_and_not_after_a_ca_change() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_ca(dir, "otherca", "Other CA");
    let up = echo_upstream(dir, None);
    let port = mtlskit_tests::process::free_port();
    // (name, TLS version flag, server settings)
    let cases = [
        ("id12", "-tls1_2", "session_tickets = false"),
        ("ticket12", "-tls1_2", "session_cache = 0"),
        ("ticket13", "-tls1_3", "session_cache = 0"),
    ];

    for (name, version, extra) in cases {
        let proxy = start(dir, port, up.port, extra, "ca.pem");
        let file = format!("{name}.sess");
        let first = request(
            dir,
            port,
            version,
            &format!("/{name}/full"),
            ("-sess_out", &file),
        );
        assert!(!reused(&first), "{}", first.stdout);
        let second = request(
            dir,
            port,
            version,
            &format!("/{name}/again"),
            ("-sess_in", &file),
        );
        assert!(reused(&second), "{name}: {}", second.stdout);
        if name == "id12" {
            // A session ID, no ticket.
            assert!(
                !second.stdout.contains("TLS session ticket:"),
                "{}",
                second.stdout
            );
        }
        let full = proxy.wait_log("access.log", "path", &format!("/{name}/full"));
        let again = proxy.wait_log("access.log", "path", &format!("/{name}/again"));
        assert_eq!(full["resumed"], false);
        assert_eq!(again["resumed"], true, "{again}");
        // The identity verified in the full handshake goes on with the session.
        assert_eq!(again["subject"], "CN=client");
        assert_eq!(again["verify"], "SUCCESS");
        drop(proxy);
    }

    // The client CA bundle changes: a new file, still holding the client's CA. The proxy is
    // restarted on the same port (a CA change is a restart: ticket keys and the session cache
    // live in process memory). Sessions from before are refused; the client is verified again.
    let bundle = std::fs::read_to_string(dir.join("otherca.pem")).unwrap()
        + &std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    std::fs::write(dir.join("bundle-b.pem"), bundle).unwrap();
    for (name, version, extra) in cases {
        let proxy = start(dir, port, up.port, extra, "bundle-b.pem");
        let file = format!("{name}.sess");
        let run = request(
            dir,
            port,
            version,
            &format!("/{name}/after"),
            ("-sess_in", &file),
        );
        assert!(
            !reused(&run),
            "{name} resumed across a CA change: {}",
            run.stdout
        );
        let line = proxy.wait_log("access.log", "path", &format!("/{name}/after"));
        assert_eq!(line["resumed"], false);
        assert_eq!(line["subject"], "CN=client");
        drop(proxy);
    }
}

#[test]
fn tickets_expire_with_their_key_rotation() {
    // ticket_key_rotation = 1s: a ticket is accepted while its key is current or previous
    // (at most 2 s), then the client gets a full handshake. Waiting here is the behaviour
    // under test (time passing), not synchronisation.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let port = mtlskit_tests::process::free_port();
    let _proxy = start(
        dir,
        port,
        up.port,
        "session_cache = 0\nticket_key_rotation = \"1s\"",
        "ca.pem",
    );
    let first = request(dir, port, "-tls1_2", "/a", ("-sess_out", "t.sess"));
    assert!(!reused(&first));
    let soon = request(dir, port, "-tls1_2", "/b", ("-sess_in", "t.sess"));
    assert!(reused(&soon), "a fresh ticket resumes: {}", soon.stdout);
    std::thread::sleep(std::time::Duration::from_millis(3_500));
    let late = request(dir, port, "-tls1_2", "/c", ("-sess_in", "t.sess"));
    assert!(
        !reused(&late),
        "a ticket two rotations old does not: {}",
        late.stdout
    );
}

#[test]
fn a_reload_with_another_ca_bundle_refuses_earlier_sessions_and_the_old_ca() {
    // The same swap without a restart: `mtlskit reload` with bundle.pem rewritten. Sessions
    // from before the swap get a full handshake; once the old CA is gone, its client is
    // refused and the new CA's client is accepted.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    make_ca(dir, "newca", "New CA");
    mtlskit_tests::pki::issue(
        dir,
        "newca",
        "newca-client",
        "new client",
        "client",
        &mtlskit_tests::pki::date(-1),
        &mtlskit_tests::pki::date(2),
    );
    std::fs::copy(dir.join("ca.pem"), dir.join("bundle.pem")).unwrap();
    let up = echo_upstream(dir, None);
    let port = mtlskit_tests::process::free_port();
    let proxy = start(dir, port, up.port, "", "bundle.pem");
    save_sessions(dir, port, "client");
    let new_client =
        |path: &str| mtlskit_tests::peer::status(dir, Some("newca-client"), &[], &proxy.url(path));
    assert_eq!(new_client("/before"), "000");

    // Both CAs: the old client still gets in, but by a full handshake.
    let both = std::fs::read_to_string(dir.join("newca.pem")).unwrap()
        + &std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    std::fs::write(dir.join("bundle.pem"), both).unwrap();
    let run = mtlskit_tests::proxy::reload(dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    proxy.wait_generation(2);
    for (name, flags) in SESSIONS {
        let file = format!("{name}.sess");
        let path = format!("/{name}/after-swap");
        let run = request(dir, port, flags[0], &path, ("-sess_in", &file));
        assert!(
            !reused(&run),
            "{name} resumed across a reload with another bundle: {}",
            run.stdout
        );
        let line = proxy.wait_log("access.log", "path", &path);
        assert_eq!(line["resumed"], false);
        assert_eq!(line["subject"], "CN=client");
    }
    assert_eq!(new_client("/both"), "200");

    // Only the new CA: the old one's client is refused, the new one's accepted.
    std::fs::copy(dir.join("newca.pem"), dir.join("bundle.pem")).unwrap();
    let run = mtlskit_tests::proxy::reload(dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    proxy.wait_generation(3);
    let old = s_client_session(
        dir,
        port,
        "client",
        &["-tls1_3"],
        "/old",
        ("-sess_in", "ticket13.sess"),
    );
    assert!(!old.stdout.contains(" 200 OK"), "{}", old.stdout);
    proxy.wait_log("error.log", "code", "untrusted_issuer");
    assert_eq!(new_client("/new"), "200");
}
