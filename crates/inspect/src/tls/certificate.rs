//! Certificate and CertificateRequest messages, TLS 1.2 and TLS 1.3 forms.
//!
//! Certificates are decoded by the crate's X.509 code (with std) into the same report body as
//! a certificate file, and their field trees are shifted to sit inside the stream. Without
//! std, or when a certificate does not decode, the entry is shown by length and hash-free.
//! CA names of a CertificateRequest are printed as OpenSSL prints DNs (with std).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::codec::{hex, Reader, Result};
use super::decoder::Decoder;
use super::extension::{self, Context, Extensions};
use super::model;
use super::names::{self, describe8};
#[cfg(feature = "std")]
use crate::finding::{Code, Finding};
use crate::name::Name;
use crate::span::{Node, Span};

impl Decoder {
    pub(super) fn certificate(&mut self, r: &mut Reader<'_>, node: &mut Node) -> Result<()> {
        // TLS 1.3 starts with a context (empty from a server); TLS 1.2 with the u24 list.
        let tls13 = match self.version {
            Some(v) => v >= 0x0304,
            None => looks_tls13(r.rest()),
        };
        if tls13 {
            let (ctx, span) = r.vec(1, "certificate request context")?;
            if r.nodes() {
                node.push(Node::new(
                    "certificate_request_context",
                    hex(ctx.rest()),
                    span,
                ));
            }
        }
        let (mut list, span) = r.vec(3, "certificate list")?;
        let mut certs = Node::new("certificate_list", "", span);
        let mut count = 0usize;
        let mut first_subject = None;
        while list.any_left() {
            let start = list.offset();
            let (mut cert, cspan) = list.vec(3, "certificate")?;
            let (der, der_span) = cert.take_rest();
            let mut entry = self.one_certificate(der, der_span, count);
            entry.span = Span::new(start, cspan.end() - start);
            if first_subject.is_none() && !entry.value.is_empty() && r.nodes() {
                first_subject = Some(entry.value.clone());
            }
            if tls13 {
                let mut ext = Extensions::default();
                let res = extension::decode_block(&mut list, Context::Certificate, &mut ext);
                self.findings.append(&mut ext.findings);
                let ext_node = res?;
                entry.span = Span::new(start, ext_node.span.end() - start);
                entry.push(ext_node);
            }
            if r.nodes() {
                certs.push(entry);
            }
            count += 1;
        }
        if r.nodes() {
            certs.value = format!("{count} certificates");
            node.value = match (count, first_subject) {
                (0, _) => String::from("empty (no certificate)"),
                (n, Some(s)) => format!("{n} certificates, first {s}"),
                (n, None) => format!("{n} certificates"),
            };
            node.push(certs);
        }
        if self.tls.summary.certificates_sent.is_none() {
            self.tls.summary.certificates_sent = Some(count);
        }
        r.expect_empty("Certificate")
    }

    /// One certificate's node; with std, its decoded fields and report body.
    fn one_certificate(&mut self, der: &[u8], span: Span, index: usize) -> Node {
        let mut node = Node::new("certificate", "", span);
        #[cfg(feature = "std")]
        match self.certificates.decode(der, self.now, self.trees) {
            Ok(decoded) => {
                let mut tree = decoded.tree;
                shift(&mut tree, span.offset);
                node.children = tree;
                for mut f in decoded.findings {
                    f.span = f.span.map(|s| Span::new(s.offset + span.offset, s.len));
                    f.message = format!("Certificate {index} in the handshake: {}", f.message);
                    self.findings.push(f);
                }
                if let crate::report::ItemBody::Certificate(c) = decoded.body {
                    if self.trees {
                        node.value = c.subject.to_string();
                    }
                    self.tls.certificates.push(c);
                }
                return node;
            }
            Err(e) => self.findings.push(
                Finding::warning(
                    Code::BadCertificateInHandshake,
                    format!("Certificate {index} in the handshake cannot be decoded: {e}."),
                )
                .at(span),
            ),
        }
        #[cfg(not(feature = "std"))]
        let _ = index;
        node.push(Node::new("der", format!("{} bytes", der.len()), span));
        node
    }

