//! PKIs made with the openssl CLI for the tests, all with P-256 keys: a CA ([`ca`]), leaves it
//! signs ([`leaf`]), certificates with chosen validity dates ([`issue`], by `openssl ca`), and
//! the layouts the tests share ([`make_pki`], [`make_full_pki`], [`make_two_ca_pki`],
//! [`ca_and_client`]).

use std::path::{Path, PathBuf};

use crate::openssl;

/// `-newkey` arguments of a P-256 key without a passphrase.
pub(crate) const EC: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
];

/// A new key `key` and a CSR `csr` for subject `subj`.
fn request(dir: &Path, key: &str, csr: &str, subj: &str) {
    let mut args = vec!["req", "-new"];
    args.extend(EC);
    args.extend(["-keyout", key, "-out", csr, "-subj", subj]);
    openssl(dir, &args);
}

/// A self-signed certificate `NAME.pem` with a new key `NAME.key`, subject `subj`, valid `days`
/// days, with the extensions `addext` (none: openssl's defaults for `req -x509`).
pub fn ca(dir: &Path, name: &str, subj: &str, days: &str, addext: &[&str]) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    let mut args = vec!["req", "-x509", "-new"];
    args.extend(EC);
    args.extend(["-keyout", &key, "-out", &pem, "-days", days, "-subj", subj]);
    for ext in addext {
        args.extend(["-addext", ext]);
    }
    openssl(dir, &args);
}

/// The extensions of a [`leaf`]: `(file, section)` for `-extfile`/`-extensions` (no section: the
/// file's lines), or none at all.
pub type Ext<'a> = Option<(&'a str, Option<&'a str>)>;

/// `NAME.pem` with a new key `NAME.key` (and `NAME.csr`) for subject `subj`, signed by the CA
/// `CA.pem`/`CA.key`, valid `days` days, with extensions `ext`, and serial `serial` (none: a
/// serial file next to the CA, `-CAcreateserial`).
pub fn leaf(
    dir: &Path,
    name: &str,
    subj: &str,
    ca: &str,
    days: &str,
    ext: Ext<'_>,
    serial: Option<&str>,
) {
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
    request(dir, &key, &csr, subj);
    let mut args = vec![
        "x509", "-req", "-in", &csr, "-CA", &ca_pem, "-CAkey", &ca_key,
    ];
    match serial {
        Some(s) => args.extend(["-set_serial", s]),
        None => args.push("-CAcreateserial"),
    }
    args.extend(["-days", days, "-out", &pem]);
    if let Some((file, section)) = ext {
        args.extend(["-extfile", file]);
        if let Some(section) = section {
            args.extend(["-extensions", section]);
        }
    }
    openssl(dir, &args);
}

/// A CA, a server and a client certificate with P-256 keys, and the client's CSR.
///
/// Files: ca.pem ca.key server.pem server.key client.pem client.key client.csr.
pub fn make_pki(dir: &Path) {
    std::fs::write(
        dir.join("ext.cnf"),
        "[server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n\
         [client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\nsubjectAltName=email:client@example.com\n",
    )
    .expect("write ext.cnf");
    make_ca(dir, "ca", "Test CA");
    for (name, serial) in [("server", "0x51"), ("client", "0x52")] {
        let subj = format!("/CN={name}");
        leaf(
            dir,
            name,
            &subj,
            "ca",
            "10",
            Some(("ext.cnf", Some(name))),
            Some(serial),
        );
    }
}

