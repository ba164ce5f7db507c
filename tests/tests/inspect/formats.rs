//! The same certificate in every encoding a user may have gives the same report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::{inspect_json, items, make_pki, mtlskit, openssl};

fn openssl_sha256(dir: &std::path::Path, pem: &str) -> String {
    let out = openssl(
        dir,
        &["x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
    );
    out.trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase()
}

#[test]
fn pem_der_base64_hex_and_dumps_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let want = openssl_sha256(dir, "server.pem");
    openssl(
        dir,
        &[
            "x509",
            "-in",
            "server.pem",
            "-outform",
            "DER",
            "-out",
            "server.der",
        ],
    );
    let der = std::fs::read(dir.join("server.der")).unwrap();
    let text = openssl(dir, &["x509", "-in", "server.pem", "-text"]);
    std::fs::write(dir.join("server.txt"), &text).unwrap();
    let b64 = openssl(dir, &["base64", "-in", "server.der"]);
    std::fs::write(dir.join("server.b64"), b64).unwrap();
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(dir.join("server.hex"), &hex).unwrap();
    let colons: Vec<String> = der.iter().map(|b| format!("{b:02X}")).collect();
    std::fs::write(dir.join("server.colons"), colons.join(":")).unwrap();
    let xxd: String = der
        .chunks(16)
        .enumerate()
        .map(|(i, row)| {
            let groups: Vec<String> = row
                .chunks(2)
                .map(|g| g.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            let ascii: String = row
                .iter()
                .map(|b| {
                    if b.is_ascii_graphic() {
                        *b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:08x}: {:<39}  {ascii}\n", i * 16, groups.join(" "))
        })
        .collect();
    std::fs::write(dir.join("server.xxd"), xxd).unwrap();

    let files = [
        "server.pem",
        "server.der",
        "server.txt",
        "server.b64",
        "server.hex",
        "server.colons",
        "server.xxd",
    ];
    let (report, run) = inspect_json(dir, &files);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let items = items(&report);
    assert_eq!(items.len(), files.len(), "{report:#}");
    for (item, file) in items.iter().zip(files) {
        assert_eq!(item["source"], file);
        assert_eq!(item["index"], 0);
        assert_eq!(item["kind"], "certificate");
        assert_eq!(item["sha256"], want.as_str(), "{file}");
        assert_eq!(item["subject"], "CN=server", "{file}");
    }
}

#[test]
fn stdin_and_bundles_number_items_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let mut bundle = std::fs::read(dir.join("server.pem")).unwrap();
    bundle.extend(b"some text between blocks\n");
    bundle.extend(std::fs::read(dir.join("client.pem")).unwrap());
    bundle.extend(std::fs::read(dir.join("ca.pem")).unwrap());
    let run = mtlskit(dir, &["inspect", "--json", "-"], Some(&bundle));
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let subjects: Vec<(&str, u64)> = items(&report)
        .iter()
        .map(|i| (i["subject"].as_str().unwrap(), i["index"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        subjects,
        [("CN=server", 0), ("CN=client", 1), ("CN=Test CA", 2)]
    );
    assert!(items(&report).iter().all(|i| i["source"] == "-"));
}

#[test]
fn pkcs7_bundle_gives_each_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    openssl(
        dir,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "server.pem",
            "-certfile",
            "ca.pem",
            "-outform",
            "DER",
            "-out",
            "chain.p7b",
        ],
    );
    let (report, run) = inspect_json(dir, &["chain.p7b"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let subjects: Vec<&str> = items(&report)
        .iter()
        .map(|i| i["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["CN=server", "CN=Test CA"]);
}

#[test]
fn text_view_puts_findings_first_and_says_when_it_expires() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let run = mtlskit(
        dir,
        &["inspect", "--at", "2100-01-01T00:00:00Z", "server.pem"],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("server.pem #0: certificate"),
        "{}",
        run.stdout
    );
    assert!(
        lines[1].contains("ERROR") && lines[1].contains("expired"),
        "{}",
        run.stdout
    );
    let subject = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Subject "))
        .unwrap();
    assert!(
        subject > 1,
        "findings come before the fields: {}",
        run.stdout
    );
    assert!(run.stdout.contains("days ago"), "{}", run.stdout);

    let now = mtlskit(dir, &["inspect", "server.pem"], None);
    assert!(
        now.stdout.contains("expires in 9 days") || now.stdout.contains("expires in 10 days"),
        "{}",
        now.stdout
    );
}
