//! What the page copies and downloads: the JSON report (the CLI's `inspect --json` contract), an
//! item as PEM, a field's value.

use mtlskit_inspect::x509::PRIVATE;
use mtlskit_inspect::Node;
use mtlskit_inspect::{der, pem};
use mtlskit_inspect::{Item, ItemBody, Report};

use crate::hexview;

/// The report as `mtlskit inspect --json` prints it.
pub fn report_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        // Serialising plain strings and numbers cannot fail; say so if it ever does.
        format!("{{\"error\": \"the report could not be serialised: {e}\"}}")
    })
}

/// The PEM text of a certificate, a CSR or a public key; `None` for other kinds (private keys
/// are not copied back out, and a TLS stream has no PEM form).
pub fn pem_of(item: &Item) -> Option<String> {
    let label = match &item.body {
        ItemBody::Certificate(_) => "CERTIFICATE",
        ItemBody::Csr(_) => "CERTIFICATE REQUEST",
        ItemBody::PublicKey(k) if k.format == "SubjectPublicKeyInfo" => "PUBLIC KEY",
        ItemBody::PublicKey(k) if k.format == "PKCS#1" => "RSA PUBLIC KEY",
        _ => return None,
    };
    (!item.bytes.is_empty()).then(|| pem::encode(label, &item.bytes))
}

/// The name of a PEM download or copy: "client.pem #0".
pub fn pem_label(item: &Item) -> &'static str {
    match &item.body {
        ItemBody::Certificate(_) => "certificate",
        ItemBody::Csr(_) => "CSR",
        _ => "public key",
    }
}

/// What "copy value" copies for a field: the value itself, not a description of it.
///
/// - A DER INTEGER, BIT STRING or OCTET STRING of more than 8 bytes whose shown value is a
///   description ("2048 bit", "EC P-256 (256 bit)") copies the hex of its value: the integer without its sign byte, the
///   bits without the unused-bits count, the octets.
/// - Another field with a value copies the value as shown.
/// - A container without a value of its own copies the hex of its bytes.
///
/// Private key material is never copied.
pub fn field_value(item: &Item, node: &Node) -> String {
    let span = node.span;
    if hexview::overlaps(span, &hexview::secret_spans(item)) {
        return PRIVATE.to_string();
    }
    let bytes = item
        .bytes
        .get(span.offset..span.offset.saturating_add(span.len).min(item.bytes.len()))
        .unwrap_or_default();
    if node.value.is_empty() {
        return hexview::hex(bytes);
    }
    match binary_value(bytes) {
        Some(value) if value.len() > 8 && !shows(&node.value, &hexview::hex(value)) => {
            hexview::hex(value)
        }
        _ => node.value.clone(),
    }
}

/// The value octets of a DER INTEGER, BIT STRING or OCTET STRING that is all of `bytes`.
fn binary_value(bytes: &[u8]) -> Option<&[u8]> {
    let tlv = der::single(bytes).ok()?;
    match tlv.tag {
        der::TAG_INTEGER => match tlv.content {
            [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => Some(rest),
            content => Some(content),
        },
        der::TAG_BIT_STRING => tlv.content.get(1..),
        der::TAG_OCTET_STRING => Some(tlv.content),
        _ => None,
    }
}

/// Whether a shown value already is the hex (with or without separators, any case).
fn shows(shown: &str, hex: &str) -> bool {
    let digits: String = shown
        .chars()
        .filter(char::is_ascii_hexdigit)
        .flat_map(char::to_lowercase)
        .collect();
    digits.ends_with(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtlskit_inspect::Span;
    use mtlskit_inspect::{Opaque, SourceError};

    #[test]
    fn json_follows_the_contract_shape() {
        let report = Report {
            items: Vec::new(),
            errors: vec![SourceError {
                source: "x.bin".to_string(),
                message: "unknown".to_string(),
            }],
        };
        let v: serde_json::Value = serde_json::from_str(&report_json(&report)).unwrap_or_default();
        assert_eq!(v["items"], serde_json::json!([]));
        assert_eq!(v["errors"][0]["source"], "x.bin");
    }

    #[test]
    fn field_value_falls_back_to_hex() {
        let item = Item {
            source: "a".to_string(),
            index: 0,
            body: ItemBody::Pkcs12(Opaque {
                format: "PKCS#12".to_string(),
            }),
            findings: Vec::new(),
            encoding: "DER".to_string(),
            bytes: vec![0x30, 0x03, 0x02, 0x01, 0x05],
            tree: Vec::new(),
        };
        let container = Node::new("seq", "", Span::new(0, 5));
        assert_eq!(field_value(&item, &container), "3003020105");
        assert_eq!(
            field_value(&item, &Node::new("n", "5", Span::new(2, 3))),
            "5"
        );
        // A long INTEGER shown as its size copies its value, without the sign byte.
        let mut modulus = vec![0x02, 0x0b, 0x00];
        modulus.extend([0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let int = Item {
            bytes: modulus,
            ..item.clone()
        };
        assert_eq!(
            field_value(&int, &Node::new("modulus", "80 bit", Span::new(0, 13))),
            "80010203040506070809"
        );
        let beyond = Node::new("bad", "", Span::new(9, 4));
        assert_eq!(field_value(&item, &beyond), "");
        assert_eq!(pem_of(&item), None);
    }
}
