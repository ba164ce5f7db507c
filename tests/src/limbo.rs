//! The x509-limbo conformance harness (issue 16): every case of `testdata/limbo/limbo.json` run
//! through the diagnosis engine (`diagnose`) and through the proxy's own verifier (`proxy`:
//! rustls-webpki as `mtlskit serve` and its upstream connections configure it), with limbo's
//! result format, the one-line summary and the exceptions file.
//!
//! `cargo xtask limbo` runs the `limbo` binary (src/bin/limbo.rs) on it; `tests/tests/limbo`
//! fails on a disagreement `testdata/limbo/exceptions.toml` does not list, on a listed case
//! that now agrees, on any false accept listed at all, and on a case the proxy refuses that
//! `diagnose` accepts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use mtlskit_inspect::diagnose::{self, Profile, Request, Role, Source, Verdict, Verifier};
use mtlskit_inspect::Timestamp;
use serde_json::Value;

/// The feature tags (limbo's optional behaviours) both harnesses implement; a case with any
/// other tag is SKIPPED. Each one is a check the engine makes:
/// - `has-crl`: revocation against the case's CRLs (`diagnose --crl`, docs/diagnosis.md);
/// - `max-chain-depth`: the most intermediates a verifier allows (`verify_depth`);
/// - `denial-of-service`: hostile chains, under the engine's search bounds;
/// - `name-constraint-dn`: directoryName name constraints (RFC 5280 4.2.1.10);
/// - `pedantic-webpki-eku`: webpki's EKU rules (anyExtendedKeyUsage is not serverAuth);
/// - `pedantic-serial-number`: serial numbers of RFC 5280 4.1.2.2 (positive, at most 20
///   octets);
/// - `pedantic-webpki-subscriber-key`: the key types and sizes a Web PKI server may have.
pub const IMPLEMENTED: &[&str] = &[
    "pedantic-webpki-subscriber-key",
    "has-crl",
    "max-chain-depth",
    "denial-of-service",
    "name-constraint-dn",
    "pedantic-webpki-eku",
    "pedantic-serial-number",
];

/// SUCCESS, FAILURE or SKIPPED: limbo's `expected_result` / `actual_result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// The chain validates.
    Success,
    /// It does not.
    Failure,
    /// Not run (a feature tag the harness does not implement).
    Skipped,
}

impl Outcome {
    /// limbo's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Failure => "FAILURE",
            Outcome::Skipped => "SKIPPED",
        }
    }
}

/// A peer name a case expects (`{"kind": "DNS"|"IP"|"RFC822", "value"}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerName {
    /// DNS, IP or RFC822.
    pub kind: String,
    /// The name.
    pub value: String,
}

/// One test case, decoded: certificates and CRLs as DER.
#[derive(Clone, Debug)]
pub struct Case {
    /// `namespace::name`.
    pub id: String,
    /// Optional-behaviour tags.
    pub features: Vec<String>,
    /// CLIENT (a server checks a client): [`Role::Client`]; SERVER: [`Role::Server`].
    pub role: Role,
    /// Trust anchors.
    pub trusted: Vec<Vec<u8>>,
    /// Candidate intermediates.
    pub intermediates: Vec<Vec<u8>>,
    /// The leaf.
    pub peer: Vec<u8>,
    /// The validation time (now when the case gives none).
    pub time: Timestamp,
    /// Required keyUsage bits of the leaf (RFC 5280 names).
    pub key_usage: Vec<String>,
    /// Required extended key usages of the leaf (serverAuth, clientAuth).
    pub extended_key_usage: Vec<String>,
    /// Signature algorithms the verifier is limited to (empty: any).
    pub signature_algorithms: Vec<String>,
    /// SUCCESS or FAILURE.
    pub expected: Outcome,
    /// The name a SERVER case's client connects to.
    pub peer_name: Option<PeerName>,
    /// The names a CLIENT case expects in the client's certificate.
    pub peer_names: Vec<PeerName>,
    /// The most intermediates allowed.
    pub max_chain_depth: Option<usize>,
    /// CRLs to check against.
    pub crls: Vec<Vec<u8>>,
}

/// What a harness said about one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case's id.
    pub id: String,
    /// SUCCESS, FAILURE or SKIPPED.
    pub actual: Outcome,
    /// The finding codes (diagnose) or the verifier's error (proxy); for a skipped case, the
    /// tags it was skipped for.
    pub context: String,
}

