//! Format sniffing: which objects a source holds, and in which encoding.
//!
//! A source is whatever a user has: a PEM file with several blocks and text around them, a DER
//! file, base64 pasted without armour, or a hex dump. Sniffing unwraps the text encodings into
//! DER blobs and names each blob's object by its PEM label or, lacking one, by its ASN.1 shape.
//! It needs no std, so the page and no_std callers share it.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::der::{self, Reader, Tlv, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};
use crate::error::Error;
use crate::pem;

/// The object a blob holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    Certificate,
    Csr,
    Crl,
    /// SubjectPublicKeyInfo.
    PublicKey,
    /// PKCS#1 RSAPublicKey.
    RsaPublicKey,
    /// PKCS#8 PrivateKeyInfo / OneAsymmetricKey.
    Pkcs8,
    /// PKCS#1 RSAPrivateKey.
    RsaPrivateKey,
    /// SEC1 ECPrivateKey.
    EcPrivateKey,
    /// PKCS#8 EncryptedPrivateKeyInfo, or a PEM key with `Proc-Type: 4,ENCRYPTED`.
    EncryptedPrivateKey,
    /// PKCS#7 / CMS SignedData, such as a `.p7b` certificate bundle.
    Pkcs7,
    /// PKCS#12 / PFX.
    Pkcs12,
    /// `EC PARAMETERS`, as `openssl ecparam -genkey` writes before the key: carries no object.
    EcParameters,
    /// Bytes of a TLS connection (records), decoded by the handshake inspector.
    TlsStream,
    /// A pcap or pcapng capture.
    Capture,
    Unknown,
}

// Only the no_std build names an object it cannot decode.
#[cfg(not(feature = "std"))]
impl Object {
    /// What a person calls it.
    pub const fn name(self) -> &'static str {
        match self {
            Object::Certificate => "a certificate",
            Object::Csr => "a certificate signing request",
            Object::Crl => "a certificate revocation list",
            Object::PublicKey | Object::RsaPublicKey => "a public key",
            Object::Pkcs8 | Object::RsaPrivateKey | Object::EcPrivateKey => "a private key",
            Object::EncryptedPrivateKey => "an encrypted private key",
            Object::Pkcs7 => "a PKCS#7 bundle",
            Object::Pkcs12 => "a PKCS#12 file",
            Object::EcParameters => "EC parameters",
            Object::TlsStream => "a TLS byte stream",
            Object::Capture => "a packet capture",
            Object::Unknown => "an unknown object",
        }
    }
}

/// One object found in a source: its bytes and how it was wrapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub object: Object,
    pub bytes: Vec<u8>,
    /// "PEM CERTIFICATE", "DER", "base64", "hex".
    pub encoding: String,
}

/// Splits a source into its objects; a bad PEM block is an error in its place.
///
/// Returns `Err` only when the source as a whole is in no known format.
pub fn sniff(input: &[u8]) -> Result<Vec<Result<Blob, Error>>, Error> {
    let trimmed = input.trim_ascii();
    if trimmed.is_empty() {
        return Err(Error::Empty);
    }
    if let Some(object) = binary_container(input) {
        return Ok(alloc::vec![Ok(Blob {
            object,
            bytes: input.to_vec(),
            encoding: String::from("binary")
        })]);
    }
    if let Ok(top) = der::Reader::new(input).read() {
        // Text that starts with '0' can read as a DER header: only a whole object or a known
        // shape counts as DER.
        let object = classify(input);
        if top.tag == TAG_SEQUENCE && (top.raw.len() == input.len() || object != Object::Unknown) {
            return Ok(alloc::vec![Ok(Blob {
                object,
                bytes: input.to_vec(),
                encoding: String::from("DER")
            })]);
        }
    }
    if pem::contains_pem(input) {
        let blocks = pem::blocks(input)
            .into_iter()
            .map(|b| {
                b.map(|block| Blob {
                    object: from_label(&block),
                    encoding: format!("PEM {}", block.label),
                    bytes: block.der,
                })
            })
            .collect();
        return Ok(blocks);
    }
    // Bare text encodings must decode to DER to count: hex first (base64 of DER starts "MI"
    // and is never all hex digits), then base64.
    for (encoding, decoded) in [
        ("hex", crate::hexdump::decode(trimmed)),
        ("base64", pem::decode_base64(trimmed)),
    ] {
        let Some(bytes) = decoded else { continue };
        if let Some(object) = binary_container(&bytes) {
            return Ok(alloc::vec![Ok(Blob {
                object,
                bytes,
                encoding: String::from(encoding)
            })]);
        }
        if der::Reader::new(&bytes).read().is_ok() {
            let object = classify(&bytes);
            return Ok(alloc::vec![Ok(Blob {
                object,
                bytes,
                encoding: String::from(encoding)
            })]);
        }
    }
    if input.first() == Some(&TAG_SEQUENCE) && core::str::from_utf8(input).is_err() {
        // Binary that starts like DER but does not parse: say where it breaks.
        der::Reader::new(input).read()?;
    }
    Err(Error::UnknownFormat)
}

/// Binary formats recognised by their first bytes: captures and TLS records.
fn binary_container(bytes: &[u8]) -> Option<Object> {
    if crate::capture::looks_like_capture(bytes) {
        Some(Object::Capture)
    } else if crate::tls::looks_like_tls(bytes) {
        Some(Object::TlsStream)
    } else {
        None
    }
}

