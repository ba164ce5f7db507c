//! Keys, CSRs and PKCS#7 bundles made by `openssl` at test time, decoded by mtlskit-inspect:
//! what the decoders say must be what OpenSSL says about the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mtlskit_inspect::x509::{self, Decoded, KeyFormat};
use mtlskit_inspect::Node;
use mtlskit_inspect::{Csr, Key};
use mtlskit_inspect::{Error, ItemBody};
use mtlskit_tests::{openssl_bytes as openssl, openssl_try};

fn text(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(openssl(dir, args)).unwrap()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

/// SHA-256 (lowercase hex) of a file, as openssl computes it.
fn sha256_of(dir: &Path, name: &str) -> String {
    let out = text(dir, &["dgst", "-sha256", "-r", name]);
    out.split_whitespace().next().unwrap().to_string()
}

/// The DER of `openssl pkey -pubout` for a key file, and its SHA-256.
fn pubout_sha256(dir: &Path, key: &str) -> String {
    let name = format!("{key}.pub.der");
    openssl(
        dir,
        &[
            "pkey", "-in", key, "-pubout", "-outform", "DER", "-out", &name,
        ],
    );
    sha256_of(dir, &name)
}

/// Bits and curve as `openssl pkey -text -noout` prints them in its header and curve line.
fn openssl_bits_curve(dir: &Path, key: &str) -> (Option<u32>, Option<String>) {
    let t = text(dir, &["pkey", "-in", key, "-text", "-noout"]);
    let first = t.lines().next().unwrap();
    let bits = first
        .split_once('(')
        .and_then(|(_, rest)| rest.split(' ').next())
        .map(|b| b.parse().unwrap());
    let curve = t
        .lines()
        .find_map(|l| l.trim().strip_prefix("NIST CURVE: "))
        .map(str::to_string);
    (bits, curve)
}

fn private(d: &Decoded) -> &Key {
    match &d.body {
        ItemBody::PrivateKey(k) => k,
        other => panic!("not a private key: {other:?}"),
    }
}

fn public(d: &Decoded) -> &Key {
    match &d.body {
        ItemBody::PublicKey(k) => k,
        other => panic!("not a public key: {other:?}"),
    }
}

/// Every node of a tree, depth first.
fn nodes(tree: &[Node]) -> Vec<&Node> {
    let mut out = Vec::new();
    for n in tree {
        out.push(n);
        out.extend(nodes(&n.children));
    }
    out
}

/// No private number is shown as text: a tree of a private key shows the marker instead.
fn assert_no_private_values(tree: &[Node], der: &[u8]) {
    for n in nodes(tree) {
        assert!(n.span.end() <= der.len(), "{} span outside the DER", n.name);
        if n.value == x509::PRIVATE {
            assert!(n.children.is_empty());
        }
    }
    let private_names = ["privateExponent", "prime1", "prime2", "coefficient"];
    for n in nodes(tree) {
        if private_names.contains(&n.name.as_str()) {
            assert_eq!(n.value, x509::PRIVATE, "{} shows its value", n.name);
        }
    }
}

struct KeyCase {
    file: &'static str,
    genpkey: &'static [&'static str],
    algorithm: &'static str,
}

const KEYS: &[KeyCase] = &[
    KeyCase {
        file: "rsa2048.pem",
        genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        algorithm: "RSA",
    },
    KeyCase {
        file: "rsa1024.pem",
        genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        algorithm: "RSA",
    },
    KeyCase {
        file: "rsapss.pem",
        genpkey: &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
        algorithm: "RSA-PSS",
    },
    KeyCase {
        file: "p256.pem",
        genpkey: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        algorithm: "EC",
    },
    KeyCase {
        file: "p384.pem",
        genpkey: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        algorithm: "EC",
    },
    KeyCase {
        file: "p521.pem",
        genpkey: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        algorithm: "EC",
    },
    KeyCase {
        file: "ed25519.pem",
        genpkey: &["-algorithm", "ED25519"],
        algorithm: "Ed25519",
    },
];

fn genpkey(dir: &Path, case: &KeyCase) {
    let mut args = vec!["genpkey"];
    args.extend_from_slice(case.genpkey);
    args.extend_from_slice(&["-out", case.file]);
    openssl(dir, &args);
}

fn to_der(dir: &Path, cmd: &[&str], out: &str) -> Vec<u8> {
    let mut args = cmd.to_vec();
    args.extend_from_slice(&["-outform", "DER", "-out", out]);
    openssl(dir, &args);
    read(dir, out)
}

