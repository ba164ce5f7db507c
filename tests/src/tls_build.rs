//! Builders for TLS bytes in tests: extensions, hellos, messages and records.

fn u16be(v: usize) -> [u8; 2] {
    [(v >> 8) as u8, v as u8]
}

/// `len(u16) || body`.
pub fn vec16(body: &[u8]) -> Vec<u8> {
    let mut v = u16be(body.len()).to_vec();
    v.extend_from_slice(body);
    v
}

/// `len(u8) || body`.
pub fn vec8(body: &[u8]) -> Vec<u8> {
    let mut v = vec![body.len() as u8];
    v.extend_from_slice(body);
    v
}

pub fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// One extension: type, length, body.
pub fn ext(ty: u16, body: &[u8]) -> Vec<u8> {
    let mut v = ty.to_be_bytes().to_vec();
    v.extend(vec16(body));
    v
}

/// A handshake message: type, u24 length, body.
pub fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len();
    let mut v = vec![kind, (n >> 16) as u8, (n >> 8) as u8, n as u8];
    v.extend_from_slice(body);
    v
}

/// Records of `content_type` carrying `payload` in fragments of at most `size` bytes.
pub fn records(content_type: u8, payload: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in payload.chunks(size.max(1)) {
        out.extend([content_type, 3, 3]);
        out.extend(u16be(chunk.len()));
        out.extend_from_slice(chunk);
    }
    out
}

/// A ClientHello body from its parts; `extensions` are complete extension encodings.
pub fn client_hello(ciphers: &[u16], extensions: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![3, 3];
    v.extend([0x11; 32]);
    v.extend(vec8(&[0x22; 32]));
    v.extend(vec16(&u16s(ciphers)));
    v.extend(vec8(&[0]));
    v.extend(vec16(&extensions.concat()));
    v
}

/// FoxIO's JA4 example ClientHello (technical_details/JA4.md), with GREASE added in front of
/// the ciphers and around the extensions as browsers send it (JA4 must ignore it).
pub fn foxio_example() -> Vec<u8> {
    let ciphers = [
        0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
        0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
    ];
    let sni = {
        let name = b"example.com";
        let mut entry = vec![0];
        entry.extend(vec16(name));
        vec16(&entry)
    };
    let alpn = vec16(&[vec8(b"h2"), vec8(b"http/1.1")].concat());
    let key_share = {
        let mut e = u16s(&[0x001d]);
        e.extend(vec16(&[7; 32]));
        vec16(&e)
    };
    let sigs = u16s(&[
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ]);
    let extensions = vec![
        ext(0x1a1a, &[]),
        ext(0x001b, &vec8(&u16s(&[2]))),
        ext(0x0000, &sni),
        ext(0x0033, &key_share),
        ext(0x0010, &alpn),
        ext(0x4469, &vec16(&vec8(b"h2"))),
        ext(0x0017, &[]),
        ext(0x002d, &vec8(&[1])),
        ext(0x000d, &vec16(&sigs)),
        ext(0x0005, &[1, 0, 0, 0, 0]),
        ext(0x0023, &[]),
        ext(0x0012, &[]),
        ext(0x002b, &vec8(&u16s(&[0x3a3a, 0x0304, 0x0303]))),
        ext(0xff01, &[0]),
        ext(0x000b, &vec8(&[0])),
        ext(0x000a, &vec16(&u16s(&[0x4a4a, 0x001d, 0x0017, 0x0018]))),
        ext(0x0015, &[0; 20]),
        ext(0x2a2a, &[0]),
    ];
    message(1, &client_hello(&ciphers, &extensions))
}
