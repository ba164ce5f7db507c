//! Diagnosis findings point at the bytes that prove them: the certificate (by SHA-256) and the
//! field's span in its DER, so the web page can highlight it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_inspect::diagnose::{self, Request, Role, Source};
use mtlskit_inspect::Timestamp;
use mtlskit_tests::openssl;

#[test]
fn expired_and_eku_findings_point_at_their_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=CA",
            "-days",
            "30",
            "-outform",
            "PEM",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    std::fs::write(dir.join("leaf.ext"), "extendedKeyUsage=serverAuth\n").unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=leaf",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "9",
            "-days",
            "10",
            "-extfile",
            "leaf.ext",
            "-outform",
            "DER",
            "-out",
            "leaf.der",
        ],
    );
    openssl(
        dir,
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    let (ca, leaf) = (
        std::fs::read(dir.join("ca.der")).unwrap(),
        std::fs::read(dir.join("leaf.der")).unwrap(),
    );
    let request = Request {
        anchors: vec![Source {
            der: &ca,
            origin: "ca".into(),
        }],
        chain: vec![Source {
            der: &leaf,
            origin: "leaf".into(),
        }],
        key_spki_sha256: None,
        role: Role::Client,
        host: None,
        now: Timestamp::from_parts(2100, 1, 1, 0, 0, 0),
        ..Default::default()
    };
    let d = diagnose::diagnose(&request).unwrap();
    let leaf_sha = &d.chain[0];
    let eku = d
        .findings
        .iter()
        .find(|f| f.code == "missing_client_auth_eku")
        .unwrap();
    assert_eq!(eku.certificate.as_ref(), Some(leaf_sha));
    let span = eku.span.unwrap();
    // The extension's bytes hold the EKU OID 2.5.29.37 (55 1d 25) and serverAuth's.
    let bytes = &leaf[span.offset..span.end()];
    assert!(
        bytes.windows(3).any(|w| w == [0x55, 0x1d, 0x25]),
        "{bytes:02x?}"
    );
    let expired = d
        .findings
        .iter()
        .find(|f| f.code == "expired" && f.certificate.as_ref() == Some(leaf_sha))
        .unwrap();
    let span = expired.span.unwrap();
    assert!(
        matches!(leaf[span.offset], 0x17 | 0x18),
        "notAfter is a time: {:02x}",
        leaf[span.offset]
    );
    // The JSON names the certificate.
    let json = serde_json::to_value(&d).unwrap();
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["certificate"].is_string()));
}
