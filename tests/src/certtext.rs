//! What the certificate decoder is compared with: certificates of every key kind made with
//! `openssl req -x509`, and openssl's printouts (`-text`, `-ext`, `key=value` lines) read back
//! as the report writes the same fields.
//!
//! Certificates are generated at test time into a temporary directory; what openssl prints
//! about them is the reference every decoded field is compared with.

use std::path::{Path, PathBuf};

use crate::openssl;

/// A `[req]` config with no default extensions; `extra` is appended (sections, `[v3]`...).
pub fn req_config(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    let mask = if extra.contains("string_mask") {
        ""
    } else {
        "string_mask=utf8only\n"
    };
    let text = format!("[req]\ndistinguished_name=dn\nutf8=yes\n{mask}{extra}\n[dn]\n");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `-newkey` arguments for a key kind: rsa:2048, rsa-pss:2048, P-256, ed25519...
pub fn newkey_args(kind: &str) -> Vec<String> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match kind {
        "P-256" | "P-384" | "P-521" => v(&[
            "-newkey",
            "ec",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{kind}"),
        ]),
        "ed25519" | "ed448" => v(&["-newkey", kind]),
        k if k.starts_with("rsa-pss:") => v(&[
            "-newkey",
            "rsa-pss",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{}", &k[8..]),
        ]),
        k => v(&["-newkey", k]),
    }
}

/// Makes a self-signed certificate with `openssl req -x509`; returns the PEM path.
pub fn self_signed(
    dir: &Path,
    stem: &str,
    kind: &str,
    subj: &str,
    extra_conf: &str,
    args: &[&str],
) -> PathBuf {
    let conf = req_config(dir, &format!("{stem}.cnf"), extra_conf);
    let pem = dir.join(format!("{stem}.pem"));
    let key = dir.join(format!("{stem}.key"));
    let mut all: Vec<String> = vec!["req".into(), "-x509".into(), "-nodes".into()];
    all.extend(newkey_args(kind));
    for a in [
        "-keyout",
        key.to_str().unwrap_or_default(),
        "-out",
        pem.to_str().unwrap_or_default(),
        "-subj",
        subj,
        "-config",
        conf.to_str().unwrap_or_default(),
        "-days",
        "30",
    ] {
        all.push(a.into());
    }
    all.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    openssl(dir, &refs);
    pem
}

/// The DER of a PEM certificate, converted by openssl.
pub fn der_of(dir: &Path, pem: &Path) -> Vec<u8> {
    let der = pem.with_extension("der");
    openssl(
        dir,
        &[
            "x509",
            "-in",
            path(pem),
            "-outform",
            "DER",
            "-out",
            path(&der),
        ],
    );
    std::fs::read(der).expect("read DER")
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// `AB:CD:..` (or `ABCD`) as lowercase hex without separators.
pub fn plain_hex(s: &str) -> String {
    s.trim().replace(':', "").to_lowercase()
}

/// openssl's `serial=0A1B` as the contract writes serials.
pub fn serial_from_openssl(s: &str) -> String {
    let (sign, digits) = match s.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", s),
    };
    let t = digits.trim().to_lowercase();
    let t = t.trim_start_matches('0');
    format!("{sign}{}", if t.is_empty() { "0" } else { t })
}

/// openssl's `Jan  1 00:00:00 2020 GMT` as RFC 3339.
pub fn time_from_openssl(s: &str) -> String {
    let parts: Vec<&str> = s.split_whitespace().collect();
    assert_eq!(parts.len(), 5, "unexpected openssl time {s:?}");
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months.iter().position(|x| *x == parts[0]).expect("month") + 1;
    let d: u32 = parts[1].parse().expect("day");
    format!("{}-{m:02}-{d:02}T{}Z", parts[3], parts[2])
}

/// The `key=value` lines of `openssl x509 -noout -serial -subject ...` output.
pub fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {out}"))
}

/// The value line(s) after a header like `X509v3 Key Usage:` in `-text` / `-ext` output.
pub fn ext_body(text: &str, header: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|l| l.trim().starts_with(header))?;
    Some(lines.next().unwrap_or_default().trim().to_string())
}

