//! PKCS#7 / CMS certificate bundles (`.p7b`, `openssl crl2pkcs7 -nocrl`).
//!
//! A bundle is a ContentInfo holding a degenerate SignedData whose only use is its
//! `certificates [0]` field. Only that field is read, with the crate's DER reader, and each
//! certificate comes back as a sub-slice of the input so the caller keeps exact bytes.

use alloc::string::String;
use alloc::vec::Vec;

use crate::der::{self, Reader, TAG_INTEGER, TAG_OID, TAG_SEQUENCE, TAG_SET};
use crate::error::Error;

const WHAT: &str = "PKCS#7 bundle";
/// id-signedData.
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";

fn malformed(reason: &str) -> Error {
    Error::Malformed {
        what: WHAT,
        reason: String::from(reason),
    }
}

/// The certificates of a PKCS#7 / CMS SignedData ContentInfo, in order, as sub-slices of `der`.
///
/// Entries of `certificates` that are not plain certificates (the obsolete extended and
/// attribute certificate choices) are skipped. A bundle without certificates is an error:
/// there is nothing in it to inspect.
pub fn certificates(der: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let content_info = der::single(der)?;
    if content_info.tag != TAG_SEQUENCE {
        return Err(malformed("it is not a SEQUENCE"));
    }
    let mut r = Reader::new(content_info.content);
    let content_type = r.expect(TAG_OID, "PKCS#7 contentType")?;
    if der::oid_to_string(content_type.content).as_deref() != Some(SIGNED_DATA) {
        return Err(malformed("its content is not SignedData"));
    }
    let explicit = r.expect(0xa0, "PKCS#7 content")?;
    let signed_data = der::single(explicit.content)?;
    if signed_data.tag != TAG_SEQUENCE {
        return Err(malformed("the SignedData is not a SEQUENCE"));
    }
    let mut r = Reader::new(signed_data.content);
    r.expect(TAG_INTEGER, "SignedData version")?;
    r.expect(TAG_SET, "SignedData digestAlgorithms")?;
    r.expect(TAG_SEQUENCE, "SignedData encapContentInfo")?;
    while !r.is_empty() {
        let field = r.read()?;
        if field.tag != 0xa0 {
            continue;
        }
        let mut certs = Reader::new(field.content);
        let mut out = Vec::new();
        while !certs.is_empty() {
            let cert = certs.read()?;
            if cert.tag == TAG_SEQUENCE {
                out.push(cert.raw);
            }
        }
        if out.is_empty() {
            break;
        }
        return Ok(out);
    }
    Err(malformed("it holds no certificates"))
}