/// A CA (`O=mtlskit test, CN=Test CA`) with a server (`CN=localhost`, SANs localhost and
/// 127.0.0.1) and a client (`CN=client one`), and a second CA (`other`, `O=elsewhere, CN=Other
/// CA`) with its own client (`stranger`); all valid 2 days.
pub fn make_two_ca_pki(dir: &Path) {
    ca(dir, "ca", "/O=mtlskit test/CN=Test CA", "2", &[]);
    ca(dir, "other", "/O=elsewhere/CN=Other CA", "2", &[]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write server.ext");
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n")
        .expect("write client.ext");
    for (name, ca, subject, ext) in [
        ("server", "ca", "/CN=localhost", "server.ext"),
        ("client", "ca", "/CN=client one", "client.ext"),
        ("stranger", "other", "/CN=stranger", "client.ext"),
    ] {
        leaf(dir, name, subject, ca, "2", Some((ext, None)), None);
    }
}

/// A CA (`{name}.pem`, `{name}.key`, `CN={name} CA`) and a client certificate it signed
/// (`{name}-client.pem`, `{name}-client.key`, `CN=client`, no extensions), valid 2 days.
pub fn ca_and_client(dir: &Path, name: &str) {
    ca(dir, name, &format!("/CN={name} CA"), "2", &[]);
    leaf(
        dir,
        &format!("{name}-client"),
        "/CN=client",
        name,
        "2",
        None,
        None,
    );
}

/// A minimal `openssl ca` setup, for certificates with chosen validity dates.
fn ca_conf(dir: &Path, ca: &str) -> PathBuf {
    let db = dir.join(format!("{ca}.db"));
    std::fs::create_dir_all(&db).expect("ca db dir");
    let index = db.join("index.txt");
    if !index.exists() {
        std::fs::write(&index, "").expect("index.txt");
    }
    let number = db.join("crlnumber");
    if !number.exists() {
        std::fs::write(&number, "01\n").expect("crlnumber");
    }
    let conf = db.join("ca.cnf");
    std::fs::write(
        &conf,
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {index}\nnew_certs_dir = {db}\n\
             certificate = {ca}.pem\nprivate_key = {ca}.key\ndefault_md = sha256\n\
             crlnumber = {number}\ncrl_extensions = crl_ext\n\
             policy = p\nunique_subject = no\nrand_serial = yes\ncopy_extensions = none\n[p]\ncommonName = supplied\n\
             [crl_ext]\nauthorityKeyIdentifier=keyid:always\n\
             [server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n\
             [client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\n\
             [spiffe]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\n\
             subjectAltName=URI:spiffe://example.org/ns/web,DNS:web.example.org\n\
             [intermediate]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
            index = index.display(),
            db = db.display(),
            number = number.display(),
        ),
    )
    .expect("ca.cnf");
    conf
}

/// Issues `NAME.pem`/`NAME.key` (CN = `cn`) from CA `ca` (files `ca.pem`, `ca.key`) with
/// extensions `ext` (server, client, spiffe: a client with a URI and a DNS SAN, intermediate), valid from `start` to `end`
/// (`YYYYMMDDHHMMSSZ`).
pub fn issue(dir: &Path, ca: &str, name: &str, cn: &str, ext: &str, start: &str, end: &str) {
    let conf = ca_conf(dir, ca);
    let (key, csr, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("/CN={cn}"),
    );
    request(dir, &key, &csr, &subj);
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            &conf.display().to_string(),
            "-in",
            &csr,
            "-out",
            &pem,
            "-extensions",
            ext,
            "-startdate",
            start,
            "-enddate",
            end,
        ],
    );
}

/// A self-signed CA `NAME.pem`/`NAME.key` with CN `cn`, valid 30 days, with critical CA basic
/// constraints and certificate-signing key usage.
pub fn make_ca(dir: &Path, name: &str, cn: &str) {
    ca(
        dir,
        name,
        &format!("/CN={cn}"),
        "30",
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Revokes `NAME.pem` (issued by [`issue`]) in CA `ca`'s `openssl ca` database, with an RFC
/// 5280 `reason` as `openssl ca -crl_reason` spells it.
pub fn openssl_revoke(dir: &Path, ca: &str, name: &str, reason: &str) {
    let conf = ca_conf(dir, ca);
    openssl(
        dir,
        &[
            "ca",
            "-config",
            &conf.display().to_string(),
            "-revoke",
            &format!("{name}.pem"),
            "-crl_reason",
            reason,
        ],
    );
}

/// Writes `out`, the (version 2, numbered) CRL of CA `ca` from its `openssl ca` database,
/// with thisUpdate `last` and nextUpdate `next` (`YYYYMMDDHHMMSSZ`, see [`date`]).
pub fn openssl_gencrl(dir: &Path, ca: &str, out: &str, last: &str, next: &str) {
    let conf = ca_conf(dir, ca);
    openssl(
        dir,
        &[
            "ca",
            "-gencrl",
            "-config",
            &conf.display().to_string(),
            "-crl_lastupdate",
            last,
            "-crl_nextupdate",
            next,
            "-out",
            out,
        ],
    );
}

/// Dates as `openssl ca` wants them, `days` from now.
pub fn date(days: i64) -> String {
    date_in_secs(days * 86_400)
}

/// Dates as `openssl ca` wants them, `offset` seconds from now.
pub fn date_in_secs(offset: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        + offset;
    let (d, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The standard PKI (`make_pki`) plus: `other` (a client of `Other CA`), `expired` (ended 3
/// days ago), `future` (starts in 2 days), `serveronly` (serverAuth EKU only).
pub fn make_full_pki(dir: &Path) {
    make_pki(dir);
    make_ca(dir, "otherca", "Other CA");
    issue(
        dir,
        "otherca",
        "other",
        "other",
        "client",
        &date(-1),
        &date(10),
    );
    issue(
        dir,
        "ca",
        "expired",
        "expired",
        "client",
        &date(-30),
        &date(-3),
    );
    issue(dir, "ca", "future", "future", "client", &date(2), &date(30));
    issue(
        dir,
        "ca",
        "serveronly",
        "serveronly",
        "server",
        &date(-1),
        &date(10),
    );
}
