//! The summary line of an item: kind, name (subject CN or SNI), validity with days left, key,
//! and the worst finding's severity, which gives the card its colour.
//!
//! Kinds this module does not know yet (the report's `ItemBody` is non-exhaustive) still get a
//! line: their kind name.

use mtlskit_inspect::time::relative_days;
use mtlskit_inspect::{Item, ItemBody, Name, PublicKeyInfo};
use mtlskit_inspect::{Severity, Timestamp};

/// How a certificate stands at the chosen moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Within its validity period, for more than [`SOON_DAYS`] days.
    Valid,
    /// Valid, but for fewer than [`SOON_DAYS`] more days.
    Soon,
    /// Past its notAfter.
    Expired,
    /// Before its notBefore.
    NotYetValid,
}

/// Certificates that expire within this many days are flagged.
pub const SOON_DAYS: i64 = 30;

/// A certificate's or CRL's validity at the moment, for the summary line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validity {
    /// How it stands, for the colour of the text.
    pub standing: Standing,
    /// "valid until 2026-01-01 (in 200 days)", "expired 2020-01-01 (30 days ago)".
    pub text: String,
}

/// The summary line of one item, as a card lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// "certificate", "CA certificate", "CSR", "private key", or the report's kind name.
    pub kind: String,
    /// Subject CN (or the whole subject, or the first SAN), SNI, or a description.
    pub name: String,
    /// Validity at the moment, for certificates and CRLs with a nextUpdate.
    pub validity: Option<Validity>,
    /// "EC P-256", "RSA 2048", "Ed25519".
    pub key: Option<String>,
    /// The severity of the item's worst finding, which colours the line; `None` when it has
    /// none.
    pub worst: Option<Severity>,
}

/// The summary line of `item`, judged at `now`.
pub fn summarize(item: &Item, now: Timestamp) -> Summary {
    let worst = item.worst();
    let (kind, name, validity, key) = match &item.body {
        ItemBody::Certificate(c) => (
            if c.is_ca {
                "CA certificate"
            } else {
                "certificate"
            }
            .to_string(),
            subject_name(&c.subject)
                .or_else(|| c.san.first().map(ToString::to_string))
                .unwrap_or_else(|| "(empty subject)".to_string()),
            Some(validity(c.not_before_unix, c.not_after_unix, now)),
            Some(key_text(&c.public_key)),
        ),
        ItemBody::Csr(c) => (
            "CSR".to_string(),
            subject_name(&c.subject)
                .or_else(|| c.san.first().map(ToString::to_string))
                .unwrap_or_else(|| "(empty subject)".to_string()),
            None,
            Some(key_text(&c.public_key)),
        ),
        ItemBody::PrivateKey(k) | ItemBody::PublicKey(k) => {
            let info = PublicKeyInfo {
                algorithm: k.algorithm.clone(),
                bits: k.bits,
                curve: k.curve.clone(),
            };
            let kind = item.body.kind().replace('_', " ");
            let name = match k.matches.len() {
                0 => format!("{} {}", k.format, kind),
                1 => format!("{}, matches 1 certificate or CSR", k.format),
                n => format!("{}, matches {n} certificates or CSRs", k.format),
            };
            (kind, name, None, Some(key_text(&info)))
        }
        ItemBody::EncryptedPrivateKey(o) | ItemBody::Pkcs12(o) => (
            item.body.kind().replace('_', " "),
            o.format.clone(),
            None,
            None,
        ),
        ItemBody::Tls(tls) => (
            "TLS".to_string(),
            crate::ladder::headline(tls).text,
            None,
            None,
        ),
        ItemBody::Capture(cap) => (
            "capture".to_string(),
            crate::capture::headline(cap),
            None,
            None,
        ),
        ItemBody::Crl(c) => (
            "CRL".to_string(),
            format!(
                "{}, {} revoked",
                subject_name(&c.issuer).unwrap_or_else(|| "(empty issuer)".to_string()),
                c.revoked.len()
            ),
            c.next_update_unix
                .map(|next| validity(c.this_update_unix, next, now)),
            None,
        ),
        other => generic(other),
    };
    Summary {
        kind,
        name,
        validity,
        key,
        worst,
    }
}

type Parts = (String, String, Option<Validity>, Option<String>);

/// Any other kind: its name.
fn generic(body: &ItemBody) -> Parts {
    (body.kind().replace('_', " "), String::new(), None, None)
}

/// The most specific common name, else the whole DN; `None` for an empty name.
fn subject_name(subject: &Name) -> Option<String> {
    subject
        .common_name()
        .filter(|cn| !cn.is_empty())
        .map(str::to_string)
        .or_else(|| (!subject.is_empty()).then(|| subject.to_string()))
}

/// "EC P-256", "RSA 2048", "Ed25519".
pub fn key_text(key: &PublicKeyInfo) -> String {
    match (&key.curve, key.bits) {
        (Some(curve), _) if key.algorithm != *curve => format!("{} {curve}", key.algorithm),
        (None, Some(bits)) if key.algorithm != "Ed25519" && key.algorithm != "Ed448" => {
            format!("{} {bits}", key.algorithm)
        }
        _ => key.algorithm.clone(),
    }
}

