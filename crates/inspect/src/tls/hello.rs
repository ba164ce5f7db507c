//! ClientHello and ServerHello (HelloRetryRequest included), and the SSLv2-compatible
//! ClientHello old clients send.
//!
//! Decoding fills its output as it goes, so a hello cut short still reports the fields before
//! the cut; the caller adds the finding and computes fingerprints only for complete hellos.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::codec::{hex, Reader, Result};
use super::extension::{self, Context, Extensions};
use super::model;
use super::names::{self, describe16, describe8};
use crate::span::{Node, Span};

/// SHA-256 of "HelloRetryRequest": the ServerHello random that marks a HelloRetryRequest.
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A ClientHello as read so far.
#[derive(Clone, Debug, Default)]
pub struct ClientHello<'a> {
    pub model: model::ClientHello,
    pub ext: Extensions<'a>,
}

/// A ServerHello as read so far.
#[derive(Clone, Debug, Default)]
pub struct ServerHello<'a> {
    pub model: model::ServerHello,
    pub ext: Extensions<'a>,
    pub retry: bool,
}

fn version_node(name: &str, v: u16, span: Span) -> Node {
    Node::new(name, describe16(v, names::version), span)
}

fn random(r: &mut Reader<'_>, nodes: &mut Vec<Node>) -> Result<String> {
    let (bytes, span) = r.take(32, "random")?;
    let text = hex(bytes);
    if r.nodes() {
        nodes.push(Node::new("random", text.clone(), span));
    }
    Ok(text)
}

fn session_id(r: &mut Reader<'_>, nodes: &mut Vec<Node>) -> Result<String> {
    let (id, span) = r.vec(1, "session id")?;
    let text = hex(id.rest());
    if r.nodes() {
        let value = if text.is_empty() {
            String::from("empty")
        } else {
            text.clone()
        };
        nodes.push(Node::new("session_id", value, span));
    }
    Ok(text)
}

/// Reads a ClientHello body into `out`, pushing field nodes to `nodes` as it goes.
pub fn client_hello<'a>(
    r: &mut Reader<'a>,
    out: &mut ClientHello<'a>,
    nodes: &mut Vec<Node>,
) -> Result<()> {
    let (v, span) = r.u16("client version")?;
    out.model.legacy_version = v;
    if r.nodes() {
        nodes.push(version_node("legacy_version", v, span));
    }
    out.model.random = random(r, nodes)?;
    out.model.session_id = session_id(r, nodes)?;

    let (mut suites, span) = r.vec(2, "cipher suites")?;
    let mut node = Node::new("cipher_suites", "", span);
    while suites.any_left() {
        let (s, span) = suites.u16("cipher suite")?;
        out.model.cipher_suites.push(s);
        if r.nodes() {
            node.push(Node::new(
                "cipher_suite",
                describe16(s, names::cipher_suite_name),
                span,
            ));
        }
    }
    if r.nodes() {
        node.value = format!("{} suites", node.children.len());
        nodes.push(node);
    }

    let (mut methods, span) = r.vec(1, "compression methods")?;
    let mut node = Node::new("compression_methods", "", span);
    while methods.any_left() {
        let (m, span) = methods.u8("compression method")?;
        out.model.compression_methods.push(m);
        if r.nodes() {
            node.push(Node::new("compression_method", compression(m), span));
        }
    }
    if r.nodes() {
        nodes.push(node);
    }

    if r.any_left() {
        let block = extension::decode_block(r, Context::ClientHello, &mut out.ext)?;
        if r.nodes() {
            nodes.push(block);
        }
    }
    r.expect_empty("ClientHello")?;
    Ok(())
}

fn compression(m: u8) -> String {
    match m {
        0 => String::from("null (0)"),
        1 => String::from("DEFLATE (1)"),
        _ => format!("unknown ({m})"),
    }
}

