//! What the probe saw, as JSON (`--json`) and as text: the handshake decoded by the inspect
//! crate, the server's chain, the client-certificate exchange, alerts, the response, and a
//! verdict whose reason comes from the diagnosis engine.

use std::io;
use std::net::SocketAddr;
use std::path::Path;

use mtlskit_inspect::diagnose::alert;
use mtlskit_inspect::diagnose::{self, Request, Role, Source, Verdict};
use mtlskit_inspect::tls::{self, model::Tls};
use mtlskit_inspect::x509;
use mtlskit_inspect::Certificate;
use mtlskit_inspect::Name;
use mtlskit_inspect::{Code, Finding, ItemBody, Severity, Timestamp};
use serde::Serialize;

use crate::hooks::Seen;

/// Everything one probe saw; serialised as `mtlskit probe --json` prints it.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct ProbeReport {
    /// The URL as given.
    pub url: String,
    /// The name sent in SNI and verified.
    pub server_name: String,
    /// The server's address (unspecified when no connection was made).
    pub peer: SocketAddr,
    /// The probe's own address.
    #[serde(skip)]
    pub local: SocketAddr,
    /// The request got a response below 400.
    pub ok: bool,
    /// The outcome in one word.
    pub verdict: Outcome,
    /// Why it failed, in one sentence (the diagnosis engine's words where it has some).
    pub reason: Option<String>,
    /// What the handshake agreed on, when it finished.
    pub negotiated: Option<Negotiated>,
    /// The server's certificates, decoded.
    pub server_chain: Vec<Certificate>,
    /// `None` when the handshake never got to the server's certificate.
    pub server_certificate_problem: Option<String>,
    /// The server sent a CertificateRequest.
    pub client_certificate_requested: bool,
    /// The CA names of that CertificateRequest (RFC 4514).
    pub acceptable_cas: Vec<Name>,
    /// The subject of the certificate the probe sent, if it sent one.
    pub client_certificate_sent: Option<Name>,
    /// Alerts, from either side.
    pub alerts: Vec<AlertSeen>,
    /// The HTTP response, when one came.
    pub response: Option<Response>,
    /// What the diagnosis engine found about either chain.
    pub findings: Vec<Finding>,
    /// The bytes the probe sent, decoded.
    pub client_to_server: Option<Tls>,
    /// The bytes the server sent, decoded.
    pub server_to_client: Option<Tls>,
    /// The bytes the probe sent.
    #[serde(skip)]
    pub raw_to_server: Vec<u8>,
    /// The bytes the server sent.
    #[serde(skip)]
    pub raw_to_client: Vec<u8>,
    /// The order of the turns (sent by the probe, bytes), for the pcap.
    #[serde(skip)]
    pub turns: Vec<(bool, usize)>,
    /// The moment the probe evaluated certificates at.
    #[serde(skip)]
    pub now: Timestamp,
    #[serde(skip)]
    client_leaf: Option<Vec<u8>>,
    /// The connection's TLS secrets (never serialised; `Debug` shows a count).
    #[serde(skip)]
    pub(crate) secrets: crate::hooks::Secrets,
}

/// The outcome of a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A response below 400 came.
    Ok,
    /// Anything else; the report's `reason` says why.
    Failed,
}

/// What the handshake agreed on, as rustls reports it.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Negotiated {
    /// "TLS 1.3" or "TLS 1.2".
    pub version: String,
    /// The IANA name of the suite.
    pub cipher_suite: String,
    /// The ALPN protocol, if one was agreed.
    pub alpn: Option<String>,
    /// The session was resumed.
    pub resumed: bool,
}

impl Negotiated {
    pub(crate) fn from_connection(conn: &rustls::ClientConnection) -> Self {
        let version = conn
            .protocol_version()
            .and_then(|v| v.as_str())
            .unwrap_or("unknown")
            .replace("TLSv1_", "TLS 1.");
        let cipher_suite = conn
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            .unwrap_or("unknown")
            .to_string();
        let alpn = conn
            .alpn_protocol()
            .map(|a| String::from_utf8_lossy(a).into_owned());
        let resumed = conn
            .handshake_kind()
            .is_some_and(|k| k == rustls::HandshakeKind::Resumed);
        Self {
            version,
            cipher_suite,
            alpn,
            resumed,
        }
    }
}

