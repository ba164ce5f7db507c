//! The Debian package (`cargo xtask dist --deb`, which sets MTLSKIT_DEB to the .deb it made):
//! `dpkg -i` installs the binary, the systemd unit, the sysusers file, the commented config (a
//! conffile), man pages and completions, and makes the user `mtlskit` and a local PKI; `mtlskit
//! check` accepts the shipped config, also as the service user; the service user, with only
//! CAP_NET_BIND_SERVICE as the unit gives it, serves on 443; `systemd-analyze verify` accepts
//! the unit; installing it again keeps an edited config and the PKI; `dpkg -r` removes every
//! file but the conffile and `dpkg -P` leaves nothing.
//!
//! It installs a package as root, so it is `#[ignore]`d: `cargo xtask dist --deb` runs it
//! (`--ignored`, MTLSKIT_DEB naming the package); `cargo xtask test`, whose budget has no room
//! for the release build, lists it as ignored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn installed() -> bool {
    String::from_utf8_lossy(&run("dpkg-query", &["-W", "-f=${Status}", "mtlskit"]).stdout)
        .contains("installed")
}

/// Files and folders that belong to the package once installed.
const SHIPPED: [&str; 8] = [
    "/usr/bin/mtlskit",
    "/usr/lib/sysusers.d/mtlskit.conf",
    "/usr/share/man/man1/mtlskit.1.gz",
    "/usr/share/man/man1/mtlskit-serve.1.gz",
    "/usr/share/bash-completion/completions/mtlskit",
    "/usr/share/zsh/vendor-completions/_mtlskit",
    "/usr/share/fish/vendor_completions.d/mtlskit.fish",
    "/usr/share/doc/mtlskit/deploy.md",
];