/// Reads a limbo.json (version 1).
pub fn load(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if json["version"] != 1 {
        return Err(format!("{}: not a version 1 limbo suite", path.display()));
    }
    let cases = json["testcases"]
        .as_array()
        .ok_or_else(|| format!("{}: no testcases", path.display()))?;
    cases.iter().map(case).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn peer_name(v: &Value) -> Option<PeerName> {
    Some(PeerName {
        kind: v["kind"].as_str()?.to_string(),
        value: v["value"].as_str()?.to_string(),
    })
}

fn case(v: &Value) -> Result<Case, String> {
    let id = v["id"].as_str().ok_or("a case without id")?.to_string();
    let bad = |what: &str| format!("{id}: {what}");
    let certs = |pems: &[String]| -> Result<Vec<Vec<u8>>, String> {
        let mut out = Vec::new();
        for pem in pems {
            out.extend(diagnose::certificates_in(pem.as_bytes()).map_err(|e| bad(&e.to_string()))?);
        }
        Ok(out)
    };
    let peer = v["peer_certificate"]
        .as_str()
        .ok_or_else(|| bad("no peer"))?;
    let peer = certs(&[peer.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| bad("no peer certificate"))?;
    let mut crls = Vec::new();
    for pem in strings(&v["crls"]) {
        crls.extend(diagnose::crls_in(pem.as_bytes()).map_err(|e| bad(&e.to_string()))?);
    }
    let time = match v["validation_time"].as_str() {
        Some(t) => Timestamp::parse_rfc3339(t).map_err(|e| bad(&e.to_string()))?,
        None => Timestamp::now(),
    };
    Ok(Case {
        features: strings(&v["features"]),
        role: match v["validation_kind"].as_str() {
            Some("CLIENT") => Role::Client,
            Some("SERVER") => Role::Server,
            _ => return Err(bad("unknown validation_kind")),
        },
        trusted: certs(&strings(&v["trusted_certs"]))?,
        intermediates: certs(&strings(&v["untrusted_intermediates"]))?,
        peer,
        time,
        key_usage: strings(&v["key_usage"]),
        extended_key_usage: strings(&v["extended_key_usage"]),
        signature_algorithms: strings(&v["signature_algorithms"]),
        expected: match v["expected_result"].as_str() {
            Some("SUCCESS") => Outcome::Success,
            Some("FAILURE") => Outcome::Failure,
            _ => return Err(bad("unknown expected_result")),
        },
        peer_name: peer_name(&v["expected_peer_name"]),
        peer_names: v["expected_peer_names"]
            .as_array()
            .map(|a| a.iter().filter_map(peer_name).collect())
            .unwrap_or_default(),
        max_chain_depth: v["max_chain_depth"]
            .as_u64()
            .and_then(|d| usize::try_from(d).ok()),
        crls,
        id,
    })
}

/// The tags of `case` that [`IMPLEMENTED`] lacks.
pub fn unimplemented(case: &Case) -> Vec<&str> {
    case.features
        .iter()
        .map(String::as_str)
        .filter(|f| !IMPLEMENTED.contains(f))
        .collect()
}

fn skipped(case: &Case) -> Option<CaseResult> {
    let mut missing = unimplemented(case);
    // The constraints a case may set that the harness maps: the role's EKU (serverAuth for
    // SERVER, clientAuth for CLIENT) and digitalSignature, which diagnose requires of a leaf;
    // a case asking for anything else, or for particular signature algorithms, is skipped.
    let purpose = match case.role {
        Role::Client => "clientAuth",
        Role::Server => "serverAuth",
    };
    if case.extended_key_usage.iter().any(|e| e != purpose)
        || case.key_usage.iter().any(|k| k != "digitalSignature")
        || !case.signature_algorithms.is_empty()
    {
        missing.push("a usage or algorithm constraint the harness does not map");
    }
    (!missing.is_empty()).then(|| CaseResult {
        id: case.id.clone(),
        actual: Outcome::Skipped,
        context: format!("not implemented: {}", missing.join(", ")),
    })
}

/// The diagnosis request of a case, reproducing `verifier`'s decisions.
pub fn request(case: &Case, verifier: Verifier) -> Request<'_> {
    fn source<'a>(der: &'a [u8], what: &str, i: usize) -> Source<'a> {
        Source {
            der,
            origin: format!("{what} #{i}"),
        }
    }
    let mut chain = vec![source(&case.peer, "peer", 0)];
    chain.extend(
        case.intermediates
            .iter()
            .enumerate()
            .map(|(i, d)| source(d, "intermediate", i)),
    );
    Request {
        anchors: case
            .trusted
            .iter()
            .enumerate()
            .map(|(i, d)| source(d, "trusted", i))
            .collect(),
        chain,
        key_spki_sha256: None,
        role: case.role,
        host: case.peer_name.as_ref().map(|n| n.value.clone()),
        now: case.time,
        crls: case
            .crls
            .iter()
            .enumerate()
            .map(|(i, d)| source(d, "crl", i))
            .collect(),
        max_intermediates: case.max_chain_depth,
        profile: profile(case),
        verifier,
    }
}