/// Where `now` stands between the validity bounds (Unix seconds).
pub fn validity(not_before: i64, not_after: i64, now: Timestamp) -> Validity {
    let date = |t: i64| {
        let text = Timestamp(t).to_rfc3339();
        text.get(..10).unwrap_or(&text).to_string()
    };
    if now.0 < not_before {
        let days = now.days_until(Timestamp(not_before));
        return Validity {
            standing: Standing::NotYetValid,
            text: format!(
                "not valid before {} ({})",
                date(not_before),
                relative_days(days)
            ),
        };
    }
    let days = now.days_until(Timestamp(not_after));
    if now.0 > not_after {
        return Validity {
            standing: Standing::Expired,
            text: format!("expired {} ({})", date(not_after), relative_days(days)),
        };
    }
    let left = match days {
        0 => "expires today".to_string(),
        1 => "1 day left".to_string(),
        d => format!("{d} days left"),
    };
    Validity {
        standing: if days < SOON_DAYS {
            Standing::Soon
        } else {
            Standing::Valid
        },
        text: format!("valid until {} ({left})", date(not_after)),
    }
}

/// The item's report fields as (name, text) pairs, by name: scalars as they are,
/// lists of scalars joined, objects one level deep ("public_key.curve"), and lists of objects
/// counted (their detail is in the tree). Works for every kind, present and future.
pub fn facts(body: &ItemBody) -> Vec<(String, String)> {
    // A capture of megabytes would be serialised whole for a few counts: say them directly.
    if let ItemBody::Capture(cap) = body {
        return vec![
            ("format".to_string(), cap.format.clone()),
            ("link_types".to_string(), cap.link_types.join(", ")),
            ("packets".to_string(), cap.packets.to_string()),
            (
                "connections".to_string(),
                format!("{} (above, and in the tree below)", cap.connections.len()),
            ),
            (
                "other_connections".to_string(),
                cap.other_connections.len().to_string(),
            ),
        ];
    }
    let value = serde_json::to_value(body).unwrap_or_default();
    let mut out = Vec::new();
    if let serde_json::Value::Object(map) = value {
        for (name, v) in map.iter().filter(|(k, _)| k.as_str() != "kind") {
            push_fact(&mut out, name, v, true);
        }
    }
    out
}

fn push_fact(out: &mut Vec<(String, String)>, name: &str, value: &serde_json::Value, nest: bool) {
    use serde_json::Value;
    let text = match value {
        Value::Null => "none".to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "(empty)".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(list) if list.is_empty() => "none".to_string(),
        Value::Array(list) if list.iter().all(|v| !v.is_object() && !v.is_array()) => list
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(list) => format!("{} (in the tree below)", list.len()),
        Value::Object(map) if nest => {
            for (k, v) in map {
                push_fact(out, &format!("{name}.{k}"), v, false);
            }
            return;
        }
        Value::Object(map) => format!("{} fields (in the tree below)", map.len()),
    };
    out.push((name.to_string(), text));
}

/// "1 item", "3 items".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The CSS class of a severity (and of "no findings").
pub const fn severity_class(worst: Option<Severity>) -> &'static str {
    match worst {
        Some(Severity::Error) => "sev-error",
        Some(Severity::Warning) => "sev-warning",
        Some(Severity::Info) => "sev-info",
        None => "sev-ok",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i64, m: u32, d: u32) -> i64 {
        Timestamp::from_parts(y, m, d, 0, 0, 0).0
    }

    #[test]
    fn validity_counts_days_left() {
        let (nb, na) = (ts(2024, 1, 1), ts(2025, 1, 1));
        let v = validity(nb, na, Timestamp(ts(2024, 12, 1)));
        assert_eq!(v.standing, Standing::Valid);
        assert_eq!(v.text, "valid until 2025-01-01 (31 days left)");
        let v = validity(nb, na, Timestamp(ts(2024, 12, 31)));
        assert_eq!(v.standing, Standing::Soon);
        assert_eq!(v.text, "valid until 2025-01-01 (1 day left)");
        let v = validity(nb, na, Timestamp(ts(2025, 1, 11)));
        assert_eq!(v.standing, Standing::Expired);
        assert_eq!(v.text, "expired 2025-01-01 (10 days ago)");
        let v = validity(nb, na, Timestamp(ts(2023, 12, 1)));
        assert_eq!(v.standing, Standing::NotYetValid);
        assert_eq!(v.text, "not valid before 2024-01-01 (in 31 days)");
    }

    #[test]
    fn key_text_names_size_or_curve() {
        let key = |a: &str, bits, curve: Option<&str>| PublicKeyInfo {
            algorithm: a.to_string(),
            bits,
            curve: curve.map(str::to_string),
        };
        assert_eq!(key_text(&key("EC", Some(256), Some("P-256"))), "EC P-256");
        assert_eq!(key_text(&key("RSA", Some(2048), None)), "RSA 2048");
        assert_eq!(key_text(&key("Ed25519", Some(256), None)), "Ed25519");
    }

    #[test]
    fn facts_flatten_any_body() {
        let body = ItemBody::PrivateKey(mtlskit_inspect::Key {
            algorithm: "EC".to_string(),
            bits: Some(256),
            curve: Some("P-256".to_string()),
            spki_sha256: None,
            format: "SEC1".to_string(),
            matches: Vec::new(),
        });
        let facts = facts(&body);
        let get = |k: &str| facts.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("algorithm"), Some("EC"));
        assert_eq!(get("bits"), Some("256"));
        assert_eq!(get("spki_sha256"), Some("none"));
        assert_eq!(get("matches"), Some("none"));
        assert_eq!(get("kind"), None);
    }

    #[test]
    fn severity_classes() {
        assert_eq!(severity_class(Some(Severity::Error)), "sev-error");
        assert_eq!(severity_class(None), "sev-ok");
    }
}