/// An alert either side sent.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct AlertSeen {
    /// "client" or "server".
    pub from: &'static str,
    /// 1 warning, 2 fatal; `None` when only the TLS library reported it.
    pub level: Option<u8>,
    /// The alert's number.
    pub code: u8,
    /// Its name.
    pub description: String,
    /// What it means in an mTLS handshake, from the diagnosis engine.
    pub meaning: Option<&'static str>,
    /// Read from the bytes (false: reported by the TLS library, the record being encrypted).
    pub plaintext: bool,
}

/// The HTTP response, as read.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The whole first line.
    pub status_line: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), at most 1 MiB.
    pub body: String,
}

impl ProbeReport {
    pub(crate) fn new(url: &str, server_name: &str, now: Timestamp) -> Self {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        Self {
            url: url.to_string(),
            server_name: server_name.to_string(),
            peer: unspecified,
            local: unspecified,
            ok: false,
            verdict: Outcome::Failed,
            reason: None,
            negotiated: None,
            server_chain: Vec::new(),
            server_certificate_problem: None,
            client_certificate_requested: false,
            acceptable_cas: Vec::new(),
            client_certificate_sent: None,
            alerts: Vec::new(),
            response: None,
            findings: Vec::new(),
            client_to_server: None,
            server_to_client: None,
            raw_to_server: Vec::new(),
            raw_to_client: Vec::new(),
            turns: Vec::new(),
            now,
            client_leaf: None,
            secrets: crate::hooks::Secrets::default(),
        }
    }

    /// The connection's TLS secrets as NSS key log lines (what `SSLKEYLOGFILE` holds): a
    /// secret, for the caller to write only where the user asked.
    pub fn key_log(&self) -> String {
        self.secrets.text()
    }

    /// The recorded connection as a pcapng file with its TLS secrets in a Decryption Secrets
    /// Block, so it opens decrypted in `mtlskit inspect`, the web page and Wireshark.
    pub fn pcapng_with_secrets(&self) -> Vec<u8> {
        crate::pcap::to_pcapng(&self.pcap(), self.key_log().as_bytes())
    }

    /// The recorded connection as a pcap file.
    pub fn pcap(&self) -> Vec<u8> {
        crate::pcap::write(
            self.local,
            self.peer,
            &self.raw_to_server,
            &self.raw_to_client,
            &self.turns,
        )
    }

    /// Ends the probe with a reason and nothing else to show.
    pub(crate) fn failed(mut self, reason: String) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Records what the hooks and the bytes tell, whatever the outcome.
    pub(crate) fn fill(
        &mut self,
        ca: Option<&Path>,
        client_chain: &[Vec<u8>],
        seen: Seen,
        recording: crate::record::Recording,
    ) {
        let c2s = tls::decode(&recording.to_server, Some(self.now));
        let s2c = tls::decode(&recording.to_client, Some(self.now));
        for (decoded, from) in [(&c2s, Role::Client), (&s2c, Role::Server)] {
            for a in &decoded.tls.alerts {
                self.alerts.push(AlertSeen {
                    from: from.as_str(),
                    level: Some(a.level),
                    code: a.code,
                    description: a.description.clone(),
                    meaning: alert::explain(a.code, from),
                    plaintext: true,
                });
            }
        }
        self.server_chain = seen
            .server_chain
            .iter()
            .filter_map(
                |der| match x509::decode_certificate(der, Some(self.now)).map(|d| d.body) {
                    Ok(ItemBody::Certificate(c)) => Some(c),
                    _ => None,
                },
            )
            .collect();
        self.server_certificate_problem = seen.server_rejected.clone();
        if seen.server_rejected.is_some() {
            self.explain_server_chain(ca, &seen.server_chain);
        }
        self.client_certificate_requested =
            seen.client_cert_requested || s2c.tls.certificate_request.is_some();
        self.acceptable_cas = seen
            .acceptable_cas
            .iter()
            .map(|d| Name::from_der_lossy(d))
            .collect();
        self.client_leaf = client_chain.first().cloned();
        if seen.client_cert_sent {
            self.client_certificate_sent = self.client_leaf.as_deref().and_then(subject_of);
        }
        self.client_to_server = Some(c2s.tls);
        self.server_to_client = Some(s2c.tls);
        self.raw_to_server = recording.to_server;
        self.raw_to_client = recording.to_client;
        self.turns = recording.turns;
    }