/// The profile a case is held to: the `webpki::` namespace tests the CA/Browser Forum profile
/// of public TLS servers (as the published harnesses run it), every other one RFC 5280 alone.
pub fn profile(case: &Case) -> Profile {
    if case.id.starts_with("webpki::") {
        Profile::WebPki
    } else {
        Profile::Rfc5280
    }
}

/// The diagnosis engine's answer for one case (RFC 5280 path validation): its verdict, the
/// finding codes as context.
pub fn run_diagnose(case: &Case) -> CaseResult {
    diagnose_as(case, Verifier::Rfc5280)
}

/// The diagnosis engine's answer for one case when it reproduces `verifier`.
pub fn diagnose_as(case: &Case, verifier: Verifier) -> CaseResult {
    if let Some(s) = skipped(case) {
        return s;
    }
    let (actual, context) = match diagnose::diagnose(&request(case, verifier)) {
        Ok(d) => {
            let codes: Vec<&str> = d
                .findings
                .iter()
                .filter(|f| f.severity == mtlskit_inspect::Severity::Error)
                .map(|f| f.code.as_str())
                .collect();
            let actual = match d.verdict {
                Verdict::Accepted => Outcome::Success,
                Verdict::Rejected => Outcome::Failure,
            };
            (actual, codes.join(","))
        }
        Err(e) => (Outcome::Failure, format!("unreadable: {e}")),
    };
    CaseResult {
        id: case.id.clone(),
        actual,
        context,
    }
}

/// The proxy's verifier's answer for one case: for CLIENT cases, the client-certificate
/// verifier `mtlskit serve` builds for a config whose `client_ca` is the case's trust anchors
/// (`mtlskit_proxy::client_verifier`); for SERVER cases, rustls's WebPkiServerVerifier over the
/// same roots with aws-lc-rs, as the proxy's upstream connections verify (`trusted_ca`).
pub fn run_proxy(case: &Case, scratch: &Path) -> CaseResult {
    if let Some(s) = skipped(case) {
        return s;
    }
    let (actual, context) = match proxy_verify(case, scratch) {
        Ok(()) => (Outcome::Success, String::new()),
        Err(e) => (Outcome::Failure, e),
    };
    CaseResult {
        id: case.id.clone(),
        actual,
        context,
    }
}

fn proxy_verify(case: &Case, scratch: &Path) -> Result<(), String> {
    use rustls::client::danger::ServerCertVerifier;
    use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
    let peer = CertificateDer::from(case.peer.clone());
    let intermediates: Vec<CertificateDer<'static>> = case
        .intermediates
        .iter()
        .map(|d| CertificateDer::from(d.clone()))
        .collect();
    let secs = u64::try_from(case.time.0).unwrap_or(0);
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    match case.role {
        Role::Client => {
            let verifier = proxy_client_verifier(case, scratch)?;
            verifier
                .verify_client_cert(&peer, &intermediates, now)
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        }
        Role::Server => {
            let mut roots = rustls::RootCertStore::empty();
            for t in &case.trusted {
                roots
                    .add(CertificateDer::from(t.clone()))
                    .map_err(|e| format!("trust anchor refused: {e:?}"))?;
            }
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let crls: Vec<CertificateRevocationListDer<'static>> = case
                .crls
                .iter()
                .map(|d| CertificateRevocationListDer::from(d.clone()))
                .collect();
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .with_crls(crls)
            .build()
            .map_err(|e| format!("{e:?}"))?;
            let name = case
                .peer_name
                .as_ref()
                .map_or("localhost", |n| n.value.as_str());
            let name = ServerName::try_from(name.to_string()).map_err(|e| format!("{e:?}"))?;
            verifier
                .verify_server_cert(&peer, &intermediates, &name, &[], now)
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        }
    }
}