#[test]
fn private_keys_match_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for case in KEYS {
        genpkey(dir, case);
        let (bits, curve) = openssl_bits_curve(dir, case.file);
        let want_spki = pubout_sha256(dir, case.file);
        let mut variants: Vec<(Vec<u8>, KeyFormat, &str)> = vec![(
            to_der(
                dir,
                &["pkcs8", "-topk8", "-nocrypt", "-in", case.file],
                "k8.der",
            ),
            KeyFormat::Pkcs8,
            "PKCS#8",
        )];
        if case.algorithm == "RSA" {
            let der = to_der(dir, &["rsa", "-in", case.file, "-traditional"], "k1.der");
            variants.push((der, KeyFormat::Pkcs1, "PKCS#1"));
        }
        if case.algorithm == "EC" {
            let sec1 = to_der(dir, &["ec", "-in", case.file], "sec1.der");
            variants.push((sec1, KeyFormat::Sec1, "SEC1"));
            let bare = to_der(dir, &["ec", "-in", case.file, "-no_public"], "bare.der");
            assert!(bare.len() < read(dir, "sec1.der").len());
            variants.push((bare, KeyFormat::Sec1, "SEC1"));
            openssl(
                dir,
                &["ec", "-in", case.file, "-no_public", "-out", "bare.pem"],
            );
            let bare8 = to_der(
                dir,
                &["pkcs8", "-topk8", "-nocrypt", "-in", "bare.pem"],
                "bare8.der",
            );
            variants.push((bare8, KeyFormat::Pkcs8, "PKCS#8"));
        }
        for (der, format, format_name) in &variants {
            let d = x509::decode_private_key(der, *format)
                .unwrap_or_else(|e| panic!("{} {format_name}: {e}", case.file));
            let k = private(&d);
            assert_eq!(k.algorithm, case.algorithm, "{}", case.file);
            assert_eq!(k.format, *format_name);
            if case.algorithm != "Ed25519" {
                assert_eq!(k.bits, bits, "{} {format_name}", case.file);
            }
            assert_eq!(k.curve, curve, "{} {format_name}", case.file);
            assert_eq!(
                k.spki_sha256.as_deref(),
                Some(want_spki.as_str()),
                "{} {format_name}",
                case.file
            );
            assert!(k.matches.is_empty());
            let weak = d.findings.iter().any(|f| f.code == "weak_key");
            assert_eq!(
                weak,
                bits.is_some_and(|b| b < 2048) && case.algorithm == "RSA"
            );
            assert_no_private_values(&d.tree, der);
        }
    }
}

#[test]
fn rsa_4096_key_in_both_encodings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let case = KeyCase {
        file: "rsa4096.pem",
        genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        algorithm: "RSA",
    };
    genpkey(dir, &case);
    let want = pubout_sha256(dir, case.file);
    let k8 = to_der(
        dir,
        &["pkcs8", "-topk8", "-nocrypt", "-in", case.file],
        "k8.der",
    );
    let k1 = to_der(dir, &["rsa", "-in", case.file, "-traditional"], "k1.der");
    for (der, format) in [(k8, KeyFormat::Pkcs8), (k1, KeyFormat::Pkcs1)] {
        let d = x509::decode_private_key(&der, format).unwrap();
        let k = private(&d);
        assert_eq!((k.algorithm.as_str(), k.bits), ("RSA", Some(4096)));
        assert_eq!(k.spki_sha256.as_deref(), Some(want.as_str()));
        assert!(d.findings.is_empty());
    }
}

#[test]
fn ed448_key_is_named_without_a_derived_public_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    openssl(dir, &["genpkey", "-algorithm", "ED448", "-out", "k.pem"]);
    let header = text(dir, &["pkey", "-in", "k.pem", "-text", "-noout"]);
    assert!(header.starts_with("ED448 Private-Key:"));
    let der = to_der(
        dir,
        &["pkcs8", "-topk8", "-nocrypt", "-in", "k.pem"],
        "k.der",
    );
    let d = x509::decode_private_key(&der, KeyFormat::Pkcs8).unwrap();
    let k = private(&d);
    assert_eq!(k.algorithm, "Ed448");
    assert_eq!(k.curve, None);
    // OpenSSL writes no public key into an Ed448 PKCS#8 key, and it is not derived here.
    assert_eq!(k.spki_sha256, None);
    assert_no_private_values(&d.tree, &der);
    // Its public key, given as such, is fingerprinted like openssl does.
    let want = pubout_sha256(dir, "k.pem");
    let spki = read(dir, "k.pem.pub.der");
    let p = x509::decode_public_key(&spki, false).unwrap();
    assert_eq!(public(&p).algorithm, "Ed448");
    assert_eq!(public(&p).spki_sha256.as_deref(), Some(want.as_str()));
}

