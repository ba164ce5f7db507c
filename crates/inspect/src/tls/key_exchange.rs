//! ServerKeyExchange, ClientKeyExchange: the ephemeral keys of TLS 1.2 and earlier.
//!
//! Their layout depends on the key exchange of the cipher suite, which one direction may not
//! know (the client's side never sees the ServerHello). The server side decides by the suite;
//! lacking it, an ECDHE `named_curve` (3) first byte is taken as ECDHE. A ClientKeyExchange is
//! read as an ECDH point (1-byte length) or an RSA/DH value (2-byte length), whichever length
//! fills the message.

use alloc::format;

use super::codec::{hex, hex_short, Reader, Result};
use super::decoder::Decoder;
use super::model;
use super::names::{self, describe16};
use crate::span::Node;

impl Decoder {
    pub(super) fn server_key_exchange(
        &mut self,
        r: &mut Reader<'_>,
        node: &mut Node,
    ) -> Result<()> {
        let suite = self
            .cipher_suite
            .and_then(names::cipher_suite)
            .map(|(n, _)| n)
            .unwrap_or("");
        let mut out = model::ServerKeyExchange::default();
        let ecdhe = suite.contains("_ECDHE_") || (suite.is_empty() && r.rest().first() == Some(&3));
        let dhe = suite.contains("_DHE_") || suite.contains("_DH_anon_");
        if ecdhe {
            let (curve_type, span) = r.u8("curve type")?;
            out.curve_type = Some(curve_type);
            let text = if curve_type == 3 {
                "named_curve (3)"
            } else {
                "unknown"
            };
            if r.nodes() {
                node.push(Node::new("curve_type", text, span));
            }
            if curve_type == 3 {
                let (group, span) = r.u16("named group")?;
                out.group = Some(group);
                if r.nodes() {
                    node.value = describe16(group, names::group);
                    node.push(Node::new("named_group", node.value.clone(), span));
                }
            }
            let (point, span) = r.vec(1, "public key")?;
            out.public_key = hex(point.rest());
            if r.nodes() {
                node.push(Node::new("public_key", hex_short(point.rest(), 48), span));
            }
        } else if dhe {
            for what in ["dh_p", "dh_g", "dh_Ys"] {
                let (v, span) = r.vec(2, "DH parameter")?;
                if what == "dh_Ys" {
                    out.public_key = hex(v.rest());
                }
                node.push(Node::new(what, hex_short(v.rest(), 48), span));
            }
            node.value = format!("DHE, {} bytes", r.left());
        } else {
            let (rest, span) = r.take_rest();
            node.push(Node::new("params", hex_short(rest, 48), span));
            self.tls.server_key_exchange.get_or_insert(out);
            return Ok(());
        }
        if r.any_left() && !suite.contains("_anon_") {
            if self.version.is_none_or(|v| v >= 0x0303) {
                let (scheme, span) = r.u16("signature scheme")?;
                out.signature_scheme = Some(scheme);
                if r.nodes() {
                    let v = describe16(scheme, names::signature_scheme);
                    node.push(Node::new("signature_scheme", v, span));
                }
            }
            let (sig, span) = r.vec(2, "signature")?;
            out.signature = hex(sig.rest());
            if r.nodes() {
                node.push(Node::new("signature", hex_short(sig.rest(), 32), span));
            }
        }
        self.tls.server_key_exchange.get_or_insert(out);
        r.expect_empty("ServerKeyExchange")
    }

    pub(super) fn client_key_exchange(
        &mut self,
        r: &mut Reader<'_>,
        node: &mut Node,
    ) -> Result<()> {
        let body = r.rest();
        let one = body.first().map(|b| usize::from(*b) + 1) == Some(body.len());
        let (v, span) = if one {
            r.vec(1, "ECDH public key")?
        } else {
            r.vec(2, "exchange keys")?
        };
        let name = if one {
            "ecdh_public"
        } else {
            "encrypted_premaster_secret_or_dh_public"
        };
        if r.nodes() {
            node.value = format!("{} bytes", v.left());
            node.push(Node::new(name, hex_short(v.rest(), 48), span));
        }
        r.expect_empty("ClientKeyExchange")
    }
}