/// `mtlskit serve`'s client verifier for the case: a config in `scratch` naming the case's
/// anchors as `client_ca` and its CRLs as `crl`, with `verify_depth` from the case.
fn proxy_client_verifier(
    case: &Case,
    scratch: &Path,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String> {
    let dir = scratch.join(case.id.replace("::", "__"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let write = |name: &str, label: &str, ders: &[Vec<u8>]| -> Result<(), String> {
        let text: String = ders
            .iter()
            .map(|d| mtlskit_inspect::pem::encode(label, d))
            .collect();
        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())
    };
    write("ca.pem", "CERTIFICATE", &case.trusted)?;
    let mut crl_lines = String::new();
    for (i, crl) in case.crls.iter().enumerate() {
        let name = format!("crl{i}.pem");
        write(&name, "X509 CRL", std::slice::from_ref(crl))?;
        crl_lines.push_str(&format!("\"{name}\", "));
    }
    // The server's own certificate and key: any pair will do.
    let server = server_identity(scratch)?;
    // verify_depth counts the CAs above the client's certificate: the intermediates plus the
    // anchor (docs/config.md). Without a limit in the case, the most the config allows (the
    // chain a client may send, verify_depth + 2, is at most 16 certificates).
    let depth = case.max_chain_depth.map_or(14, |d| (d + 1).min(14));
    let config = format!(
        "[server]\nlisten = [\"127.0.0.1:0\"]\ncertificate = \"{cert}\"\nkey = \"{key}\"\n\
         client_ca = \"ca.pem\"\nverify_depth = {depth}\ncrl = [{crl_lines}]\n\
         [[location]]\npath = \"/\"\nupstream = \"http://127.0.0.1:9\"\n",
        cert = server.0.display(),
        key = server.1.display(),
    );
    let path = dir.join("mtlskit.toml");
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    let config = mtlskit_proxy::Config::load(&path).map_err(|e| e.to_string())?;
    mtlskit_proxy::client_verifier(&config).map_err(|e| e.to_string())
}

/// A server certificate and key in `scratch` (made once).
fn server_identity(scratch: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    let (cert, key) = (scratch.join("server.pem"), scratch.join("server.key"));
    if !cert.exists() {
        let status = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=limbo harness", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| format!("openssl: {e}"))?;
        if !status.success() {
            return Err("openssl could not make the harness's server certificate".into());
        }
    }
    Ok((cert, key))
}

/// limbo's result file.
pub fn results_json(harness: &str, results: &[CaseResult]) -> String {
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "actual_result": r.actual.as_str(),
                "context": r.context,
            })
        })
        .collect();
    let json = serde_json::json!({"version": 1, "harness": harness, "results": results});
    format!("{json:#}\n")
}

/// Agreement counts of one harness.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases run whose result is the expected one.
    pub agree: usize,
    /// Expected FAILURE, got SUCCESS.
    pub false_accepts: Vec<String>,
    /// Expected SUCCESS, got FAILURE.
    pub false_rejects: Vec<String>,
    /// Not run.
    pub skipped: usize,
}

impl Summary {
    /// Counts `results` against the cases' expectations.
    pub fn of(cases: &[Case], results: &[CaseResult]) -> Self {
        let mut s = Summary::default();
        for (case, r) in cases.iter().zip(results) {
            match (case.expected, r.actual) {
                (_, Outcome::Skipped) => s.skipped += 1,
                (want, got) if want == got => s.agree += 1,
                (Outcome::Failure, _) => s.false_accepts.push(case.id.clone()),
                _ => s.false_rejects.push(case.id.clone()),
            }
        }
        s
    }

    /// Cases that disagree.
    pub fn disagree(&self) -> usize {
        self.false_accepts.len() + self.false_rejects.len()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} agree, {} disagree ({} false accepts, {} false rejects), {} skipped",
            self.agree,
            self.disagree(),
            self.false_accepts.len(),
            self.false_rejects.len(),
            self.skipped
        )
    }
}