#[test]
fn public_keys_match_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for case in KEYS {
        genpkey(dir, case);
        let (bits, curve) = openssl_bits_curve(dir, case.file);
        let want = pubout_sha256(dir, case.file);
        let spki = read(dir, &format!("{}.pub.der", case.file));
        let d = x509::decode_public_key(&spki, false).unwrap();
        let k = public(&d);
        assert_eq!(k.algorithm, case.algorithm, "{}", case.file);
        assert_eq!(k.format, "SubjectPublicKeyInfo");
        if case.algorithm != "Ed25519" {
            assert_eq!(k.bits, bits, "{}", case.file);
        }
        assert_eq!(k.curve, curve);
        assert_eq!(k.spki_sha256.as_deref(), Some(want.as_str()));
        if case.algorithm == "RSA" {
            let pkcs1 = to_der(
                dir,
                &["rsa", "-in", case.file, "-RSAPublicKey_out"],
                "rsapub.der",
            );
            let d = x509::decode_public_key(&pkcs1, true).unwrap();
            let k = public(&d);
            assert_eq!((k.algorithm.as_str(), k.bits), ("RSA", bits));
            assert_eq!(k.format, "PKCS#1");
            assert_eq!(k.spki_sha256.as_deref(), Some(want.as_str()));
            // The SPKI decoder refuses PKCS#1 bytes and vice versa.
            assert!(x509::decode_public_key(&pkcs1, false).is_err());
            assert!(x509::decode_public_key(&spki, true).is_err());
        }
    }
}

/// Every strict prefix of `der`, and a few corruptions, give an error and no panic.
fn assert_truncations_fail(der: &[u8], decode: impl Fn(&[u8]) -> Result<(), Error>) {
    for len in 0..der.len() {
        assert!(
            decode(&der[..len]).is_err(),
            "prefix of {len} bytes decoded"
        );
    }
    let mut extra = der.to_vec();
    extra.push(0);
    assert!(decode(&extra).is_err(), "trailing byte accepted");
    for i in 0..der.len() {
        let mut bad = der.to_vec();
        bad[i] ^= 0xff;
        let _ = decode(&bad);
    }
}

#[test]
fn truncated_and_garbage_keys_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for case in KEYS.iter().filter(|c| c.file != "rsa2048.pem") {
        genpkey(dir, case);
        let k8 = to_der(
            dir,
            &["pkcs8", "-topk8", "-nocrypt", "-in", case.file],
            "k8.der",
        );
        assert_truncations_fail(&k8, |b| {
            x509::decode_private_key(b, KeyFormat::Pkcs8).map(|_| ())
        });
        pubout_sha256(dir, case.file);
        let spki = read(dir, &format!("{}.pub.der", case.file));
        assert_truncations_fail(&spki, |b| x509::decode_public_key(b, false).map(|_| ()));
        if case.algorithm == "EC" {
            let sec1 = to_der(dir, &["ec", "-in", case.file], "sec1.der");
            assert_truncations_fail(&sec1, |b| {
                x509::decode_private_key(b, KeyFormat::Sec1).map(|_| ())
            });
        }
        if case.file == "rsa1024.pem" {
            let k1 = to_der(dir, &["rsa", "-in", case.file, "-traditional"], "k1.der");
            assert_truncations_fail(&k1, |b| {
                x509::decode_private_key(b, KeyFormat::Pkcs1).map(|_| ())
            });
        }
    }
    for garbage in [
        &b""[..],
        b"\x30",
        b"\x30\x00",
        b"\x04\x02ab",
        b"not a key at all",
    ] {
        for format in [KeyFormat::Pkcs8, KeyFormat::Pkcs1, KeyFormat::Sec1] {
            assert!(x509::decode_private_key(garbage, format).is_err());
        }
        assert!(x509::decode_public_key(garbage, false).is_err());
        assert!(x509::decode_public_key(garbage, true).is_err());
        assert!(x509::pkcs7_certificates(garbage).is_err());
        assert!(x509::decode_csr(garbage).is_err());
    }
}

