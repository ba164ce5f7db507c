//! Handshake messages: the header, the dispatch by type, and the small messages.
//!
//! Each message is decoded from the reassembly buffer, its node tree is mapped back to stream
//! offsets and hung under the record it started in. A message that cannot be read completely
//! still shows what could be read, and adds one finding: `truncated_handshake` when the stream
//! ended inside it, `malformed_handshake` when its bytes break the format.

use alloc::format;
use alloc::string::String;

use super::codec::{hex, hex_short, InvalidMessage, Reader, Result};
use super::decoder::Decoder;
use super::extension::{self, Context, Extensions};
use super::hello::{self, ClientHello, ServerHello};
use super::names::{self, describe16};
use super::reassembly::{Message, Reassembly};
use super::record::RawRecord;
use super::{ja3, ja4, model};
use crate::finding::{Code, Finding};
use crate::span::{Node, Span};

impl Decoder {
    /// Decodes one message found by the reassembly.
    pub fn handshake(&mut self, msg: Message) {
        self.handshake_from(msg, false);
    }

    /// Decodes one message of the plaintext reassembly, or (`decrypted`) of the decrypted one.
    pub fn handshake_from(&mut self, msg: Message, decrypted: bool) {
        let slot = if decrypted {
            &mut self.plain_reasm
        } else {
            &mut self.reasm
        };
        let reasm = core::mem::take(slot);
        self.handshake_in(&reasm, msg);
        if decrypted {
            self.plain_reasm = reasm;
        } else {
            self.reasm = reasm;
        }
    }

    fn handshake_in(&mut self, reasm: &Reassembly, msg: Message) {
        let buf = reasm.bytes();
        let end = msg.start.saturating_add(4 + msg.length).min(buf.len());
        let body_start = (msg.start + 4).min(end);
        let body = buf.get(body_start..end).unwrap_or_default();
        let name = names::handshake_type(msg.kind).unwrap_or("unknown_handshake_message");
        let mut node = Node::new(name, "", Span::new(msg.start, end - msg.start));
        if self.trees {
            node.push(Node::new(
                "msg_type",
                format!("{name} ({})", msg.kind),
                Span::new(msg.start, 1),
            ));
        }
        if end >= msg.start + 4 && self.trees {
            node.push(Node::new(
                "length",
                format!("{}", msg.length),
                Span::new(msg.start + 1, 3),
            ));
        }
        let first_finding = self.findings.len();
        let mut r = Reader::new(body, body_start).with_nodes(self.trees);
        let result = self.body(msg.kind, &mut r, &mut node, msg.complete);
        let name = core::mem::take(&mut node.name);
        if msg.complete {
            if let Err(e) = result {
                self.findings.push(
                    Finding::error(
                        Code::MalformedHandshake,
                        format!("The {name} message cannot be read completely: {e}."),
                    )
                    .at(node.span),
                );
            }
            self.tls.messages.push(model::Message {
                kind: name.clone(),
                type_code: msg.kind,
                decrypted_record: self.in_plaintext().then_some(msg.record),
            });
            if let Some(rec) = self.tls.records.get_mut(msg.record) {
                rec.handshake_types.push(msg.kind);
            }
        } else {
            self.findings.push(
                Finding::warning(
                    Code::TruncatedHandshake,
                    format!(
                        "The stream ends inside the {name} message: {} of its {} bytes are \
                         present.",
                        body.len(),
                        msg.length
                    ),
                )
                .at(node.span),
            );
        }
        for f in self.findings.iter_mut().skip(first_finding) {
            f.span = f.span.map(|s| reasm.span(s));
        }
        if self.trees {
            node.name = name;
            reasm.remap(core::slice::from_mut(&mut node));
            self.attach(msg.record, node);
        }
    }

