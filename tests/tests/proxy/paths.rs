//! Issue 11, hole 4: routing on the normalised path. Two locations, `/` to the echo upstream
//! as is and `/api/` to the same upstream under `/public/` (nginx's `proxy_pass` with a URI:
//! the matched prefix is replaced); curl `--path-as-is` sends dot segments, `%2e`, doubled
//! slashes and encoded slashes unchanged, and the echo upstream shows what arrived.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::{echo_upstream, start_proxy};

#[test]
fn the_upstream_receives_the_path_the_proxy_matched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let api = format!(
        "\n[[location]]\npath = \"/api/\"\nupstream = \"http://127.0.0.1:{}/public/\"\n",
        up.port
    );
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", &api);
    for flag in ["--http1.1", "--http2"] {
        let get = |path: &str| {
            let run = curl_as(
                dir,
                Some("client"),
                &[flag, "--path-as-is", "-w", "\n%{http_code}"],
                &proxy.url(path),
            );
            assert_eq!(run.code, 0, "{path}: {}", run.stderr);
            let (body, code) = run.stdout.rsplit_once('\n').unwrap();
            let seen = serde_json::from_str::<serde_json::Value>(body)
                .map(|v| v["path"].as_str().unwrap().to_string())
                .unwrap_or_default();
            (code.to_string(), seen)
        };
        for (sent, status, received) in [
            ("/api/x?q=1", "200", "/public/x?q=1"),
            // The request: it matched /api/ and reached /public/api/../admin.
            ("/api/../admin", "200", "/admin"),
            ("/api/%2e%2E/admin", "200", "/admin"),
            ("//api//./x/", "200", "/public/x/"),
            ("/api/%7Euser", "200", "/public/~user"),
            ("/api/a%2fb", "400", ""),
            ("/../etc/passwd", "400", ""),
            ("/api/../../etc", "400", ""),
        ] {
            assert_eq!(get(sent), (status.into(), received.into()), "{flag} {sent}");
        }
    }
}

/// A prefix replaced by a URI can leave a target that begins `//` (nginx does the same:
/// `location /raw` to `proxy_pass http://up/` sends `/raw/x` as `//x`). It goes upstream as a
/// path, never read as `//authority/path`: the upstream receives all of it, on its own Host.
#[test]
fn a_rewritten_target_that_begins_with_two_slashes_stays_a_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = echo_upstream(dir, None);
    let raw = format!(
        "\n[[location]]\npath = \"/raw\"\nupstream = \"http://127.0.0.1:{}/\"\n",
        up.port
    );
    let proxy = start_proxy(dir, &format!("http://127.0.0.1:{}", up.port), "", &raw);
    for flag in ["--http1.1", "--http2"] {
        let run = curl_as(
            dir,
            Some("client"),
            &[flag, "-w", "\n%{http_code}"],
            &proxy.url("/raw/evil.example/x?q=1"),
        );
        assert_eq!(run.code, 0, "{flag}: {}", run.stderr);
        let (body, code) = run.stdout.rsplit_once('\n').unwrap();
        assert_eq!(code, "200", "{flag}: {body}");
        let seen: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(seen["target"], "//evil.example/x?q=1", "{flag}: {seen}");
        let host = seen["headers"]["host"].as_str().unwrap_or_default();
        assert_eq!(host, format!("127.0.0.1:{}", up.port), "{flag}: {seen}");
    }
}