fn from_label(block: &pem::Block) -> Object {
    let label = block.label.trim();
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => Object::Certificate,
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Object::Csr,
        "X509 CRL" => Object::Crl,
        "PUBLIC KEY" => Object::PublicKey,
        "RSA PUBLIC KEY" => Object::RsaPublicKey,
        "ENCRYPTED PRIVATE KEY" => Object::EncryptedPrivateKey,
        _ if block.is_encrypted() => Object::EncryptedPrivateKey,
        "PRIVATE KEY" => Object::Pkcs8,
        "RSA PRIVATE KEY" => Object::RsaPrivateKey,
        "EC PRIVATE KEY" => Object::EcPrivateKey,
        "PKCS7" | "CMS" => Object::Pkcs7,
        "PKCS12" => Object::Pkcs12,
        "EC PARAMETERS" => Object::EcParameters,
        _ => classify(&block.der),
    }
}

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];

/// Names a DER object by its shape (the first element of `der`; trailing bytes are ignored).
pub fn classify(der: &[u8]) -> Object {
    let Ok(top) = Reader::new(der).read() else {
        return Object::Unknown;
    };
    if top.tag != TAG_SEQUENCE {
        return Object::Unknown;
    }
    let Ok(kids) = top.children() else {
        return Object::Unknown;
    };
    let tags: Vec<u8> = kids.iter().map(|k| k.tag).collect();
    match tags.as_slice() {
        [TAG_SEQUENCE, TAG_SEQUENCE, 0x03] => signed_object(&kids[0]),
        [TAG_SEQUENCE, 0x03] => Object::PublicKey,
        [TAG_SEQUENCE, TAG_OCTET_STRING] => Object::EncryptedPrivateKey,
        [TAG_INTEGER, TAG_INTEGER] => Object::RsaPublicKey,
        [TAG_OID, 0xa0, ..] if kids[0].content == OID_SIGNED_DATA => Object::Pkcs7,
        [TAG_INTEGER, TAG_SEQUENCE, ..]
            if kids[0].content == [3] && starts_with_oid(&kids[1], OID_DATA) =>
        {
            Object::Pkcs12
        }
        [TAG_INTEGER, TAG_SEQUENCE, TAG_OCTET_STRING, ..]
            if kids[0].content.len() == 1 && kids[0].content[0] <= 1 =>
        {
            Object::Pkcs8
        }
        [TAG_INTEGER, TAG_OCTET_STRING, ..] if kids[0].content == [1] => Object::EcPrivateKey,
        [TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, TAG_INTEGER, ..] => {
            Object::RsaPrivateKey
        }
        _ => Object::Unknown,
    }
}

/// Tells a certificate, a CSR and a CRL apart by their to-be-signed part.
fn signed_object(tbs: &Tlv<'_>) -> Object {
    let Ok(kids) = tbs.children() else {
        return Object::Unknown;
    };
    let tags: Vec<u8> = kids.iter().map(|k| k.tag).collect();
    match tags.as_slice() {
        [0xa0, TAG_INTEGER, TAG_SEQUENCE, TAG_SEQUENCE, TAG_SEQUENCE, ..]
        | [TAG_INTEGER, TAG_SEQUENCE, TAG_SEQUENCE, TAG_SEQUENCE, TAG_SEQUENCE, ..] => {
            Object::Certificate
        }
        [TAG_INTEGER, TAG_SEQUENCE, TAG_SEQUENCE, 0xa0]
        | [TAG_INTEGER, TAG_SEQUENCE, TAG_SEQUENCE] => Object::Csr,
        [TAG_INTEGER, TAG_SEQUENCE, TAG_SEQUENCE, 0x17 | 0x18, ..]
        | [TAG_SEQUENCE, TAG_SEQUENCE, 0x17 | 0x18, ..] => Object::Crl,
        _ => Object::Unknown,
    }
}

fn starts_with_oid(seq: &Tlv<'_>, oid: &[u8]) -> bool {
    seq.children()
        .ok()
        .and_then(|k| k.first().map(|f| f.tag == TAG_OID && f.content == oid))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A minimal SubjectPublicKeyInfo-shaped object: SEQ { SEQ { OID 1.2 }, BIT STRING 00 }.
    const SPKI: [u8; 9] = [0x30, 0x07, 0x30, 0x03, 0x06, 0x01, 0x2a, 0x03, 0x00];

    fn objects(input: &[u8]) -> Vec<(Object, String)> {
        sniff(input)
            .map(|v| {
                v.into_iter()
                    .flatten()
                    .map(|b| (b.object, b.encoding))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn der_base64_and_hex_are_unwrapped() {
        assert_eq!(objects(&SPKI), [(Object::PublicKey, String::from("DER"))]);
        assert_eq!(
            objects(b"300730030601 2a0300\n"),
            [(Object::PublicKey, String::from("hex"))]
        );
        assert_eq!(
            objects(b"MAcwAwYBKgMA\n"),
            [(Object::PublicKey, String::from("base64"))]
        );
    }

    #[test]
    fn captures_and_tls_are_recognised() {
        assert_eq!(
            objects(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0])[0].0,
            Object::Capture
        );
        assert_eq!(
            objects(&[0x16, 0x03, 0x01, 0x00, 0x05, 1])[0].0,
            Object::TlsStream
        );
    }

    #[test]
    fn unknown_text_is_an_error() {
        assert_eq!(sniff(b"hello world"), Err(Error::UnknownFormat));
        assert_eq!(sniff(b"  \n"), Err(Error::Empty));
        assert!(matches!(
            sniff(&[0x30, 0x82, 0x05]),
            Err(Error::Truncated { .. })
        ));
    }
}