    /// Why the server's chain was refused, in the diagnosis engine's words.
    fn explain_server_chain(&mut self, ca: Option<&Path>, chain: &[Vec<u8>]) {
        let bundle_path = ca.map_or_else(
            || "/etc/ssl/certs/ca-certificates.crt".into(),
            |p| p.display().to_string(),
        );
        let Ok(bundle) = std::fs::read(&bundle_path) else {
            return;
        };
        let Ok(anchors) = diagnose::certificates_in(&bundle) else {
            return;
        };
        let request = Request {
            anchors: anchors
                .iter()
                .enumerate()
                .map(|(i, der)| Source {
                    der,
                    origin: format!("{bundle_path} #{i}"),
                })
                .collect(),
            chain: chain
                .iter()
                .enumerate()
                .map(|(i, der)| Source {
                    der,
                    origin: format!("server certificate #{i}"),
                })
                .collect(),
            key_spki_sha256: None,
            role: Role::Server,
            host: Some(self.server_name.clone()),
            now: self.now,
            ..Default::default()
        };
        if let Ok(d) = diagnose::diagnose(&request) {
            if d.verdict == Verdict::Rejected {
                self.findings.extend(d.findings);
            }
        }
    }

    pub(crate) fn succeeded(&mut self, negotiated: Negotiated, response: &[u8]) {
        self.negotiated = Some(negotiated);
        self.response = parse_response(response);
    }

    /// A TLS or I/O error during the handshake, the request or the response.
    pub(crate) fn tls_error(&mut self, stage: &str, e: &io::Error) {
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
        let reason = match inner {
            Some(rustls::Error::AlertReceived(desc)) => {
                let code = u8::from(*desc);
                if !self
                    .alerts
                    .iter()
                    .any(|a| a.from == "server" && a.code == code)
                {
                    self.alerts.push(AlertSeen {
                        from: "server",
                        level: None,
                        code,
                        description: tls::names::alert(code)
                            .map_or_else(|| format!("{desc:?}"), str::to_string),
                        meaning: alert::explain(code, Role::Server),
                        plaintext: false,
                    });
                }
                let meaning =
                    alert::explain(code, Role::Server).unwrap_or("the server sent an alert");
                let when = if stage == "handshake" {
                    "during the handshake"
                } else {
                    "after the handshake"
                };
                format!("{when}, {meaning}")
            }
            Some(rustls::Error::InvalidCertificate(err)) => {
                format!("the server's certificate was refused: {err:?}")
            }
            Some(other) => format!("TLS error during the {stage}: {other}"),
            None => format!("the connection failed during the {stage}: {e}"),
        };
        self.reason = Some(reason);
    }

    /// Adds what the client-certificate exchange explains, and sets the verdict.
    pub(crate) fn conclude(&mut self) {
        if self.client_certificate_requested && self.client_certificate_sent.is_none() {
            self.findings.push(Finding::error(
                Code::ClientCertificateMissing,
                "the server asked for a client certificate and the probe sent none; pass --cert and --key",
            ));
        }
        if let (Some(_), Some(leaf)) = (&self.client_certificate_sent, self.client_leaf.clone()) {
            self.check_own_certificate(&leaf);
        }
        let status = self.response.as_ref().map(|r| r.status);
        self.ok = self.reason.is_none() && status.is_some_and(|s| s < 400);
        if let (None, Some(r)) = (&self.reason, &self.response) {
            if r.status >= 400 {
                let detail = if r.body.contains("No required SSL certificate was sent") {
                    " (nginx: the server requires a client certificate and none was sent)"
                } else if r.body.contains("The SSL certificate error") {
                    " (nginx: the client certificate failed verification)"
                } else {
                    ""
                };
                self.reason = Some(format!("the server answered {}{detail}", r.status_line));
            }
        }
        self.verdict = if self.ok {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }

    /// Our own certificate's problems, and whether its issuer is among the CAs the server named.
    fn check_own_certificate(&mut self, leaf: &[u8]) {
        if let Ok(d) = x509::decode_certificate(leaf, Some(self.now)) {
            self.findings.extend(
                d.findings
                    .into_iter()
                    .filter(|f| f.severity == Severity::Error),
            );
            if let ItemBody::Certificate(c) = d.body {
                if !self.acceptable_cas.is_empty() && !self.acceptable_cas.contains(&c.issuer) {
                    self.findings.push(Finding::warning(
                        Code::ClientCertificateRejected,
                        format!(
                            "the server accepts client certificates issued by {}; the probe's is issued by {}",
                            Name::list(&self.acceptable_cas),
                            c.issuer
                        ),
                    ));
                }
            }
        }
    }
}

fn subject_of(der: &[u8]) -> Option<Name> {
    x509::certificate_facts(der).ok().map(|f| f.subject)
}

fn parse_response(bytes: &[u8]) -> Option<Response> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status_line = lines.next()?.trim().to_string();
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Response {
        status,
        status_line,
        headers,
        body: body.to_string(),
    })
}
