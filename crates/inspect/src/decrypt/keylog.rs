//! The NSS key log format: one secret a line, `LABEL <client_random hex> <secret hex>`, as
//! `SSLKEYLOGFILE` (NSS, OpenSSL's `-keylogfile`, curl, Python's `keylog_filename`, rustls'
//! `KeyLog`) writes it, and as a pcapng Decryption Secrets Block carries it.
//!
//! The secrets are kept in [`Secret`], whose `Debug` shows only its length: nothing here prints
//! or serialises a secret. A line that cannot be read is counted with its number and the
//! reason, never its text.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

/// The labels of the NSS key log format (the NSS "Key Log Format" page; RFC 9850 section 4.1
/// for the TLS 1.3 ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    /// `CLIENT_RANDOM`: the TLS 1.2 (and older) master secret.
    ClientRandom,
    /// `CLIENT_EARLY_TRAFFIC_SECRET`: TLS 1.3 0-RTT data.
    ClientEarlyTrafficSecret,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`: the client's TLS 1.3 handshake messages.
    ClientHandshakeTrafficSecret,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`: the server's TLS 1.3 handshake messages.
    ServerHandshakeTrafficSecret,
    /// `CLIENT_TRAFFIC_SECRET_0`: the client's first TLS 1.3 application traffic secret.
    ClientTrafficSecret0,
    /// `SERVER_TRAFFIC_SECRET_0`: the server's first TLS 1.3 application traffic secret.
    ServerTrafficSecret0,
    /// `EARLY_EXPORTER_SECRET`: not used for decryption.
    EarlyExporterSecret,
    /// `EXPORTER_SECRET`: not used for decryption.
    ExporterSecret,
}

impl Label {
    /// Every label, in the order the report lists them.
    pub const ALL: [Label; 8] = [
        Label::ClientRandom,
        Label::ClientEarlyTrafficSecret,
        Label::ClientHandshakeTrafficSecret,
        Label::ServerHandshakeTrafficSecret,
        Label::ClientTrafficSecret0,
        Label::ServerTrafficSecret0,
        Label::EarlyExporterSecret,
        Label::ExporterSecret,
    ];

    /// The label as the key log writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Label::ClientRandom => "CLIENT_RANDOM",
            Label::ClientEarlyTrafficSecret => "CLIENT_EARLY_TRAFFIC_SECRET",
            Label::ClientHandshakeTrafficSecret => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Label::ServerHandshakeTrafficSecret => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Label::ClientTrafficSecret0 => "CLIENT_TRAFFIC_SECRET_0",
            Label::ServerTrafficSecret0 => "SERVER_TRAFFIC_SECRET_0",
            Label::EarlyExporterSecret => "EARLY_EXPORTER_SECRET",
            Label::ExporterSecret => "EXPORTER_SECRET",
        }
    }

    fn parse(word: &[u8]) -> Option<Label> {
        Label::ALL
            .into_iter()
            .find(|l| l.as_str().as_bytes() == word)
    }
}

display_as_str!(Label);

/// A secret from a key log. Its `Debug` shows the length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The secret's bytes, for the key schedule.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// The secrets a key log holds for one client random (one connection).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    by_label: BTreeMap<Label, Secret>,
}

impl Secrets {
    /// The secret of `label`, if the key log has it.
    pub(crate) fn get(&self, label: Label) -> Option<&Secret> {
        self.by_label.get(&label)
    }

    /// The labels present, in [`Label::ALL`] order.
    pub fn labels(&self) -> Vec<Label> {
        self.by_label.keys().copied().collect()
    }
}

/// Why a line of a key log was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// The first word is not a label of the format.
    UnknownLabel,
    /// Not three words separated by spaces.
    NotThreeFields,
    /// The client random is not 32 bytes of hex.
    BadClientRandom,
    /// The secret is not hex, or has a length no TLS secret has.
    BadSecret,
}

impl LineProblem {
    /// One phrase for the report.
    pub const fn as_str(self) -> &'static str {
        match self {
            LineProblem::UnknownLabel => "the label is not one of the NSS key log format",
            LineProblem::NotThreeFields => "it is not `LABEL CLIENT_RANDOM SECRET`",
            LineProblem::BadClientRandom => "the client random is not 64 hex digits",
            LineProblem::BadSecret => "the secret is not 32, 48 or 64 bytes of hex",
        }
    }
}

display_as_str!(LineProblem);

/// A parsed key log: secrets by client random, and the lines that could not be used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLog {
    by_random: BTreeMap<[u8; 32], Secrets>,
    /// Lines that held a secret.
    pub secret_lines: usize,
    /// The lines that could not be used: (line number from 1, why). Never their text.
    pub problems: Vec<(usize, LineProblem)>,
}

/// At most this many problem lines are kept (a binary file fed as a key log has many).
const MAX_PROBLEMS: usize = 16;