const REQ_CNF: &str = "\
[req]
prompt = no
utf8 = yes
string_mask = utf8only
distinguished_name = dn
attributes = attrs
req_extensions = ext
[dn]
C = DE
O = Acme, Inc.
OU = Zürich Ops
CN = test.example
[attrs]
challengePassword = secret123
unstructuredName = Acme unit
[ext]
subjectAltName = DNS:a.example,IP:1.2.3.4,email:x@y.example,URI:https://u.example/
keyUsage = critical,digitalSignature
";

fn csr(d: &Decoded) -> &Csr {
    match &d.body {
        ItemBody::Csr(c) => c,
        other => panic!("not a CSR: {other:?}"),
    }
}

/// The value after `label` on the first line of `text` that holds it.
fn line_after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
}

/// Whether `openssl req -verify` accepts the CSR in `file` (DER). OpenSSL 3.0 exits 0 either
/// way, so its verdict is read from what it prints.
fn openssl_verifies(dir: &Path, file: &str) -> bool {
    let (success, said) = openssl_try(
        dir,
        &["req", "-verify", "-noout", "-inform", "DER", "-in", file],
    );
    let ok = said.contains("self-signature verify OK");
    assert!(ok || !success || said.contains("verify failure"), "{said}");
    ok
}

struct CsrCase {
    key: usize,
    digest: &'static [&'static str],
    signature_algorithm: &'static str,
}

const CSRS: &[CsrCase] = &[
    CsrCase {
        key: 0,
        digest: &[],
        signature_algorithm: "sha256WithRSAEncryption",
    },
    CsrCase {
        key: 0,
        digest: &["-sha1"],
        signature_algorithm: "sha1WithRSAEncryption",
    },
    CsrCase {
        key: 0,
        digest: &["-sha384"],
        signature_algorithm: "sha384WithRSAEncryption",
    },
    CsrCase {
        key: 0,
        digest: &["-sha512"],
        signature_algorithm: "sha512WithRSAEncryption",
    },
    CsrCase {
        key: 0,
        digest: &["-sha224"],
        signature_algorithm: "sha224WithRSAEncryption",
    },
    CsrCase {
        key: 0,
        digest: &[
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
        ],
        signature_algorithm: "rsassaPss",
    },
    CsrCase {
        key: 0,
        digest: &[
            "-sha384",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:-1",
        ],
        signature_algorithm: "rsassaPss",
    },
    CsrCase {
        key: 1,
        digest: &[],
        signature_algorithm: "sha256WithRSAEncryption",
    },
    CsrCase {
        key: 2,
        digest: &[],
        signature_algorithm: "rsassaPss",
    },
    CsrCase {
        key: 3,
        digest: &[],
        signature_algorithm: "ecdsa-with-SHA256",
    },
    CsrCase {
        key: 3,
        digest: &["-sha1"],
        signature_algorithm: "ecdsa-with-SHA1",
    },
    CsrCase {
        key: 3,
        digest: &["-sha512"],
        signature_algorithm: "ecdsa-with-SHA512",
    },
    CsrCase {
        key: 4,
        digest: &["-sha384"],
        signature_algorithm: "ecdsa-with-SHA384",
    },
    CsrCase {
        key: 4,
        digest: &["-sha224"],
        signature_algorithm: "ecdsa-with-SHA224",
    },
    CsrCase {
        key: 5,
        digest: &["-sha512"],
        signature_algorithm: "ecdsa-with-SHA512",
    },
    CsrCase {
        key: 4,
        digest: &["-sha1"],
        signature_algorithm: "ecdsa-with-SHA1",
    },
    CsrCase {
        key: 5,
        digest: &["-sha1"],
        signature_algorithm: "ecdsa-with-SHA1",
    },
    CsrCase {
        key: 5,
        digest: &["-sha224"],
        signature_algorithm: "ecdsa-with-SHA224",
    },
    CsrCase {
        key: 5,
        digest: &[],
        signature_algorithm: "ecdsa-with-SHA256",
    },
    CsrCase {
        key: 6,
        digest: &[],
        signature_algorithm: "ED25519",
    },
];

