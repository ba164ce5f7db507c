//! Hello extensions: every extension of ClientHello, ServerHello, HelloRetryRequest,
//! EncryptedExtensions, CertificateRequest, Certificate entries and NewSessionTicket.
//!
//! Each extension becomes a node (type, length, decoded body) and feeds [`Extensions`], the
//! values the report and the fingerprints need. An extension whose body does not parse keeps
//! its raw node and adds a `malformed_extension` finding; the hello around it is still read,
//! since each body is bounded by its own length.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::codec::{hex, hex_short, InvalidMessage, Reader, Result};
use super::names::{self, describe16, describe8};
use crate::finding::{Code, Finding};
use crate::span::{Node, Span};

/// Which message the extensions are in: some bodies differ by message (RFC 8446 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    ClientHello,
    ServerHello,
    HelloRetryRequest,
    EncryptedExtensions,
    CertificateRequest,
    Certificate,
    NewSessionTicket,
}

/// The values read out of a block of extensions.
#[derive(Clone, Debug, Default)]
pub struct Extensions<'a> {
    /// Every extension type in wire order, GREASE included.
    pub types: Vec<u16>,
    pub server_name: Option<String>,
    pub alpn: Vec<String>,
    /// The first ALPN protocol's raw bytes (JA4 looks at bytes, not text).
    pub alpn_first: Option<&'a [u8]>,
    pub supported_versions: Vec<u16>,
    pub supported_groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub signature_algorithms_cert: Vec<u16>,
    pub ec_point_formats: Vec<u8>,
    pub key_share_groups: Vec<u16>,
    pub psk_key_exchange_modes: Vec<u8>,
    /// DER Names of certificate_authorities, with their spans.
    pub certificate_authorities: Vec<(&'a [u8], Span)>,
    pub findings: Vec<Finding>,
}

/// Reads a `u16`-prefixed extension block at the reader's position into a node and `out`.
pub fn decode_block<'a>(
    r: &mut Reader<'a>,
    ctx: Context,
    out: &mut Extensions<'a>,
) -> Result<Node> {
    let (mut block, span) = r.vec(2, "extensions")?;
    let mut node = Node::new("extensions", "", span);
    while block.any_left() {
        let start = block.offset();
        let (ty, ty_span) = block.u16("extension type")?;
        let (body, body_span) = block.vec(2, "extension data")?;
        let ext_span = Span::new(start, body_span.end() - start);
        out.types.push(ty);
        let name = names::extension(ty).unwrap_or(if names::is_grease(ty) {
            "GREASE"
        } else {
            "unknown"
        });
        if !block.nodes() {
            if let Err(e) = decode_body(ty, body, ctx, out) {
                out.findings.push(malformed(name, e, ext_span));
            }
            continue;
        }
        let mut ext = Node::new(name, describe16(ty, names::extension), ext_span);
        ext.push(Node::new("type", describe16(ty, names::extension), ty_span));
        ext.push(Node::new(
            "length",
            format!("{}", body_span.len - 2),
            Span::new(body_span.offset, 2),
        ));
        match decode_body(ty, body.clone(), ctx, out) {
            Ok(children) => {
                ext.value = summary(&children, ext.value);
                ext.children.extend(children);
            }
            Err(e) => {
                let (raw, raw_span) = body.clone().take_rest();
                ext.push(Node::new("data", hex_short(raw, 64), raw_span));
                out.findings.push(malformed(name, e, ext_span));
            }
        }
        node.push(ext);
    }
    if block.nodes() {
        node.value = format!("{} extensions", node.children.len());
    }
    Ok(node)
}

/// The finding for an extension whose body does not parse.
fn malformed(name: &str, e: InvalidMessage, span: Span) -> Finding {
    Finding::warning(
        Code::MalformedExtension,
        format!("The {name} extension cannot be read: {e}."),
    )
    .at(span)
}

/// The extension's value line: its first decoded child's value when there is only one.
fn summary(children: &[Node], default: String) -> String {
    match children {
        [only] if !only.value.is_empty() => only.value.clone(),
        _ => default,
    }
}

