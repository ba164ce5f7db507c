//! The answers across the connections of a capture (the report's `summary`, docs/report-format.md,
//! "Captures read as a stream"): handshakes by outcome (the capture diagnosis's, one fact) and
//! diagnosis code, by version, suite, JA4 and
//! server name, the client certificates' issuers and subjects, the certificates seen on the
//! wire that expire soon, and the failures per minute; and the filter that picks connections.
//!
//! Computed here once, connection by connection as the streaming reader finishes them (the
//! counts only, never the connections), so the CLI's `--summary` and the page render the same
//! facts.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use super::model::{ClientCertificate, Connection};
use crate::diagnose::capture::Outcome;
use crate::finding::Finding;
use crate::time::Timestamp;

/// Distinct values kept per table; the rest are counted under [`OTHER`], so a capture of a
/// million distinct client certificates does not hold a million strings.
const MAX_DISTINCT: usize = 10_000;
/// The row that counts values beyond [`MAX_DISTINCT`].
pub const OTHER: &str = "(other)";

/// One row of a table: a value and how many TLS connections have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The value ("TLS 1.3", a JA4, a subject DN, a finding code, "(none)" when absent).
    pub value: String,
    /// TLS connections with it.
    pub connections: usize,
}

/// A certificate seen on the wire that expires within the window (or has expired).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expiring {
    /// "client" or "server": whose Certificate message carried it.
    pub role: &'static str,
    /// The subject DN.
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// The end of validity, RFC 3339.
    pub not_after: String,
    /// Days from "now" to `not_after` (negative: expired).
    pub days_left: i64,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256: String,
    /// TLS connections that carried it.
    pub connections: usize,
}

/// Handshakes of one minute (by each connection's first packet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Minute {
    /// The minute, `2024-01-02T03:04Z`.
    pub minute: String,
    /// TLS connections that started in it.
    pub handshakes: usize,
    /// Those whose handshake failed.
    pub failed: usize,
}

/// Handshakes by outcome, as the capture diagnosis tells each one
/// ([`crate::diagnose::capture::Outcome`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    /// See [`Outcome::Completed`].
    pub completed: usize,
    /// See [`Outcome::Failed`].
    pub failed: usize,
    /// See [`Outcome::Unknown`].
    pub unknown: usize,
    /// See [`Outcome::NoHandshake`].
    pub no_handshake: usize,
}

/// The answers across connections (docs/report-format.md, "Capture summary").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// "pcap" or "pcapng".
    pub format: String,
    /// Every packet in the file.
    pub packets: usize,
    /// About the file and its packets (a truncated or damaged file, skipped packets).
    pub file_findings: Vec<Finding>,
    /// TLS connections counted (after the filter, if any).
    pub connections: usize,
    /// TCP connections without TLS (not filtered: they have no TLS fields).
    pub other_connections: usize,
    /// Handshakes by outcome.
    pub outcomes: Outcomes,
    /// Finding codes, each counted once per connection that has it (handshake diagnosis,
    /// TCP and TLS findings).
    pub codes: Vec<Count>,
    /// Negotiated versions ("(none)": no ServerHello).
    pub versions: Vec<Count>,
    /// Chosen cipher suites, by IANA name.
    pub cipher_suites: Vec<Count>,
    /// The clients' JA4 fingerprints.
    pub ja4: Vec<Count>,
    /// Server names the clients sent (SNI).
    pub server_names: Vec<Count>,
    /// What became of the client certificate (sent, empty, not_sent, encrypted, "(none)").
    pub client_certificates: Vec<Count>,
    /// The issuers of the client certificates sent (top N).
    pub client_issuers: Vec<Count>,
    /// The subjects of the client certificates sent (top N).
    pub client_subjects: Vec<Count>,
    /// Certificates seen on the wire that expire within the window, soonest first.
    pub expiring: Vec<Expiring>,
    /// The window of `expiring`, in days.
    pub expiring_within_days: i64,
    /// Handshakes and failures per minute, in time order.
    pub per_minute: Vec<Minute>,
}

/// A table being counted.
#[derive(Clone, Debug, Default)]
struct Table(BTreeMap<String, usize>);

impl Table {
    fn add(&mut self, value: &str) {
        if let Some(n) = self.0.get_mut(value) {
            *n += 1;
        } else if self.0.len() < MAX_DISTINCT {
            self.0.insert(value.to_string(), 1);
        } else {
            *self.0.entry(OTHER.to_string()).or_insert(0) += 1;
        }
    }

    /// The rows by count, largest first (ties by value); at most `top` when given.
    fn rows(self, top: Option<usize>) -> Vec<Count> {
        let mut rows: Vec<Count> = self
            .0
            .into_iter()
            .map(|(value, connections)| Count { value, connections })
            .collect();
        rows.sort_by(|a, b| {
            b.connections
                .cmp(&a.connections)
                .then_with(|| a.value.cmp(&b.value))
        });
        if let Some(top) = top {
            rows.truncate(top);
        }
        rows
    }
}

