//! The TCP header: ports, sequence number, flags and where the payload starts.
//!
//! Checksums are not verified: captures taken on the sending host (loopback included) hold
//! segments before the NIC fills the checksum in, so a check would flag every healthy packet.

use super::packet::{be16, be32};

pub(crate) const FIN: u8 = 0x01;
pub(crate) const SYN: u8 = 0x02;
pub(crate) const RST: u8 = 0x04;
pub(crate) const ACK: u8 = 0x10;

/// One TCP segment, borrowing the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub flags: u8,
    pub payload: &'a [u8],
    /// The offset of `payload` in the TCP header's bytes.
    pub payload_offset: usize,
}

impl Segment<'_> {
    pub(crate) const fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Why a TCP header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpError {
    Short,
    BadOffset,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Segment<'_>, TcpError> {
    let src_port = be16(bytes, 0).ok_or(TcpError::Short)?;
    let dst_port = be16(bytes, 2).ok_or(TcpError::Short)?;
    let seq = be32(bytes, 4).ok_or(TcpError::Short)?;
    let offset_byte = *bytes.get(12).ok_or(TcpError::Short)?;
    let flags = *bytes.get(13).ok_or(TcpError::Short)?;
    let header_len = usize::from(offset_byte >> 4) * 4;
    if header_len < 20 {
        return Err(TcpError::BadOffset);
    }
    if bytes.len() < header_len {
        return Err(TcpError::Short);
    }
    Ok(Segment {
        src_port,
        dst_port,
        seq,
        flags,
        payload: bytes.get(header_len..).unwrap_or_default(),
        payload_offset: header_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_and_payload() {
        let mut s = [0u8; 24];
        s[0..2].copy_from_slice(&443u16.to_be_bytes());
        s[4..8].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        s[12] = 5 << 4;
        s[13] = SYN | ACK;
        let seg = parse(&s);
        assert_eq!(
            seg.map(|g| (g.src_port, g.seq, g.has(SYN), g.has(FIN), g.payload.len())),
            Ok((443, 0xffff_fff0, true, false, 4))
        );
        s[12] = 2 << 4;
        assert_eq!(parse(&s), Err(TcpError::BadOffset));
        s[12] = 15 << 4;
        assert_eq!(parse(&s), Err(TcpError::Short));
        assert_eq!(parse(&s[..5]), Err(TcpError::Short));
    }
}
