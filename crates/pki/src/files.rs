//! Writing the PKI to disk: private keys 0600, never overwriting without `force`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::issue::{new_ca, new_intermediate, new_leaf, Ca, Options, Role};
use crate::names::San;

/// What `mtlskit pki init` makes. `options.days` is the leaves' validity; the CAs get at least
/// ten years.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct InitOptions {
    /// Algorithm and validity of every certificate.
    pub options: Options,
    /// Add an intermediate CA between the root and the leaves.
    pub intermediate: bool,
    /// Names of the server certificate.
    pub server_sans: Vec<San>,
    /// The root CA's common name (the intermediate's adds " intermediate").
    pub ca_cn: String,
    /// The server certificate's common name.
    pub server_cn: String,
    /// The client certificate's common name.
    pub client_cn: String,
    /// Overwrite files that exist.
    pub force: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            options: Options::default(),
            intermediate: false,
            server_sans: vec![
                San::Dns("localhost".into()),
                San::Ip([127, 0, 0, 1].into()),
                San::Ip(std::net::Ipv6Addr::LOCALHOST.into()),
            ],
            ca_cn: "mtlskit CA".into(),
            server_cn: "localhost".into(),
            client_cn: "mtlskit client".into(),
            force: false,
        }
    }
}

/// The files written, in order, with whether each holds a private key.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Each file and whether it holds a private key (written 0600).
    pub files: Vec<(PathBuf, bool)>,
}

/// Makes `DIR/ca.pem ca.key server.pem server.key client.pem client.key`; with an intermediate
/// also `intermediate.pem intermediate.key`, and the leaf files then hold the leaf followed by
/// the intermediate (the chain a peer must send), while `ca.pem` stays the trust anchor.
pub fn init(dir: &Path, opts: &InitOptions) -> Result<Written, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let names = ["ca", "intermediate", "server", "client"];
    if !opts.force {
        for name in names {
            for ext in ["pem", "key"] {
                let path = dir.join(format!("{name}.{ext}"));
                if path.exists() && (name != "intermediate" || opts.intermediate) {
                    return Err(Error::Exists(path));
                }
            }
        }
    }
    let mut written = Written::default();
    let mut save = |name: &str, cert: &str, key: &str| -> Result<(), Error> {
        let cert_path = dir.join(format!("{name}.pem"));
        let key_path = dir.join(format!("{name}.key"));
        write_public(&cert_path, cert, opts.force)?;
        write_private(&key_path, key, opts.force)?;
        written.files.push((cert_path, false));
        written.files.push((key_path, true));
        Ok(())
    };
    // CAs outlive the leaves they sign: ten years unless the leaves get longer.
    let ca_options = Options {
        days: opts.options.days.max(3650),
        ..opts.options
    };
    let root = new_ca(&opts.ca_cn, None, ca_options)?;
    save("ca", &root.cert_pem, &root.key_pem)?;
    let root_signer = Ca::from_pem(&root.cert_pem, &root.key_pem)?;
    let (signer, chain_tail) = if opts.intermediate {
        let (inter, signer) = new_intermediate(
            &root_signer,
            &format!("{} intermediate", opts.ca_cn),
            ca_options,
        )?;
        save("intermediate", &inter.cert_pem, &inter.key_pem)?;
        (signer, inter.cert_pem)
    } else {
        (root_signer, String::new())
    };
    let server = new_leaf(
        &signer,
        Role::Server,
        &opts.server_cn,
        &opts.server_sans,
        opts.options,
    )?;
    save("server", &(server.cert_pem + &chain_tail), &server.key_pem)?;
    let client = new_leaf(&signer, Role::Client, &opts.client_cn, &[], opts.options)?;
    save("client", &(client.cert_pem + &chain_tail), &client.key_pem)?;
    Ok(written)
}

/// Writes a private key, readable by its owner only (0600 from creation, not chmod after).
pub fn write_private(path: &Path, pem: &str, force: bool) -> Result<(), Error> {
    write(path, pem, force, 0o600)
}

/// Writes a certificate, CSR or public key (0644).
pub fn write_public(path: &Path, pem: &str, force: bool) -> Result<(), Error> {
    write(path, pem, force, 0o644)
}

fn write(path: &Path, text: &str, force: bool, mode: u32) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut open = OpenOptions::new();
    open.write(true).mode(mode);
    if force {
        open.create(true).truncate(true);
    } else {
        open.create_new(true);
    }
    let mut file = open.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Exists(path.to_path_buf()),
        _ => io(e),
    })?;
    // An existing file keeps its mode on truncation: tighten it for keys.
    if force && mode == 0o600 {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(text.as_bytes()).map_err(io)
}