#[test]
fn csrs_match_openssl_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("req.cnf"), REQ_CNF).unwrap();
    for case in KEYS {
        genpkey(dir, case);
    }
    for (i, case) in CSRS.iter().enumerate() {
        let key = &KEYS[case.key];
        let file = format!("r{i}.der");
        let mut args = vec!["req", "-new", "-config", "req.cnf", "-key", key.file];
        args.extend_from_slice(case.digest);
        let der = to_der(dir, &args, &file);
        let what = format!("{} {:?}", key.file, case.digest);
        assert!(openssl_verifies(dir, &file), "{what}");

        let d = x509::decode_csr(&der).unwrap_or_else(|e| panic!("{what}: {e}"));
        let c = csr(&d);
        let txt = text(
            dir,
            &["req", "-inform", "DER", "-in", &file, "-noout", "-text"],
        );
        let subject = text(
            dir,
            &[
                "req",
                "-inform",
                "DER",
                "-in",
                &file,
                "-noout",
                "-subject",
                "-nameopt",
                "RFC2253,-esc_msb",
            ],
        );
        assert_eq!(
            c.subject,
            subject.trim().trim_start_matches("subject="),
            "{what}"
        );
        assert_eq!(
            c.subject,
            "CN=test.example,OU=Zürich Ops,O=Acme\\, Inc.,C=DE"
        );
        assert_eq!(c.signature_algorithm, case.signature_algorithm, "{what}");
        assert_eq!(
            line_after(&txt, "Signature Algorithm:"),
            Some(case.signature_algorithm)
        );
        assert_eq!(c.signature_valid, Some(true), "{what}");
        assert_eq!(c.public_key.algorithm, key.algorithm, "{what}");
        let (bits, curve) = openssl_bits_curve(dir, key.file);
        if key.algorithm != "Ed25519" {
            assert_eq!(c.public_key.bits, bits, "{what}");
        }
        assert_eq!(c.public_key.curve, curve, "{what}");
        assert_eq!(c.spki_sha256, pubout_sha256(dir, key.file), "{what}");

        let san_line = txt
            .lines()
            .skip_while(|l| !l.contains("X509v3 Subject Alternative Name"))
            .nth(1)
            .unwrap();
        let want_san: Vec<String> = san_line
            .trim()
            .split(", ")
            .map(|s| s.replace("IP Address:", "IP:"))
            .collect();
        let san: Vec<String> = c.san.iter().map(ToString::to_string).collect();
        assert_eq!(san, want_san, "{what}");
        assert_eq!(
            san,
            [
                "DNS:a.example",
                "IP:1.2.3.4",
                "email:x@y.example",
                "URI:https://u.example/"
            ]
        );
        let attr = |n: &str| {
            c.attributes
                .iter()
                .find(|a| a.name == n)
                .map(|a| a.value.as_str())
        };
        assert_eq!(attr("challengePassword"), Some("secret123"));
        assert_eq!(line_after(&txt, "challengePassword"), Some(":secret123"));
        assert_eq!(attr("unstructuredName"), Some("Acme unit"));
        assert!(attr("extensionRequest").is_some());
        let oids: Vec<&str> = c.extensions.iter().map(|e| e.oid.as_str()).collect();
        assert_eq!(oids, ["2.5.29.17", "2.5.29.15"]);
        assert!(c.extensions[1].critical && !c.extensions[0].critical);

        let codes: Vec<&str> = d.findings.iter().map(|f| f.code.as_str()).collect();
        let mut want = Vec::new();
        if bits.is_some_and(|b| b < 2048) && key.algorithm.starts_with("RSA") {
            want.push("weak_key");
        }
        if case.signature_algorithm.contains("SHA1") || case.signature_algorithm.starts_with("sha1")
        {
            want.push("sha1_signature");
        }
        assert_eq!(codes, want, "{what}");

        // The tree names the RFC 2986 fields, and the signature node holds the last bytes.
        let top = &d.tree[0];
        assert_eq!(top.name, "CertificationRequest");
        assert_eq!(top.span.len, der.len());
        let names: Vec<&str> = top.children.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "certificationRequestInfo",
                "signatureAlgorithm",
                "signature"
            ]
        );
        let info: Vec<&str> = top.children[0]
            .children
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(info, ["version", "subject", "subjectPKInfo", "attributes"]);
        assert_eq!(top.children[2].span.end(), der.len());
        for n in nodes(&d.tree) {
            assert!(n.span.end() <= der.len(), "{what}: {} out of range", n.name);
        }
        let all = nodes(&d.tree);
        let pw = all.iter().find(|n| n.name == "challengePassword").unwrap();
        let pw_bytes = &der[pw.span.offset..pw.span.end()];
        assert!(pw_bytes.ends_with(b"secret123"), "{what}");
        let san = all.iter().find(|n| n.name == "subjectAltName").unwrap();
        let san_bytes = &der[san.span.offset..san.span.end()];
        assert!(san_bytes.windows(9).any(|w| w == b"a.example"), "{what}");

        // One flipped bit in the signature: we and openssl both reject it.
        let mut bad = der.clone();
        *bad.last_mut().unwrap() ^= 0x01;
        let bad_file = format!("bad{i}.der");
        std::fs::write(dir.join(&bad_file), &bad).unwrap();
        assert!(!openssl_verifies(dir, &bad_file), "{what}");
        let d = x509::decode_csr(&bad).unwrap();
        assert_eq!(csr(&d).signature_valid, Some(false), "{what}");
        let f = d
            .findings
            .iter()
            .find(|f| f.code == "bad_signature")
            .unwrap();
        assert_eq!(f.severity, mtlskit_inspect::Severity::Error);
    }
}