fn decode_body<'a>(
    ty: u16,
    mut r: Reader<'a>,
    ctx: Context,
    out: &mut Extensions<'a>,
) -> Result<Vec<Node>> {
    let mut nodes = Vec::new();
    // Without a tree, only `out` is filled: the lists below are read, their nodes not built.
    let keep = r.nodes();
    match ty {
        0 if ctx == Context::ClientHello => {
            let (mut list, span) = r.vec(2, "server name list")?;
            let mut names_node = Node::new("server_name_list", "", span);
            while list.any_left() {
                let (kind, _) = list.u8("name type")?;
                let (mut name, span) = list.vec(2, "host name")?;
                let (bytes, _) = name.take_rest();
                let text = String::from_utf8_lossy(bytes).into_owned();
                if kind == 0 && out.server_name.is_none() {
                    out.server_name = Some(text.clone());
                }
                if keep {
                    names_node.push(Node::new("host_name", text, span));
                }
            }
            if keep {
                names_node.value = list_value(&names_node);
                nodes.push(names_node);
            }
        }
        16 => {
            let (mut list, span) = r.vec(2, "protocol name list")?;
            let mut protos = Node::new("protocols", "", span);
            while list.any_left() {
                let (mut p, span) = list.vec(1, "protocol name")?;
                let (bytes, _) = p.take_rest();
                if out.alpn_first.is_none() {
                    out.alpn_first = Some(bytes);
                }
                let text = String::from_utf8_lossy(bytes).into_owned();
                if keep {
                    protos.push(Node::new("protocol", text.clone(), span));
                }
                out.alpn.push(text);
            }
            if keep {
                protos.value = out.alpn.join(", ");
                nodes.push(protos);
            }
        }
        43 => match ctx {
            Context::ClientHello => {
                let (mut list, span) = r.vec(1, "supported versions")?;
                let mut vs = Node::new("versions", "", span);
                while list.any_left() {
                    let (v, span) = list.u16("version")?;
                    out.supported_versions.push(v);
                    if keep {
                        vs.push(Node::new("version", describe16(v, names::version), span));
                    }
                }
                if keep {
                    vs.value = list_value(&vs);
                    nodes.push(vs);
                }
            }
            _ => {
                let (v, span) = r.u16("selected version")?;
                out.supported_versions.push(v);
                if keep {
                    nodes.push(Node::new(
                        "selected_version",
                        describe16(v, names::version),
                        span,
                    ));
                }
            }
        },
        10 => {
            let n = u16_list(&mut r, "named group list", "group", names::group)?;
            out.supported_groups.extend(n.1);
            nodes.extend(n.0);
        }
        11 => {
            let (mut list, span) = r.vec(1, "ec point format list")?;
            let mut f = Node::new("ec_point_formats", "", span);
            while list.any_left() {
                let (v, span) = list.u8("ec point format")?;
                out.ec_point_formats.push(v);
                if keep {
                    f.push(Node::new(
                        "format",
                        describe8(v, names::ec_point_format),
                        span,
                    ));
                }
            }
            if keep {
                f.value = list_value(&f);
                nodes.push(f);
            }
        }
        13 | 50 => {
            let what = "signature scheme list";
            let (node, values) = u16_list(&mut r, what, "scheme", names::signature_scheme)?;
            if ty == 13 {
                out.signature_algorithms.extend(values);
            } else {
                out.signature_algorithms_cert.extend(values);
            }
            nodes.extend(node);
        }
        51 => nodes.extend(key_share(&mut r, ctx, out)?),
        45 => {
            let (mut list, span) = r.vec(1, "psk key exchange modes")?;
            let mut m = Node::new("modes", "", span);
            while list.any_left() {
                let (v, span) = list.u8("psk mode")?;
                out.psk_key_exchange_modes.push(v);
                let name = match v {
                    0 => "psk_ke (0)",
                    1 => "psk_dhe_ke (1)",
                    _ => "unknown",
                };
                if keep {
                    m.push(Node::new("mode", name, span));
                }
            }
            if keep {
                m.value = list_value(&m);
                nodes.push(m);
            }
        }
        41 => nodes.extend(pre_shared_key(&mut r, ctx)?),
        5 if ctx == Context::ClientHello || ctx == Context::CertificateRequest => {
            let (kind, span) = r.u8("status type")?;
            let v = if kind == 1 { "ocsp (1)" } else { "unknown" };
            nodes.push(Node::new("status_type", v, span));
            let (_, span) = r.vec(2, "responder id list")?;
            nodes.push(Node::new("responder_id_list", "", span));
            let (_, span) = r.vec(2, "request extensions")?;
            nodes.push(Node::new("request_extensions", "", span));
        }
        5 if ctx == Context::Certificate => {
            let (kind, span) = r.u8("status type")?;
            nodes.push(Node::new("status_type", format!("{kind}"), span));
            let (resp, span) = r.vec(3, "OCSP response")?;
            nodes.push(Node::new(
                "ocsp_response",
                format!("{} bytes", resp.left()),
                span,
            ));
        }
        28 => {
            let (v, span) = r.u16("record size limit")?;
            nodes.push(Node::new("record_size_limit", format!("{v}"), span));
        }
        27 => {
            let (mut list, span) = r.vec(1, "compression algorithms")?;
            let mut a = Node::new("algorithms", "", span);
            while list.any_left() {
                let (v, span) = list.u16("algorithm")?;
                a.push(Node::new(
                    "algorithm",
                    describe16(v, names::compression_algorithm),
                    span,
                ));
            }
            a.value = list_value(&a);
            nodes.push(a);
        }
        47 => {
            let (mut list, span) = r.vec(2, "certificate authorities")?;
            let mut cas = Node::new("authorities", "", span);
            while list.any_left() {
                let (mut dn, span) = list.vec(2, "distinguished name")?;
                let (der, der_span) = dn.take_rest();
                out.certificate_authorities.push((der, der_span));
                if keep {
                    cas.push(Node::new("distinguished_name", hex_short(der, 32), span));
                }
            }
            if keep {
                cas.value = format!("{} names", cas.children.len());
                nodes.push(cas);
            }
        }
        65281 => {
            let (v, span) = r.vec(1, "renegotiated connection")?;
            let (bytes, _) = v.clone().take_rest();
            let value = if bytes.is_empty() {
                String::from("empty (initial handshake)")
            } else {
                hex(bytes)
            };
            nodes.push(Node::new("renegotiated_connection", value, span));
        }
        21 => {
            let (bytes, span) = r.take_rest();
            let zero = bytes.iter().all(|b| *b == 0);
            let v = format!(
                "{} bytes{}",
                bytes.len(),
                if zero { "" } else { ", not zero" }
            );
            nodes.push(Node::new("padding", v, span));
        }
        42 if ctx == Context::NewSessionTicket => {
            let (v, span) = r.u32("max early data size")?;
            nodes.push(Node::new("max_early_data_size", format!("{v}"), span));
        }
        44 => {
            let (c, span) = r.vec(2, "cookie")?;
            nodes.push(Node::new("cookie", format!("{} bytes", c.left()), span));
        }
        0xfe0d => nodes.extend(ech(&mut r, ctx)?),
        35 => {
            let (bytes, span) = r.take_rest();
            let v = if bytes.is_empty() {
                String::from("empty (asks for a ticket)")
            } else {
                format!("{} bytes (a ticket to resume)", bytes.len())
            };
            nodes.push(Node::new("ticket", v, span));
        }
        _ => {
            // Empty by definition (extended_master_secret, encrypt_then_mac, early_data in
            // hellos, post_handshake_auth, SNI/status_request acknowledgements) or opaque.
            let (bytes, span) = r.take_rest();
            if !bytes.is_empty() && keep {
                nodes.push(Node::new("data", hex_short(bytes, 64), span));
            }
        }
    }
    r.expect_empty("extension data")?;
    if !keep {
        nodes.clear();
    }
    Ok(nodes)
}