/// The cases the proxy's verifier refuses and the diagnosis, asked as the proxy
/// ([`Verifier::Rustls`]), accepts: a refusal the engine would call fine.
pub fn unexplained_refusals(
    cases: &[Case],
    proxy: &[CaseResult],
    as_proxy: &[CaseResult],
) -> Vec<String> {
    cases
        .iter()
        .zip(proxy.iter().zip(as_proxy))
        .filter(|(_, (p, d))| p.actual == Outcome::Failure && d.actual == Outcome::Success)
        .map(|(c, (p, _))| {
            format!(
                "{}: the proxy refuses it ({}), diagnose accepts it",
                c.id, p.context
            )
        })
        .collect()
}

/// `testdata/limbo/exceptions.toml`: per harness, the cases that disagree, each with a reason.
pub type Exceptions = BTreeMap<String, BTreeMap<String, String>>;

/// Reads the exceptions file: `[[diagnose]]` / `[[proxy]]` tables with `id` and `reason`.
pub fn exceptions(path: &Path) -> Result<Exceptions, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Exceptions::new();
    for (harness, list) in table {
        let list = list
            .as_array()
            .ok_or_else(|| format!("{}: [{harness}] is not a list", path.display()))?;
        let entries = out.entry(harness.clone()).or_default();
        for e in list {
            let (Some(id), Some(reason)) = (
                e.get("id").and_then(|v| v.as_str()),
                e.get("reason").and_then(|v| v.as_str()),
            ) else {
                return Err(format!(
                    "{}: every [[{harness}]] needs an id and a reason",
                    path.display()
                ));
            };
            entries.insert(id.to_string(), reason.to_string());
        }
    }
    Ok(out)
}

/// What is wrong with `results` of `harness` given the exceptions: an unlisted disagreement,
/// a listed case that agrees (or was not run), and, unless `false_accepts_listable`, a false
/// accept listed at all (the diagnosis may not hide one; the proxy's rustls-webpki is not ours
/// to fix).
pub fn exception_problems(
    harness: &str,
    cases: &[Case],
    results: &[CaseResult],
    exceptions: &Exceptions,
    false_accepts_listable: bool,
) -> Vec<String> {
    let empty = BTreeMap::new();
    let listed = exceptions.get(harness).unwrap_or(&empty);
    let mut problems = Vec::new();
    for (case, r) in cases.iter().zip(results) {
        let disagrees = r.actual != Outcome::Skipped && r.actual != case.expected;
        match (disagrees, listed.contains_key(&case.id)) {
            (true, false) => problems.push(format!(
                "{harness}: {} expected {}, got {} ({}): fix it, or list it in exceptions.toml with a reason",
                case.id,
                case.expected.as_str(),
                r.actual.as_str(),
                r.context
            )),
            (false, true) => problems.push(format!(
                "{harness}: {} is listed in exceptions.toml but now {}: remove it from the list",
                case.id,
                if r.actual == Outcome::Skipped { "is skipped" } else { "agrees" }
            )),
            (true, true) if case.expected == Outcome::Failure && !false_accepts_listable => problems.push(format!(
                "{harness}: {} is a false accept; those may not be excepted",
                case.id
            )),
            _ => {}
        }
    }
    for id in listed.keys() {
        if !cases.iter().any(|c| &c.id == id) {
            problems.push(format!(
                "{harness}: {id} in exceptions.toml is no case of the suite"
            ));
        }
    }
    problems
}

/// The cases the proxy's verifier accepts and the diagnosis refuses where no error finding
/// says that the proxy (`mtlskit serve`) accepts it: a user would be told a working
/// certificate is broken.
pub fn unflagged_refusals(cases: &[Case], proxy: &[CaseResult]) -> Vec<String> {
    let mut out = Vec::new();
    for (case, p) in cases.iter().zip(proxy) {
        if p.actual != Outcome::Success || !unimplemented(case).is_empty() {
            continue;
        }
        let Ok(d) = diagnose::diagnose(&request(case, Verifier::Rfc5280)) else {
            continue;
        };
        let errors: Vec<&mtlskit_inspect::Finding> = d
            .findings
            .iter()
            .filter(|f| f.severity == mtlskit_inspect::Severity::Error)
            .collect();
        if !errors.is_empty() && !errors.iter().any(|f| f.message.contains("mtlskit serve")) {
            let codes: Vec<&str> = errors.iter().map(|f| f.code.as_str()).collect();
            out.push(format!("{}: {}", case.id, codes.join(",")));
        }
    }
    out
}