#[test]
fn a_csr_with_a_changed_subject_fails_its_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("req.cnf"), REQ_CNF).unwrap();
    genpkey(dir, &KEYS[3]);
    let der = to_der(
        dir,
        &["req", "-new", "-config", "req.cnf", "-key", KEYS[3].file],
        "r.der",
    );
    let at = der.windows(12).position(|w| w == b"test.example").unwrap();
    let mut bad = der.clone();
    bad[at] = b'b';
    std::fs::write(dir.join("bad.der"), &bad).unwrap();
    assert!(!openssl_verifies(dir, "bad.der"));
    let d = x509::decode_csr(&bad).unwrap();
    assert_eq!(
        csr(&d).subject,
        "CN=best.example,OU=Zürich Ops,O=Acme\\, Inc.,C=DE"
    );
    assert_eq!(csr(&d).signature_valid, Some(false));
    assert!(d.findings.iter().any(|f| f.code == "bad_signature"));
    assert_truncations_fail(&der, |b| x509::decode_csr(b).map(|_| ()));
}

#[test]
fn ed448_csr_signature_is_not_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("req.cnf"), REQ_CNF).unwrap();
    openssl(dir, &["genpkey", "-algorithm", "ED448", "-out", "k.pem"]);
    let der = to_der(
        dir,
        &["req", "-new", "-config", "req.cnf", "-key", "k.pem"],
        "r.der",
    );
    let d = x509::decode_csr(&der).unwrap();
    let c = csr(&d);
    assert_eq!(c.signature_algorithm, "ED448");
    assert_eq!(c.signature_algorithm_oid, "1.3.101.113");
    assert_eq!(c.public_key.algorithm, "Ed448");
    assert_eq!(c.signature_valid, None);
    assert_eq!(c.spki_sha256, pubout_sha256(dir, "k.pem"));
    let f = d
        .findings
        .iter()
        .find(|f| f.code == "signature_not_checked")
        .unwrap();
    assert_eq!(f.severity, mtlskit_inspect::Severity::Info);
    assert!(!d.findings.iter().any(|f| f.code == "bad_signature"));
}

#[test]
fn pkcs7_bundle_yields_its_certificates_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut bundle = Vec::new();
    let mut want = Vec::new();
    for cn in ["one", "two", "three"] {
        let pem = format!("{cn}.pem");
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
                "k.pem",
                "-subj",
                &format!("/CN={cn}"),
                "-days",
                "2",
                "-out",
                &pem,
            ],
        );
        bundle.extend(read(dir, &pem));
        want.push(to_der(dir, &["x509", "-in", &pem], &format!("{cn}.der")));
    }
    std::fs::write(dir.join("bundle.pem"), &bundle).unwrap();
    let p7 = to_der(
        dir,
        &["crl2pkcs7", "-nocrl", "-certfile", "bundle.pem"],
        "b.p7b",
    );
    let certs = x509::pkcs7_certificates(&p7).unwrap();
    assert_eq!(certs.len(), 3);
    for (got, want) in certs.iter().zip(&want) {
        assert_eq!(got, want);
        assert!(mtlskit_inspect::Span::of(&p7, got).is_some());
    }
    assert_truncations_fail(&p7, |b| x509::pkcs7_certificates(b).map(|_| ()));
    // A bundle with no certificates says so.
    let empty = to_der(dir, &["crl2pkcs7", "-nocrl"], "empty.p7b");
    assert!(matches!(
        x509::pkcs7_certificates(&empty),
        Err(Error::Malformed { .. })
    ));
}