    pub(super) fn certificate_request(
        &mut self,
        r: &mut Reader<'_>,
        node: &mut Node,
    ) -> Result<()> {
        let mut out = model::CertificateRequest::default();
        self.tls.summary.certificate_request_seen = true;
        let res = if self.tls13 || self.version == Some(0x0304) {
            self.certificate_request13(r, node, &mut out)
        } else {
            self.certificate_request12(r, node, &mut out)
        };
        if r.nodes() {
            node.value = format!("{} CA names", out.certificate_authorities.len());
        }
        self.tls.certificate_request.get_or_insert(out);
        res
    }

    fn certificate_request12(
        &mut self,
        r: &mut Reader<'_>,
        node: &mut Node,
        out: &mut model::CertificateRequest,
    ) -> Result<()> {
        let (mut types, span) = r.vec(1, "certificate types")?;
        let mut tn = Node::new("certificate_types", "", span);
        while types.any_left() {
            let (t, span) = types.u8("certificate type")?;
            out.certificate_types.push(t);
            if r.nodes() {
                tn.push(Node::new(
                    "type",
                    describe8(t, names::certificate_type),
                    span,
                ));
            }
        }
        if r.nodes() {
            node.push(tn);
        }
        // TLS 1.0 and 1.1 have no signature algorithms here.
        if self.version.is_none_or(|v| v >= 0x0303) {
            let (mut algs, span) = r.vec(2, "signature algorithms")?;
            let mut an = Node::new("signature_algorithms", "", span);
            while algs.any_left() {
                let (s, span) = algs.u16("signature algorithm")?;
                out.signature_algorithms.push(s);
                if r.nodes() {
                    let v = names::describe16(s, names::signature_scheme);
                    an.push(Node::new("scheme", v, span));
                }
            }
            if r.nodes() {
                node.push(an);
            }
        }
        let (mut cas, span) = r.vec(2, "certificate authorities")?;
        let mut cn = Node::new("certificate_authorities", "", span);
        while cas.any_left() {
            let (mut dn, span) = cas.vec(2, "distinguished name")?;
            let (der, _) = dn.take_rest();
            let name = Name::from_der_lossy(der);
            if r.nodes() {
                cn.push(Node::new("distinguished_name", name.to_string(), span));
            }
            out.certificate_authorities.push(name);
        }
        if r.nodes() {
            node.push(cn);
        }
        r.expect_empty("CertificateRequest")
    }

    fn certificate_request13(
        &mut self,
        r: &mut Reader<'_>,
        node: &mut Node,
        out: &mut model::CertificateRequest,
    ) -> Result<()> {
        let (ctx, span) = r.vec(1, "certificate request context")?;
        out.context = Some(hex(ctx.rest()));
        if r.nodes() {
            node.push(Node::new(
                "certificate_request_context",
                hex(ctx.rest()),
                span,
            ));
        }
        let mut ext = Extensions::default();
        let res = extension::decode_block(r, Context::CertificateRequest, &mut ext);
        self.findings.append(&mut ext.findings);
        out.signature_algorithms = ext.signature_algorithms;
        let names: Vec<Name> = ext
            .certificate_authorities
            .iter()
            .map(|(der, _)| Name::from_der_lossy(der))
            .collect();
        out.certificate_authorities = names;
        node.push(res?);
        r.expect_empty("CertificateRequest")
    }
}

/// TLS 1.3 Certificate: a 1-byte context length (0 from servers) then a u24 list that fills
/// the rest; TLS 1.2 starts directly with the u24 list length.
fn looks_tls13(body: &[u8]) -> bool {
    match body {
        [ctx, rest @ ..] => {
            let ctx = usize::from(*ctx);
            match rest.get(ctx..ctx + 3) {
                Some([a, b, c]) => {
                    let len = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
                    len + ctx + 4 == body.len()
                }
                _ => false,
            }
        }
        [] => false,
    }
}

#[cfg(feature = "std")]
fn shift(nodes: &mut [Node], by: usize) {
    for n in nodes {
        n.span.offset += by;
        shift(&mut n.children, by);
    }
}
