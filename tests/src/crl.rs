//! CAs that revoke, made with `openssl ca` as operators run it: issue, `-revoke` with a reason,
//! `-gencrl` (with chosen dates when a test needs an expired CRL). All files are in the test's
//! temporary folder, P-256 keys.

use std::path::{Path, PathBuf};

use crate::openssl;
use crate::pki::EC;

/// An `openssl ca` setup in `dir/NAME.ca/`: its certificate is `dir/NAME.pem`.
#[derive(Debug)]
pub struct CrlCa {
    dir: PathBuf,
    name: String,
    conf: PathBuf,
}

impl CrlCa {
    /// A self-signed CA `NAME.pem` (subject `subj`) with keyCertSign and cRLSign.
    pub fn root(dir: &Path, name: &str, subj: &str) -> Self {
        let ca = Self::setup(dir, name);
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        let mut args = vec!["req", "-x509"];
        args.extend(EC);
        args.extend(["-keyout", &key, "-out", &pem, "-days", "30", "-subj", subj]);
        args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
        args.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(dir, &args);
        ca
    }

    /// An intermediate CA `NAME.pem` (subject `subj`) issued by `self`, itself able to revoke.
    pub fn intermediate(&self, name: &str, subj: &str) -> Self {
        self.issue(name, subj, "intermediate");
        Self::setup(&self.dir, name)
    }

    fn setup(dir: &Path, name: &str) -> Self {
        let db = dir.join(format!("{name}.ca"));
        std::fs::create_dir_all(&db).expect("ca folder");
        std::fs::write(db.join("index.txt"), "").expect("index.txt");
        std::fs::write(db.join("crlnumber"), "01\n").expect("crlnumber");
        let conf = db.join("ca.cnf");
        std::fs::write(
            &conf,
            format!(
                "[ca]\ndefault_ca = d\n[d]\ndatabase = {db}/index.txt\nnew_certs_dir = {db}\n\
                 certificate = {name}.pem\nprivate_key = {name}.key\ncrlnumber = {db}/crlnumber\n\
                 default_md = sha256\ndefault_days = 10\ndefault_crl_days = 7\npolicy = p\n\
                 unique_subject = no\nrand_serial = yes\ncopy_extensions = none\n\
                 crl_extensions = crl_ext\n[p]\ncommonName = supplied\n\
                 [crl_ext]\nauthorityKeyIdentifier = keyid:always\n\
                 [client]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
                 extendedKeyUsage = clientAuth\n\
                 [intermediate]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n",
                db = db.display(),
            ),
        )
        .expect("ca.cnf");
        Self {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            conf,
        }
    }

    /// Issues `NAME.pem`/`NAME.key` for `subj` with the `ext` section (`client`,
    /// `intermediate`).
    pub fn issue(&self, name: &str, subj: &str, ext: &str) {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let mut args = vec!["req", "-new"];
        args.extend(EC);
        args.extend(["-keyout", &key, "-out", &csr, "-subj", subj]);
        openssl(&self.dir, &args);
        let conf = self.conf.display().to_string();
        openssl(
            &self.dir,
            &[
                "ca",
                "-batch",
                "-notext",
                "-config",
                &conf,
                "-extensions",
                ext,
                "-in",
                &csr,
                "-out",
                &pem,
            ],
        );
    }

    /// Revokes `CERT.pem` with `reason` (openssl's names: keyCompromise, superseded, ...).
    pub fn revoke(&self, cert: &str, reason: &str) {
        let conf = self.conf.display().to_string();
        openssl(
            &self.dir,
            &[
                "ca",
                "-config",
                &conf,
                "-revoke",
                &format!("{cert}.pem"),
                "-crl_reason",
                reason,
            ],
        );
    }

    /// Writes the CA's CRL to `out` (PEM); `extra` adds `openssl ca` arguments
    /// (`-crl_lastupdate`, `-crl_nextupdate`).
    pub fn crl(&self, out: &str, extra: &[&str]) {
        let conf = self.conf.display().to_string();
        let mut args = vec!["ca", "-config", &conf, "-gencrl", "-out", out];
        args.extend_from_slice(extra);
        openssl(&self.dir, &args);
    }

    /// The CA certificate's file name.
    pub fn pem(&self) -> String {
        format!("{}.pem", self.name)
    }
}
