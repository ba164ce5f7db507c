//! The client/server ladder of a TLS item: one rung per record (handshake messages named,
//! ChangeCipherSpec, alerts, application data), on the side of the peer that sent it, with the
//! connection summary and the inspect crate's explanations on top.
//!
//! A `tls` item is one direction of a byte stream, so its rungs are all on one side (the side its
//! ClientHello or ServerHello shows); a capture pairs two directions into one ladder when the
//! inspect crate reports captures.

use mtlskit_inspect::tls::model::{Record, Role, Tls};
use mtlskit_inspect::tls::names;

/// Which peer sent a rung.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client: its records are on the left.
    Client,
    /// The server: its records are on the right.
    Server,
    /// The direction could not be told (no hello seen).
    Unknown,
}

/// One record of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rung {
    /// The peer that sent the record.
    pub side: Side,
    /// "Handshake: client_hello", "ChangeCipherSpec", "Alert (encrypted)", "ApplicationData".
    pub label: String,
    /// "TLS 1.2, 512 bytes".
    pub detail: String,
    /// The record's first byte in the stream (spans of the item's tree and hex view).
    pub offset: usize,
    /// Whether the record is protected (its content type and messages cannot be read
    /// without keys).
    pub encrypted: bool,
    /// The record was decrypted with a key log: the label names what it held.
    pub decrypted: bool,
}

/// The headline and the explanations of one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headline {
    /// "client → server: TLS 1.3, TLS_AES_128_GCM_SHA256, ALPN h2, SNI example.com".
    pub text: String,
    /// The inspect crate's sentences on this direction ("The server asked for a client
    /// certificate (CertificateRequest).", what TLS 1.3 hides, what the key log decrypted).
    pub notes: Vec<String>,
}

/// The side a direction is on: the role its hello shows.
pub fn side(tls: &Tls) -> Side {
    match tls.summary.role {
        Some(Role::Client) => Side::Client,
        Some(Role::Server) => Side::Server,
        None => Side::Unknown,
    }
}

/// The rungs of one direction, in stream order.
pub fn rungs(tls: &Tls) -> Vec<Rung> {
    let side = side(tls);
    (0..tls.records.len())
        .filter_map(|i| rung_of(tls, i, side))
        .collect()
}

/// The rung of record `index` of a direction: a decrypted record is named by what it held
/// (its real content type, the handshake messages that start in it, its alert), marked
/// decrypted; one that did not decrypt says so.
pub fn rung_of(tls: &Tls, index: usize, side: Side) -> Option<Rung> {
    let record = tls.records.get(index)?;
    let mut r = rung(record, side);
    let Some(d) = &record.decrypted else {
        return Some(r);
    };
    if !d.is_plain() {
        let content = content_name(record.content_type);
        r.label = format!(
            "{content} (encrypted, {})",
            d.status.as_str().replace('_', " ")
        );
        return Some(r);
    }
    let inner = d.content_type.unwrap_or(record.content_type);
    let content = content_name(inner);
    let messages: Vec<String> = tls
        .messages
        .iter()
        .filter(|m| m.decrypted_record == Some(index))
        .map(|m| names::handshake_type(m.type_code).map_or_else(|| m.kind.clone(), str::to_string))
        .collect();
    let alerts: Vec<String> = tls
        .alerts
        .iter()
        .filter(|a| a.decrypted_record == Some(index))
        .map(|a| a.to_string())
        .collect();
    let what = if messages.is_empty() {
        alerts
    } else {
        messages
    };
    r.label = if what.is_empty() {
        content
    } else {
        format!("{content}: {}", what.join(", "))
    };
    r.detail = format!("{}, decrypted {} bytes", r.detail, d.length);
    r.decrypted = true;
    Some(r)
}

fn content_name(code: u8) -> String {
    names::content_type(code).map_or_else(|| format!("content type {code}"), str::to_string)
}

/// The rung of one record sent by `side`: its content type (and messages) named, its version
/// and length.
pub fn rung(record: &Record, side: Side) -> Rung {
    let content = content_name(record.content_type);
    let label = if record.encrypted {
        format!("{content} (encrypted)")
    } else if record.handshake_types.is_empty() {
        content
    } else {
        let messages: Vec<String> = record
            .handshake_types
            .iter()
            .map(|&t| names::handshake_type(t).map_or_else(|| format!("type {t}"), str::to_string))
            .collect();
        format!("{content}: {}", messages.join(", "))
    };
    let version = names::version_name(record.version);
    Rung {
        side,
        label,
        detail: format!("{version}, {} bytes", record.length),
        offset: record.offset,
        encrypted: record.encrypted,
        decrypted: false,
    }
}

/// The connection summary of one direction.
pub fn headline(tls: &Tls) -> Headline {
    let s = &tls.summary;
    let parts = s.line_parts();
    let who = match side(tls) {
        Side::Client => "client → server",
        Side::Server => "server → client",
        Side::Unknown => "one direction",
    };
    Headline {
        text: if parts.is_empty() {
            who.to_string()
        } else {
            format!("{who}: {}", parts.join(", "))
        },
        notes: s.notes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_records_and_messages() {
        let hello = Record {
            content_type: 22,
            version: 0x0301,
            length: 512,
            offset: 0,
            handshake_types: vec![1],
            encrypted: false,
            decrypted: None,
        };
        let r = rung(&hello, Side::Client);
        assert!(
            r.label.starts_with("Handshake") || r.label.starts_with("handshake"),
            "{}",
            r.label
        );
        assert!(
            r.label.contains("client_hello") || r.label.contains("ClientHello"),
            "{}",
            r.label
        );
        assert!(r.detail.ends_with("512 bytes"));
        let data = Record {
            content_type: 23,
            version: 0x0303,
            length: 40,
            offset: 517,
            handshake_types: Vec::new(),
            encrypted: true,
            decrypted: None,
        };
        let r = rung(&data, Side::Server);
        assert!(r.label.ends_with("(encrypted)"));
        assert_eq!(r.offset, 517);
    }
}
