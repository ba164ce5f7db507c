//! Certificate scenarios made with the openssl CLI, for the diagnosis tests: roots,
//! intermediates and leaves with exactly the extensions a scenario needs.

use std::path::{Path, PathBuf};

use crate::openssl;

/// A folder of generated certificates.
#[derive(Debug)]
pub struct Scenario {
    pub dir: PathBuf,
    serial: std::cell::Cell<u32>,
}

/// Extensions of a CA: `CA:TRUE` with an optional path length and extra lines.
pub const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";
pub const CLIENT_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:client.example\nauthorityKeyIdentifier=keyid";
pub const SERVER_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityKeyIdentifier=keyid";

impl Scenario {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            serial: std::cell::Cell::new(100),
        }
    }

    /// A new key `NAME.key` (`ec` P-256, or `rsa:BITS`).
    pub fn key(&self, name: &str, kind: &str) {
        let out = format!("{name}.key");
        match kind.strip_prefix("rsa:") {
            Some(bits) => openssl(
                &self.dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    &format!("rsa_keygen_bits:{bits}"),
                    "-out",
                    &out,
                ],
            ),
            None => openssl(
                &self.dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    &out,
                ],
            ),
        };
    }

    /// A self-signed root `NAME.pem` with subject `subj` and CA extensions plus `extra`.
    pub fn root(&self, name: &str, subj: &str, extra: &str) {
        self.key(name, "ec");
        let ext = self.ext_file(
            name,
            &format!("{CA_EXT}\n{extra}").replace("authorityKeyIdentifier=keyid", ""),
        );
        openssl(
            &self.dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-subj",
                subj,
                "-days",
                "3650",
                "-config",
                &ext,
                "-extensions",
                "ext",
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }

    /// `NAME.pem` for a new key (kind as in [`Scenario::key`]), signed by `issuer`.
    pub fn issue(&self, name: &str, subj: &str, issuer: &str, ext: &str, kind: &str, digest: &str) {
        self.key(name, kind);
        openssl(
            &self.dir,
            &[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-subj",
                subj,
                "-out",
                &format!("{name}.csr"),
            ],
        );
        let ext = self.ext_file(name, ext);
        let serial = self.serial.get() + 1;
        self.serial.set(serial);
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{issuer}.pem"),
                "-CAkey",
                &format!("{issuer}.key"),
                "-set_serial",
                &serial.to_string(),
                "-days",
                "365",
                &format!("-{digest}"),
                "-extfile",
                &ext,
                "-extensions",
                "ext",
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }

    /// `NAME.pem` for the existing key `KEY.key` (a cross-signed twin of `KEY.pem`, say),
    /// signed by `issuer`.
    pub fn issue_for_key(&self, name: &str, key: &str, subj: &str, issuer: &str, ext: &str) {
        let csr = format!("{name}.csr");
        openssl(
            &self.dir,
            &[
                "req",
                "-new",
                "-key",
                &format!("{key}.key"),
                "-subj",
                subj,
                "-out",
                &csr,
            ],
        );
        let ext = self.ext_file(name, ext);
        let serial = self.serial.get() + 1;
        self.serial.set(serial);
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{issuer}.pem"),
                "-CAkey",
                &format!("{issuer}.key"),
                "-set_serial",
                &serial.to_string(),
                "-days",
                "365",
                "-sha256",
                "-extfile",
                &ext,
                "-extensions",
                "ext",
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }

    /// Concatenates PEM files into `out`.
    pub fn cat(&self, out: &str, files: &[&str]) {
        let text: String = files
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default())
            .collect();
        std::fs::write(self.dir.join(out), text).unwrap_or_else(|e| panic!("write {out}: {e}"));
    }

    fn ext_file(&self, name: &str, ext: &str) -> String {
        let file = format!("{name}.ext");
        let body = format!("[req]\ndistinguished_name=dn\n[dn]\n[ext]\n{ext}\n");
        std::fs::write(self.dir.join(&file), body).unwrap_or_else(|e| panic!("write {file}: {e}"));
        file
    }
}