/// Where the unit went (cargo-deb follows Debian 12's /lib/systemd/system, or /usr/lib).
fn unit_path() -> PathBuf {
    [
        "/lib/systemd/system/mtlskit.service",
        "/usr/lib/systemd/system/mtlskit.service",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("the unit is installed")
}

/// Waits up to 10 s for something to listen on 127.0.0.1:`port`.
fn wait_listening(port: u16, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "mtlskit serve exited before listening on {port}"
        );
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "installs a package as root: cargo xtask dist --deb runs it with MTLSKIT_DEB"]
fn installs_checks_serves_and_uninstalls_cleanly() {
    let deb = std::env::var_os("MTLSKIT_DEB")
        .expect("MTLSKIT_DEB names the .deb to test (cargo xtask dist --deb sets it)");
    let deb = deb.to_string_lossy().into_owned();
    assert_eq!(ok("id", &["-u"]).trim(), "0", "dpkg -i needs root");
    if installed() {
        ok("dpkg", &["--purge", "mtlskit"]);
    }
    assert!(!Path::new("/etc/mtlskit").exists(), "/etc/mtlskit before");

    // What the package holds, and its metadata.
    let info = ok("dpkg-deb", &["--info", &deb]);
    assert!(info.contains("Package: mtlskit"), "{info}");
    assert!(info.contains("Section: net"), "{info}");
    let control = tempfile::tempdir().unwrap();
    ok(
        "dpkg-deb",
        &["--control", &deb, &control.path().display().to_string()],
    );
    let listed = std::fs::read_to_string(control.path().join("conffiles")).unwrap();
    assert!(
        listed.lines().any(|l| l == "/etc/mtlskit/proxy.toml"),
        "{listed}"
    );

    ok("dpkg", &["-i", &deb]);
    for f in SHIPPED {
        assert!(Path::new(f).exists(), "{f} after dpkg -i");
    }
    let unit = unit_path();
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    for line in [
        "ExecReload=/bin/kill -HUP $MAINPID",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "User=mtlskit",
    ] {
        assert!(unit_text.lines().any(|l| l == line), "{line} in the unit");
    }
    // The user and the local PKI postinst made; the server key is the service's, 0600.
    ok("id", &["mtlskit"]);
    let key = ok("stat", &["-c", "%U %a", "/etc/mtlskit/pki/server.key"]);
    assert_eq!(key.trim(), "mtlskit 600");
    let ca_key = ok("stat", &["-c", "%U %a", "/etc/mtlskit/pki/ca.key"]);
    assert_eq!(ca_key.trim(), "root 600");

    // The shipped config checks, as root and as the service user.
    let check = ok(
        "/usr/bin/mtlskit",
        &["check", "--config", "/etc/mtlskit/proxy.toml"],
    );
    assert!(check.contains("configuration is OK"), "{check}");
    assert!(!check.contains("warning"), "{check}");
    let as_user = ok(
        "setpriv",
        &[
            "--reuid=mtlskit",
            "--regid=mtlskit",
            "--init-groups",
            "/usr/bin/mtlskit",
            "check",
            "--config",
            "/etc/mtlskit/proxy.toml",
        ],
    );
    assert!(as_user.contains("configuration is OK"), "{as_user}");

    // An upgrade (the same package again) keeps the operator's edit of the conffile and the
    // PKI it found.
    let config = "/etc/mtlskit/proxy.toml";
    let edited = std::fs::read_to_string(config).unwrap() + "# an operator's edit\n";
    std::fs::write(config, &edited).unwrap();
    let key_before = std::fs::read("/etc/mtlskit/pki/server.key").unwrap();
    ok("dpkg", &["-i", &deb]);
    assert_eq!(std::fs::read_to_string(config).unwrap(), edited);
    assert!(std::fs::read("/etc/mtlskit/pki/server.key").unwrap() == key_before);

    // The man page and the completions are of this command line.
    let page = ok("sh", &["-c", "zcat /usr/share/man/man1/mtlskit-serve.1.gz"]);
    assert!(page.contains("config"), "{page}");
    let bash = std::fs::read_to_string("/usr/share/bash-completion/completions/mtlskit").unwrap();
    assert!(bash.contains("import-nginx"), "bash completion");

    // As the unit runs it: the service user, no capability but CAP_NET_BIND_SERVICE, no new
    // privileges; it binds 443 and its admin listener answers /readyz.
    if std::net::TcpListener::bind(("0.0.0.0", 443)).is_ok() {
        let logs = tempfile::tempdir().unwrap();
        let serve = Command::new("setpriv")
            .args([
                "--reuid=mtlskit",
                "--regid=mtlskit",
                "--init-groups",
                "--inh-caps=-all,+net_bind_service",
                "--ambient-caps=-all,+net_bind_service",
                "--bounding-set=-all,+net_bind_service",
                "--no-new-privs",
                "/usr/bin/mtlskit",
                "serve",
                "--config",
                "/etc/mtlskit/proxy.toml",
            ])
            .stdout(std::fs::File::create(logs.path().join("access.log")).unwrap())
            .stderr(std::fs::File::create(logs.path().join("error.log")).unwrap())
            .spawn()
            .expect("setpriv mtlskit serve");
        // Stopped (SIGTERM) when dropped, also when an assertion fails.
        let mut serve = mtlskit_tests::process::Daemon::new(serve, 443);
        wait_listening(443, &mut serve.child);
        wait_listening(9443, &mut serve.child);
        let code = |extra: &[&str]| {
            let mut args = vec!["-s", "-o", "/dev/null", "-w", "%{http_code}"];
            args.extend_from_slice(extra);
            ok("curl", &args)
        };
        let ready = code(&["http://127.0.0.1:9443/readyz"]);
        // The client certificate of the local PKI is verified and the request goes on to the
        // upstream (none listens on 8080 here, usually: 502; whatever answers, the access
        // line says who was verified).
        let through = code(&[
            "--cacert",
            "/etc/mtlskit/pki/ca.pem",
            "--cert",
            "/etc/mtlskit/pki/client.pem",
            "--key",
            "/etc/mtlskit/pki/client.key",
            "https://localhost/",
        ]);
        let status = serve.stop().expect("it exits on SIGTERM");
        assert_eq!(ready, "200");
        assert_ne!(through, "000", "no HTTP answer");
        let access = std::fs::read_to_string(logs.path().join("access.log")).unwrap();
        assert!(
            access.contains("\"verify\":\"SUCCESS\""),
            "{access}{}",
            std::fs::read_to_string(logs.path().join("error.log")).unwrap()
        );
        assert!(status.success(), "{status}");
    } else {
        eprintln!("port 443 is taken on this machine: the service-user run is left out");
    }

    if Path::new("/usr/bin/systemd-analyze").exists() {
        let unit_arg = unit.display().to_string();
        let verify = run("systemd-analyze", &["verify", &unit_arg]);
        let said = String::from_utf8_lossy(&verify.stderr).into_owned();
        assert!(verify.status.success(), "systemd-analyze verify: {said}");
        assert!(!said.contains("mtlskit.service"), "{said}");
    } else {
        eprintln!("no systemd-analyze here: the unit is not verified");
    }

    // Removed: everything but the conffile; purged: nothing.
    ok("dpkg", &["-r", "mtlskit"]);
    for f in SHIPPED.iter().copied().chain([unit.to_str().unwrap()]) {
        assert!(!Path::new(f).exists(), "{f} after dpkg -r");
    }
    assert!(Path::new("/etc/mtlskit/proxy.toml").exists());
    ok("dpkg", &["--purge", "mtlskit"]);
    assert!(
        !Path::new("/etc/mtlskit").exists(),
        "/etc/mtlskit after purge"
    );
    assert!(!installed());
    let left = run("dpkg", &["-L", "mtlskit"]);
    assert!(!left.status.success(), "dpkg still lists files");
}