/// Counts connections into a [`Summary`], one at a time.
#[derive(Clone, Debug)]
pub struct SummaryBuilder {
    file: Option<super::Trailer>,
    now: Option<Timestamp>,
    within_days: i64,
    connections: usize,
    other: usize,
    outcomes: Outcomes,
    codes: Table,
    versions: Table,
    suites: Table,
    ja4: Table,
    server_names: Table,
    client_certificates: Table,
    issuers: Table,
    subjects: Table,
    expiring: BTreeMap<String, Expiring>,
    minutes: BTreeMap<String, (usize, usize)>,
}

/// The value of an absent field in a table.
const NONE: &str = "(none)";

impl SummaryBuilder {
    /// Counts certificates expiring within `within_days` of `now` (none without `now`).
    pub fn new(now: Option<Timestamp>, within_days: i64) -> SummaryBuilder {
        SummaryBuilder {
            file: None,
            now,
            within_days,
            connections: 0,
            other: 0,
            outcomes: Outcomes::default(),
            codes: Table::default(),
            versions: Table::default(),
            suites: Table::default(),
            ja4: Table::default(),
            server_names: Table::default(),
            client_certificates: Table::default(),
            issuers: Table::default(),
            subjects: Table::default(),
            expiring: BTreeMap::new(),
            minutes: BTreeMap::new(),
        }
    }

    /// What the reader says about the file, once it is read.
    pub fn file(&mut self, trailer: &super::Trailer) {
        self.file = Some(super::Trailer {
            key_log: crate::decrypt::KeyLog::default(),
            ..trailer.clone()
        });
    }

    /// Counts a TCP connection without TLS.
    pub fn add_other(&mut self) {
        self.other += 1;
    }

    /// Counts one TLS connection.
    pub fn add(&mut self, c: &Connection) {
        self.connections += 1;
        let outcome = crate::diagnose::capture::connection(c).outcome;
        match outcome {
            Outcome::Completed => self.outcomes.completed += 1,
            Outcome::Failed => self.outcomes.failed += 1,
            Outcome::Unknown => self.outcomes.unknown += 1,
            Outcome::NoHandshake => self.outcomes.no_handshake += 1,
        }
        let mut codes: Vec<&'static str> = c.findings.iter().map(|f| f.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        for code in codes {
            self.codes.add(code);
        }
        let s = &c.summary;
        self.versions.add(s.version_name.as_deref().unwrap_or(NONE));
        self.suites
            .add(s.cipher_suite_name.as_deref().unwrap_or(NONE));
        let hello = c.client_to_server.client_hello.as_ref();
        self.ja4.add(
            hello
                .map(|h| h.ja4.as_str())
                .filter(|j| !j.is_empty())
                .unwrap_or(NONE),
        );
        self.server_names
            .add(s.server_name.as_deref().unwrap_or(NONE));
        self.client_certificates
            .add(s.client_certificate.map_or(NONE, ClientCertificate::as_str));
        if let Some(leaf) = c.client_to_server.certificates.first() {
            self.issuers.add(leaf.issuer.as_str());
            self.subjects.add(leaf.subject.as_str());
        }
        if let Some(now) = self.now {
            for (role, tls) in [
                ("client", &c.client_to_server),
                ("server", &c.server_to_client),
            ] {
                for cert in &tls.certificates {
                    let days_left = (cert.not_after_unix - now.0).div_euclid(86_400);
                    if days_left > self.within_days {
                        continue;
                    }
                    if let Some(e) = self.expiring.get_mut(&cert.sha256) {
                        e.connections += 1;
                    } else if self.expiring.len() < MAX_DISTINCT {
                        self.expiring.insert(
                            cert.sha256.clone(),
                            Expiring {
                                role,
                                subject: cert.subject.as_str().to_string(),
                                issuer: cert.issuer.as_str().to_string(),
                                not_after: cert.not_after.clone(),
                                days_left,
                                sha256: cert.sha256.clone(),
                                connections: 1,
                            },
                        );
                    }
                }
            }
        }
        if let Some(minute) = c.first_time.as_deref().and_then(|t| t.get(..16)) {
            let m = self.minutes.entry(minute.to_string()).or_insert((0, 0));
            m.0 += 1;
            if outcome == Outcome::Failed {
                m.1 += 1;
            }
        }
    }

    /// The summary, with at most `top` rows in the issuer and subject tables (`None`: all).
    pub fn finish(self, top: Option<usize>) -> Summary {
        let mut expiring: Vec<Expiring> = self.expiring.into_values().collect();
        expiring.sort_by(|a, b| {
            a.days_left
                .cmp(&b.days_left)
                .then_with(|| a.sha256.cmp(&b.sha256))
        });
        let file = self.file.unwrap_or_default();
        Summary {
            format: file.format.to_string(),
            packets: file.packets,
            file_findings: file.findings,
            connections: self.connections,
            other_connections: self.other,
            outcomes: self.outcomes,
            codes: self.codes.rows(None),
            versions: self.versions.rows(None),
            cipher_suites: self.suites.rows(None),
            ja4: self.ja4.rows(top),
            server_names: self.server_names.rows(top),
            client_certificates: self.client_certificates.rows(None),
            client_issuers: self.issuers.rows(top),
            client_subjects: self.subjects.rows(top),
            expiring,
            expiring_within_days: self.within_days,
            per_minute: self
                .minutes
                .into_iter()
                .map(|(m, (handshakes, failed))| Minute {
                    minute: alloc::format!("{m}Z"),
                    handshakes,
                    failed,
                })
                .collect(),
        }
    }
}

