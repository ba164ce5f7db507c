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