    fn body(
        &mut self,
        kind: u8,
        r: &mut Reader<'_>,
        node: &mut Node,
        complete: bool,
    ) -> Result<()> {
        match kind {
            1 => {
                let mut ch = ClientHello::default();
                let res = hello::client_hello(r, &mut ch, &mut node.children);
                self.client_hello(ch, res.is_ok() && complete);
                res
            }
            2 => {
                let mut sh = ServerHello::default();
                let res = hello::server_hello(r, &mut sh, &mut node.children);
                if sh.retry {
                    node.name = String::from("hello_retry_request");
                }
                self.server_hello(sh, res.is_ok() && complete);
                res
            }
            4 => self.new_session_ticket(r, node),
            8 => {
                let mut ext = Extensions::default();
                let res = extension::decode_block(r, Context::EncryptedExtensions, &mut ext);
                self.findings.append(&mut ext.findings);
                node.children.push(res?);
                r.expect_empty("EncryptedExtensions")
            }
            11 => self.certificate(r, node),
            12 => self.server_key_exchange(r, node),
            13 => self.certificate_request(r, node),
            15 => self.certificate_verify(r, node),
            16 => self.client_key_exchange(r, node),
            20 => {
                let (data, span) = r.take_rest();
                if r.nodes() {
                    node.value = hex(data);
                    node.push(Node::new("verify_data", hex(data), span));
                }
                Ok(())
            }
            22 => {
                let (kind, span) = r.u8("status type")?;
                if r.nodes() {
                    let v = if kind == 1 { "ocsp (1)" } else { "unknown" };
                    node.push(Node::new("status_type", v, span));
                }
                let (resp, span) = r.vec(3, "OCSP response")?;
                if r.nodes() {
                    let len = format!("{} bytes", resp.left());
                    node.push(Node::new("ocsp_response", len, span));
                }
                r.expect_empty("CertificateStatus")
            }
            24 => {
                let (v, span) = r.u8("request_update")?;
                let text = match v {
                    0 => "update_not_requested (0)",
                    1 => "update_requested (1)",
                    _ => return Err(InvalidMessage::IllegalValue("request_update")),
                };
                if r.nodes() {
                    node.push(Node::new("request_update", text, span));
                }
                r.expect_empty("KeyUpdate")
            }
            0 | 5 | 14 => r.expect_empty("message (it has no body)"),
            _ => {
                let (data, span) = r.take_rest();
                if !data.is_empty() && r.nodes() {
                    node.push(Node::new("data", hex_short(data, 64), span));
                }
                Ok(())
            }
        }
    }

    fn client_hello(&mut self, ch: ClientHello<'_>, complete: bool) {
        let ClientHello { mut model, mut ext } = ch;
        self.findings.append(&mut ext.findings);
        if self.tls.client_hello.is_some() {
            return; // A second ClientHello (after HelloRetryRequest): the first one is kept.
        }
        self.offered13 = ext.supported_versions.contains(&0x0304);
        fill_client_hello(&mut model, ext, complete);
        self.tls.client_hello = Some(model);
    }

    fn server_hello(&mut self, sh: ServerHello<'_>, complete: bool) {
        let ServerHello {
            mut model,
            mut ext,
            retry,
        } = sh;
        self.findings.append(&mut ext.findings);
        model.extension_types = ext.types;
        model.selected_version = ext.supported_versions.first().copied();
        model.alpn = ext.alpn.into_iter().next();
        model.key_share_group = ext.key_share_groups.first().copied();
        if complete {
            model.ja3s_full =
                ja3::ja3s_full(model.version, model.cipher_suite, &model.extension_types);
            model.ja3s = ja3::md5_hex(&model.ja3s_full);
        }
        if retry {
            self.tls.hello_retry_request.get_or_insert(model);
            return;
        }
        let version = model.selected_version.unwrap_or(model.version);
        self.version = Some(version);
        self.cipher_suite = Some(model.cipher_suite);
        if version == 0x0304 {
            self.tls13 = true;
        }
        self.tls.server_hello.get_or_insert(model);
    }