/// A `u16`-prefixed list of 16-bit registry values.
/// The node (`None` without a tree) and the values.
fn u16_list(
    r: &mut Reader<'_>,
    what: &'static str,
    item: &'static str,
    lookup: fn(u16) -> Option<&'static str>,
) -> Result<(Option<Node>, Vec<u16>)> {
    let (mut list, span) = r.vec(2, what)?;
    let mut values = Vec::new();
    if !list.nodes() {
        while list.any_left() {
            values.push(list.u16(item)?.0);
        }
        return Ok((None, values));
    }
    let mut node = Node::new(what.replace(' ', "_"), "", span);
    while list.any_left() {
        let (v, span) = list.u16(item)?;
        values.push(v);
        node.push(Node::new(item, describe16(v, lookup), span));
    }
    node.value = list_value(&node);
    Ok((Some(node), values))
}

/// The children's values joined, for a list's value line.
fn list_value(node: &Node) -> String {
    node.children
        .iter()
        .map(|n| n.value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_share_entry(r: &mut Reader<'_>, out: &mut Extensions<'_>) -> Result<Node> {
    let start = r.offset();
    let (group, gspan) = r.u16("key share group")?;
    let (key, kspan) = r.vec(2, "key exchange")?;
    out.key_share_groups.push(group);
    if !r.nodes() {
        return Ok(Node::default());
    }
    let (bytes, _) = key.clone().take_rest();
    let mut n = Node::new(
        "key_share_entry",
        describe16(group, names::group),
        Span::new(start, kspan.end() - start),
    );
    n.push(Node::new("group", describe16(group, names::group), gspan));
    n.push(Node::new("key_exchange", hex_short(bytes, 48), kspan));
    Ok(n)
}

fn key_share(r: &mut Reader<'_>, ctx: Context, out: &mut Extensions<'_>) -> Result<Vec<Node>> {
    match ctx {
        Context::ClientHello => {
            let (mut list, span) = r.vec(2, "client shares")?;
            let mut shares = Node::new("client_shares", "", span);
            while list.any_left() {
                shares.push(key_share_entry(&mut list, out)?);
            }
            shares.value = list_value(&shares);
            Ok(alloc::vec![shares])
        }
        Context::HelloRetryRequest => {
            let (group, span) = r.u16("selected group")?;
            out.key_share_groups.push(group);
            let v = describe16(group, names::group);
            Ok(alloc::vec![Node::new("selected_group", v, span)])
        }
        _ => Ok(alloc::vec![key_share_entry(r, out)?]),
    }
}

fn pre_shared_key(r: &mut Reader<'_>, ctx: Context) -> Result<Vec<Node>> {
    if ctx != Context::ClientHello {
        let (v, span) = r.u16("selected identity")?;
        return Ok(alloc::vec![Node::new(
            "selected_identity",
            format!("{v}"),
            span
        )]);
    }
    let (mut ids, span) = r.vec(2, "psk identities")?;
    let mut idn = Node::new("identities", "", span);
    while ids.any_left() {
        let start = ids.offset();
        let (id, _) = ids.vec(2, "psk identity")?;
        let (age, aspan) = ids.u32("obfuscated ticket age")?;
        let mut n = Node::new(
            "identity",
            format!("{} bytes", id.left()),
            Span::new(start, aspan.end() - start),
        );
        n.push(Node::new("obfuscated_ticket_age", format!("{age}"), aspan));
        idn.push(n);
    }
    idn.value = format!("{} identities", idn.children.len());
    let (mut binders, span) = r.vec(2, "psk binders")?;
    let mut bn = Node::new("binders", "", span);
    while binders.any_left() {
        let (b, span) = binders.vec(1, "psk binder")?;
        let (bytes, _) = b.clone().take_rest();
        bn.push(Node::new("binder", hex(bytes), span));
    }
    Ok(alloc::vec![idn, bn])
}

/// encrypted_client_hello: the outer ClientHello's cipher suite and config id; the payload is
/// opaque by design. In EncryptedExtensions it carries retry configs, also opaque here.
fn ech(r: &mut Reader<'_>, ctx: Context) -> Result<Vec<Node>> {
    if ctx != Context::ClientHello {
        let (bytes, span) = r.take_rest();
        return Ok(alloc::vec![Node::new(
            "ech_configs",
            hex_short(bytes, 32),
            span
        )]);
    }
    let (kind, span) = r.u8("ECH type")?;
    let mut nodes = alloc::vec![Node::new(
        "type",
        match kind {
            0 => "outer (0)",
            1 => "inner (1)",
            _ => "unknown",
        },
        span,
    )];
    match kind {
        0 => {
            let (kdf, kspan) = r.u16("ECH KDF")?;
            let (aead, aspan) = r.u16("ECH AEAD")?;
            nodes.push(Node::new("kdf_id", format!("0x{kdf:04x}"), kspan));
            nodes.push(Node::new("aead_id", format!("0x{aead:04x}"), aspan));
            let (id, span) = r.u8("ECH config id")?;
            nodes.push(Node::new("config_id", format!("{id}"), span));
            let (enc, span) = r.vec(2, "ECH enc")?;
            nodes.push(Node::new("enc", hex_short(enc.rest(), 32), span));
            let (payload, span) = r.vec(2, "ECH payload")?;
            nodes.push(Node::new(
                "payload",
                format!("{} bytes (encrypted)", payload.left()),
                span,
            ));
        }
        1 => {}
        _ => return Err(InvalidMessage::IllegalValue("ECH type")),
    }
    Ok(nodes)
}