/// openssl's key usage names to the contract's.
pub fn key_usage_from_openssl(s: &str) -> Vec<String> {
    s.split(", ")
        .filter(|x| !x.is_empty())
        .map(|x| {
            match x {
                "Digital Signature" => "digitalSignature",
                "Non Repudiation" => "nonRepudiation",
                "Key Encipherment" => "keyEncipherment",
                "Data Encipherment" => "dataEncipherment",
                "Key Agreement" => "keyAgreement",
                "Certificate Sign" => "keyCertSign",
                "CRL Sign" => "cRLSign",
                "Encipher Only" => "encipherOnly",
                "Decipher Only" => "decipherOnly",
                other => panic!("unknown key usage {other}"),
            }
            .to_string()
        })
        .collect()
}

/// openssl's extended key usage names to the contract's.
pub fn eku_from_openssl(s: &str) -> Vec<String> {
    s.split(", ")
        .filter(|x| !x.is_empty())
        .map(|x| {
            match x {
                "TLS Web Server Authentication" => "serverAuth",
                "TLS Web Client Authentication" => "clientAuth",
                "Code Signing" => "codeSigning",
                "E-mail Protection" => "emailProtection",
                "Time Stamping" => "timeStamping",
                "OCSP Signing" => "OCSPSigning",
                other => other,
            }
            .to_string()
        })
        .collect()
}

/// openssl's SAN entries to the contract's (IP addresses normalised, DirName re-ordered).
pub fn san_from_openssl(s: &str) -> Vec<String> {
    s.split(", ")
        .filter(|x| !x.is_empty())
        .map(|x| {
            if let Some(ip) = x.strip_prefix("IP Address:") {
                let addr: std::net::IpAddr = ip.parse().expect("IP address");
                format!("IP:{addr}")
            } else if let Some(dn) = x.strip_prefix("DirName:") {
                let mut rdns: Vec<&str> = dn.split('/').filter(|p| !p.is_empty()).collect();
                rdns.reverse();
                format!("DirName:{}", rdns.join(","))
            } else if let Some(rid) = x.strip_prefix("Registered ID:") {
                format!("RID:{rid}")
            } else if let Some(o) = x.strip_prefix("othername: ") {
                format!("othername:{o}")
            } else {
                x.to_string()
            }
        })
        .collect()
}

/// Extension headers of `-text` to the report's names: (name, critical), in order.
pub fn extensions_from_text(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t == "X509v3 extensions:" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if t.starts_with("Signature Algorithm:") {
            break;
        }
        // Headers are indented by exactly 12 spaces and end with ':' (or ': critical').
        if line.starts_with("            ") && !line.starts_with("             ") && t.contains(':')
        {
            let critical = t.ends_with("critical");
            let head = t.trim_end_matches("critical").trim().trim_end_matches(':');
            let name = match head {
                "X509v3 Subject Alternative Name" => "subjectAltName",
                "X509v3 Issuer Alternative Name" => "issuerAltName",
                "X509v3 Basic Constraints" => "basicConstraints",
                "X509v3 Key Usage" => "keyUsage",
                "X509v3 Extended Key Usage" => "extKeyUsage",
                "X509v3 Subject Key Identifier" => "subjectKeyIdentifier",
                "X509v3 Authority Key Identifier" => "authorityKeyIdentifier",
                "X509v3 CRL Distribution Points" => "cRLDistributionPoints",
                "Authority Information Access" => "authorityInfoAccess",
                "X509v3 Certificate Policies" => "certificatePolicies",
                "X509v3 Name Constraints" => "nameConstraints",
                "X509v3 Policy Constraints" => "policyConstraints",
                "X509v3 Inhibit Any Policy" => "inhibitAnyPolicy",
                "Netscape Cert Type" => "nsCertType",
                "Netscape Comment" => "nsComment",
                "CT Precertificate SCTs" => "ct_precert_scts",
                other => other,
            };
            out.push((name.to_string(), critical));
        }
    }
    out
}