    /// The SSLv2-compatible ClientHello: one record, one message, no reassembly.
    pub fn sslv2_hello(&mut self, index: usize, rec: &RawRecord<'_>) {
        let mut r = Reader::new(rec.fragment, rec.fragment_offset);
        let mut ch = ClientHello::default();
        let mut node = Node::new(
            "client_hello",
            "SSLv2-compatible",
            Span::new(rec.fragment_offset, rec.fragment.len()),
        );
        let res = hello::sslv2_client_hello(&mut r, &mut ch, &mut node.children);
        if let Err(e) = res {
            self.findings.push(
                Finding::warning(e.code(), format!("The SSLv2-compatible ClientHello: {e}."))
                    .at(rec.span),
            );
        }
        let complete = res.is_ok() && !rec.truncated;
        if complete {
            self.tls.messages.push(model::Message {
                kind: String::from("client_hello"),
                type_code: 1,
                decrypted_record: None,
            });
            if let Some(r) = self.tls.records.get_mut(index) {
                r.handshake_types.push(1);
            }
        }
        self.client_hello(ch, complete);
        self.attach(index, node);
    }

    fn new_session_ticket(&mut self, r: &mut Reader<'_>, node: &mut Node) -> Result<()> {
        let mut t = model::NewSessionTicket::default();
        let (lifetime, span) = r.u32("ticket lifetime")?;
        t.lifetime = lifetime;
        if r.nodes() {
            node.push(Node::new("ticket_lifetime", format!("{lifetime} s"), span));
        }
        if self.tls13 {
            let (age_add, span) = r.u32("ticket age add")?;
            t.age_add = Some(age_add);
            if r.nodes() {
                node.push(Node::new("ticket_age_add", format!("{age_add}"), span));
            }
            let (nonce, span) = r.vec(1, "ticket nonce")?;
            if r.nodes() {
                node.push(Node::new("ticket_nonce", hex(nonce.rest()), span));
            }
        }
        let (ticket, span) = r.vec(2, "ticket")?;
        t.ticket_length = ticket.left();
        if r.nodes() {
            let len = format!("{} bytes", ticket.left());
            node.push(Node::new("ticket", len, span));
        }
        if self.tls13 {
            let mut ext = Extensions::default();
            let res = extension::decode_block(r, Context::NewSessionTicket, &mut ext);
            self.findings.append(&mut ext.findings);
            node.push(res?);
        }
        self.tls.new_session_tickets.push(t);
        r.expect_empty("NewSessionTicket")
    }

    fn certificate_verify(&mut self, r: &mut Reader<'_>, node: &mut Node) -> Result<()> {
        if self.version.is_none_or(|v| v >= 0x0303) {
            let (scheme, span) = r.u16("signature scheme")?;
            if r.nodes() {
                node.value = describe16(scheme, names::signature_scheme);
                node.push(Node::new("signature_scheme", node.value.clone(), span));
            }
        }
        let (sig, span) = r.vec(2, "signature")?;
        if r.nodes() {
            node.push(Node::new("signature", hex_short(sig.rest(), 32), span));
        }
        r.expect_empty("CertificateVerify")
    }
}

/// Copies the extension values into the report and computes the fingerprints.
fn fill_client_hello(model: &mut model::ClientHello, ext: Extensions<'_>, complete: bool) {
    if complete {
        model.ja3_full = ja3::ja3_full(
            model.legacy_version,
            &model.cipher_suites,
            &ext.types,
            &ext.supported_groups,
            &ext.ec_point_formats,
        );
        model.ja3 = ja3::md5_hex(&model.ja3_full);
        let j = ja4::compute(&ja4::Input {
            legacy_version: model.legacy_version,
            ciphers: &model.cipher_suites,
            extensions: &ext.types,
            supported_versions: &ext.supported_versions,
            signature_algorithms: &ext.signature_algorithms,
            alpn_first: ext.alpn_first,
        });
        model.ja4 = j.ja4;
        model.ja4_r = j.ja4_r;
        model.ja4_o = j.ja4_o;
        model.ja4_ro = j.ja4_ro;
    }
    model.extension_types = ext.types;
    model.server_name = ext.server_name;
    model.alpn = ext.alpn;
    model.supported_versions = ext.supported_versions;
    model.supported_groups = ext.supported_groups;
    model.signature_algorithms = ext.signature_algorithms;
    model.signature_algorithms_cert = ext.signature_algorithms_cert;
    model.ec_point_formats = ext.ec_point_formats;
    model.key_share_groups = ext.key_share_groups;
    model.psk_key_exchange_modes = ext.psk_key_exchange_modes;
}