/// Picks connections: `sni=NAME`, `ja4=FINGERPRINT`, `code=FINDING_CODE`,
/// `subject=TEXT` (in the client certificate's subject DN), `addr=IP` or `addr=IP:PORT`
/// (either end; IPv6 as `[::1]:443`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// The server name the client sent (SNI), exactly (ASCII case ignored).
    ServerName(String),
    /// The client's JA4 fingerprint, exactly.
    Ja4(String),
    /// A finding code of the connection (`client_certificate_missing`, `tcp_gap`, ...).
    Code(String),
    /// Text in the client certificate's subject DN (ASCII case ignored).
    ClientSubject(String),
    /// The address of either end: an IP matches every port, `IP:PORT` one endpoint.
    Address(String),
}

/// Why a filter could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterError {
    /// Not `KEY=VALUE`.
    NoEquals(String),
    /// A key other than sni, ja4, code, subject, addr.
    UnknownKey(String),
    /// `KEY=` with nothing after it.
    EmptyValue(String),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::NoEquals(s) => write!(
                f,
                "filter '{s}' is not KEY=VALUE (keys: sni, ja4, code, subject, addr)"
            ),
            FilterError::UnknownKey(k) => write!(
                f,
                "filter key '{k}' is not one of sni, ja4, code, subject, addr"
            ),
            FilterError::EmptyValue(k) => write!(f, "filter '{k}=' has no value"),
        }
    }
}

impl core::error::Error for FilterError {}

impl Filter {
    /// Reads `KEY=VALUE`.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| FilterError::NoEquals(text.to_string()))?;
        let key = key.trim();
        let value = value.trim();
        if value.is_empty() {
            return Err(FilterError::EmptyValue(key.to_string()));
        }
        let value = value.to_string();
        Ok(match key {
            "sni" => Filter::ServerName(value),
            "ja4" => Filter::Ja4(value),
            "code" => Filter::Code(value),
            "subject" => Filter::ClientSubject(value),
            "addr" => Filter::Address(value),
            other => return Err(FilterError::UnknownKey(other.to_string())),
        })
    }

    /// Whether the connection matches.
    pub fn matches(&self, c: &Connection) -> bool {
        match self {
            Filter::ServerName(name) => c
                .summary
                .server_name
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(name)),
            Filter::Ja4(ja4) => c
                .client_to_server
                .client_hello
                .as_ref()
                .is_some_and(|h| h.ja4 == *ja4),
            Filter::Code(code) => c.findings.iter().any(|f| f.code.as_str() == code),
            Filter::ClientSubject(text) => {
                let text = text.to_ascii_lowercase();
                c.client_to_server
                    .certificates
                    .first()
                    .is_some_and(|leaf| leaf.subject.as_str().to_ascii_lowercase().contains(&text))
            }
            Filter::Address(addr) => [&c.client, &c.server].iter().any(|end| {
                *end == addr
                    || end
                        .rsplit_once(':')
                        .map(|(ip, _)| ip.trim_start_matches('[').trim_end_matches(']'))
                        == Some(addr.trim_start_matches('[').trim_end_matches(']'))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_reject() {
        assert_eq!(
            Filter::parse("sni=example.com"),
            Ok(Filter::ServerName("example.com".into()))
        );
        assert_eq!(
            Filter::parse("addr=[::1]:443"),
            Ok(Filter::Address("[::1]:443".into()))
        );
        assert!(matches!(
            Filter::parse("sni"),
            Err(FilterError::NoEquals(_))
        ));
        assert!(matches!(
            Filter::parse("port=1"),
            Err(FilterError::UnknownKey(_))
        ));
        assert!(matches!(
            Filter::parse("ja4="),
            Err(FilterError::EmptyValue(_))
        ));
    }

    #[test]
    fn tables_keep_the_largest_rows() {
        let mut t = Table::default();
        for v in ["b", "a", "b", "c", "c", "c"] {
            t.add(v);
        }
        let rows = t.rows(Some(2));
        assert_eq!(rows[0].value, "c");
        assert_eq!(rows[1].value, "b");
        assert_eq!(rows.len(), 2);
    }
}
