//! What the page copies and downloads: the JSON report (the CLI's `inspect --json` contract), an
//! item as PEM, a field's value.

use mtlskit_inspect::pem;
use mtlskit_inspect::x509::PRIVATE;
use mtlskit_inspect::Node;
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

/// What "copy value" copies for a field: its value as shown, or the hex of its bytes when it is
/// a container without a value of its own.
pub fn field_value(item: &Item, node: &Node) -> String {
    if !node.value.is_empty() {
        return node.value.clone();
    }
    let span = node.span;
    if hexview::overlaps(span, &hexview::secret_spans(item)) {
        return PRIVATE.to_string();
    }
    item.bytes
        .get(span.offset..span.offset.saturating_add(span.len).min(item.bytes.len()))
        .map(hexview::hex)
        .unwrap_or_default()
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
        let beyond = Node::new("bad", "", Span::new(9, 4));
        assert_eq!(field_value(&item, &beyond), "");
        assert_eq!(pem_of(&item), None);
    }
}