impl KeyLog {
    /// Reads a key log. Comments (`#`), blank lines and CR line ends are allowed; every other
    /// line that is not a secret is noted in `problems` (the first 16).
    pub fn parse(text: &[u8]) -> KeyLog {
        let mut log = KeyLog::default();
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim(line);
            if line.is_empty() || line.first() == Some(&b'#') {
                continue;
            }
            if later_generation(line) {
                continue;
            }
            match parse_line(line) {
                Ok((label, random, secret)) => {
                    log.secret_lines += 1;
                    log.by_random
                        .entry(random)
                        .or_default()
                        .by_label
                        .entry(label)
                        .or_insert(secret);
                }
                Err(problem) => {
                    if log.problems.len() < MAX_PROBLEMS {
                        log.problems.push((n + 1, problem));
                    }
                }
            }
        }
        log
    }

    /// Adds the secrets of another key log (a file and a capture's Decryption Secrets Blocks).
    pub fn merge(&mut self, other: KeyLog) {
        for (random, secrets) in other.by_random {
            let entry = self.by_random.entry(random).or_default();
            for (label, secret) in secrets.by_label {
                entry.by_label.entry(label).or_insert(secret);
            }
        }
        self.secret_lines += other.secret_lines;
        self.problems.extend(other.problems);
        self.problems.truncate(MAX_PROBLEMS);
    }

    /// The secrets for a connection's client random.
    pub fn get(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.by_random.get(client_random)
    }

    /// How many client randoms (connections) the key log has secrets for.
    pub fn client_randoms(&self) -> usize {
        self.by_random.len()
    }

    /// Whether the key log holds no secret at all.
    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }
}

/// Whether `bytes` start like a key log: the first line that is not blank or a comment
/// starts with a label of the format.
pub fn looks_like_key_log(bytes: &[u8]) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .map(trim)
        .find(|l| !l.is_empty() && l.first() != Some(&b'#'))
        .and_then(|l| l.split(|&b| b == b' ').next())
        .is_some_and(|word| Label::parse(word).is_some())
}

/// A later application traffic secret (OpenSSL 3.0 writes `CLIENT_TRAFFIC_SECRET_N` after a
/// KeyUpdate): not a label of the format, and not needed: each generation is derived from the
/// one before (RFC 8446 7.2).
fn later_generation(line: &[u8]) -> bool {
    [&b"CLIENT_TRAFFIC_SECRET_"[..], b"SERVER_TRAFFIC_SECRET_"]
        .iter()
        .any(|p| line.starts_with(p) && !line.get(p.len()..).is_some_and(|r| r.starts_with(b"0 ")))
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    line.get(start..end).unwrap_or_default()
}

fn parse_line(line: &[u8]) -> Result<(Label, [u8; 32], Secret), LineProblem> {
    let mut words = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let (Some(label), Some(random), Some(secret), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(
            match Label::parse(line.split(|&b| b == b' ').next().unwrap_or_default()) {
                None => LineProblem::UnknownLabel,
                Some(_) => LineProblem::NotThreeFields,
            },
        );
    };
    let label = Label::parse(label).ok_or(LineProblem::UnknownLabel)?;
    let random: [u8; 32] = unhex(random)
        .and_then(|r| r.try_into().ok())
        .ok_or(LineProblem::BadClientRandom)?;
    let secret = unhex(secret)
        .filter(|s| matches!(s.len(), 32 | 48 | 64))
        .ok_or(LineProblem::BadSecret)?;
    Ok((label, random, Secret(secret)))
}

/// Bytes of an even number of hex digits.
pub(crate) fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| {
            let digit = |c: u8| char::from(c).to_digit(16);
            Some((digit(pair[0])? << 4 | digit(pair[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloc::format;

    const RANDOM: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";

    #[test]
    fn reads_labels_skips_comments_and_notes_bad_lines_without_their_text() {
        let secret = "11".repeat(48);
        let text = format!(
            "# SSL/TLS secrets log file\r\n\nCLIENT_RANDOM {RANDOM} {secret}\r\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {RANDOM} {}\nBOGUS {RANDOM} 00\n\
             CLIENT_RANDOM {RANDOM}\nCLIENT_RANDOM abcd {secret}\nEXPORTER_SECRET {RANDOM} 0g\n\
             CLIENT_TRAFFIC_SECRET_N {RANDOM} {secret}\n",
            "22".repeat(32)
        );
        assert!(looks_like_key_log(text.as_bytes()));
        let log = KeyLog::parse(text.as_bytes());
        assert_eq!(log.secret_lines, 2);
        assert_eq!(log.client_randoms(), 1);
        let random: [u8; 32] = unhex(RANDOM.as_bytes()).unwrap().try_into().unwrap();
        let s = log.get(&random).unwrap();
        assert_eq!(
            s.labels(),
            [Label::ClientRandom, Label::ServerHandshakeTrafficSecret]
        );
        assert_eq!(
            log.problems,
            [
                (5, LineProblem::UnknownLabel),
                (6, LineProblem::NotThreeFields),
                (7, LineProblem::BadClientRandom),
                (8, LineProblem::BadSecret)
            ]
        );
        let shown = format!("{log:?}");
        assert!(
            !shown.contains("1111") && shown.contains("<48 bytes>"),
            "{shown}"
        );
        assert!(!looks_like_key_log(b"-----BEGIN CERTIFICATE-----\n"));
    }
}