/// Reads a ServerHello (or HelloRetryRequest) body into `out`.
pub fn server_hello<'a>(
    r: &mut Reader<'a>,
    out: &mut ServerHello<'a>,
    nodes: &mut Vec<Node>,
) -> Result<()> {
    let (v, span) = r.u16("server version")?;
    out.model.version = v;
    if r.nodes() {
        nodes.push(version_node("version", v, span));
    }
    let (bytes, span) = r.take(32, "random")?;
    out.retry = bytes == HRR_RANDOM;
    out.model.random = hex(bytes);
    if r.nodes() {
        let value = if out.retry {
            format!("{} (HelloRetryRequest)", out.model.random)
        } else {
            out.model.random.clone()
        };
        nodes.push(Node::new("random", value, span));
    }
    out.model.session_id = session_id(r, nodes)?;
    let (s, span) = r.u16("cipher suite")?;
    out.model.cipher_suite = s;
    if r.nodes() {
        nodes.push(Node::new(
            "cipher_suite",
            describe16(s, names::cipher_suite_name),
            span,
        ));
    }
    let (m, span) = r.u8("compression method")?;
    out.model.compression_method = m;
    if r.nodes() {
        nodes.push(Node::new("compression_method", compression(m), span));
    }
    if r.any_left() {
        let ctx = if out.retry {
            Context::HelloRetryRequest
        } else {
            Context::ServerHello
        };
        let block = extension::decode_block(r, ctx, &mut out.ext)?;
        if r.nodes() {
            nodes.push(block);
        }
    }
    r.expect_empty("ServerHello")?;
    Ok(())
}

/// Reads the SSLv2-compatible ClientHello (RFC 5246 E.2): `r` starts at its message type.
///
/// Cipher specs are 3 bytes; those whose first byte is 0 are TLS suites and are kept. The
/// challenge, right-aligned in 32 bytes, is the TLS random.
pub fn sslv2_client_hello<'a>(
    r: &mut Reader<'a>,
    out: &mut ClientHello<'a>,
    nodes: &mut Vec<Node>,
) -> Result<()> {
    out.model.sslv2 = true;
    let (t, span) = r.u8("message type")?;
    nodes.push(Node::new(
        "msg_type",
        describe8(t, names::handshake_type),
        span,
    ));
    let (v, span) = r.u16("client version")?;
    out.model.legacy_version = v;
    nodes.push(version_node("version", v, span));
    let (specs_len, span) = r.u16("cipher spec length")?;
    nodes.push(Node::new(
        "cipher_spec_length",
        format!("{specs_len}"),
        span,
    ));
    let (id_len, span) = r.u16("session id length")?;
    nodes.push(Node::new("session_id_length", format!("{id_len}"), span));
    let (ch_len, span) = r.u16("challenge length")?;
    nodes.push(Node::new("challenge_length", format!("{ch_len}"), span));
    let (specs, span) = r.take(usize::from(specs_len), "cipher specs")?;
    let mut node = Node::new("cipher_specs", "", span);
    let mut specs = Reader::new(specs, span.offset);
    while specs.left() >= 3 {
        let (kind, kspan) = specs.u8("cipher spec")?;
        let (s, _) = specs.u16("cipher spec")?;
        let whole = Span::new(kspan.offset, 3);
        if kind == 0 {
            out.model.cipher_suites.push(s);
            node.push(Node::new(
                "cipher_suite",
                describe16(s, names::cipher_suite_name),
                whole,
            ));
        } else {
            let v = format!("SSLv2 spec 0x{kind:02x}{s:04x}");
            node.push(Node::new("cipher_spec", v, whole));
        }
    }
    nodes.push(node);
    let (id, span) = r.take(usize::from(id_len), "session id")?;
    out.model.session_id = hex(id);
    nodes.push(Node::new("session_id", hex(id), span));
    let (challenge, span) = r.take(usize::from(ch_len), "challenge")?;
    let mut random = [0u8; 32];
    let keep = challenge.len().min(32);
    let tail = challenge.get(challenge.len() - keep..).unwrap_or_default();
    if let Some(dst) = random.get_mut(32 - keep..) {
        dst.copy_from_slice(tail);
    }
    out.model.random = hex(&random);
    nodes.push(Node::new("challenge", hex(challenge), span));
    out.model.compression_methods.push(0);
    Ok(())
}
