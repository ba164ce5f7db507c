//! IPv4 and IPv6: the addresses of a packet and where its transport payload lies.
//!
//! IPv6 extension headers (hop-by-hop, routing, destination options, fragment, AH) are walked
//! to the upper-layer header. Fragments are recognised and reported, not reassembled: TLS over
//! TCP is almost never fragmented at the IP layer (TCP's MSS keeps segments small), so a
//! fragment is worth a finding rather than a reassembly buffer a hostile file could exhaust.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::link::Network;
use super::packet::be16;

pub(crate) const TCP: u8 = 6;

/// The part of an IP packet the TCP layer needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The upper-layer protocol (6 = TCP).
    pub protocol: u8,
    /// The upper-layer bytes, trimmed to the length the IP header gives (link padding removed).
    pub payload: &'a [u8],
    /// The offset of `payload` in the IP packet.
    pub payload_offset: usize,
    /// Whether this is a fragment of a larger datagram (not reassembled).
    pub fragment: bool,
}

/// Why an IP packet could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpError {
    /// Shorter than its header.
    Short,
    /// The version nibble or a header field is impossible.
    Bad(&'static str),
}

/// Reads the IP packet at the start of `bytes`.
pub(crate) fn parse(network: Network, bytes: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let version = bytes.first().ok_or(IpError::Short)? >> 4;
    match (network, version) {
        (Network::Ipv4 | Network::Either, 4) => ipv4(bytes),
        (Network::Ipv6 | Network::Either, 6) => ipv6(bytes),
        _ => Err(IpError::Bad("the IP version does not match the link layer")),
    }
}

fn ipv4(bytes: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let header: &[u8; 20] = bytes
        .get(..20)
        .and_then(|h| h.try_into().ok())
        .ok_or(IpError::Short)?;
    let ihl = usize::from(header[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(IpError::Bad("the IPv4 header length is below 20 bytes"));
    }
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    // A total length of 0 is what captures of TCP segmentation offload show: use the frame.
    let end = if total == 0 {
        bytes.len()
    } else if total < ihl {
        return Err(IpError::Bad(
            "the IPv4 total length is below its header length",
        ));
    } else {
        total.min(bytes.len())
    };
    let flags_offset = u16::from_be_bytes([header[6], header[7]]);
    let more_fragments = flags_offset & 0x2000 != 0;
    let fragment_offset = flags_offset & 0x1fff;
    let src = Ipv4Addr::new(header[12], header[13], header[14], header[15]);
    let dst = Ipv4Addr::new(header[16], header[17], header[18], header[19]);
    Ok(IpPacket {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        protocol: header[9],
        payload: bytes.get(ihl..end).unwrap_or_default(),
        payload_offset: ihl,
        fragment: more_fragments || fragment_offset != 0,
    })
}

/// Extension headers followed to the upper layer; more is damage.
const MAX_EXTENSION_HEADERS: usize = 16;

fn ipv6(bytes: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let header: &[u8; 40] = bytes
        .get(..40)
        .and_then(|h| h.try_into().ok())
        .ok_or(IpError::Short)?;
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    // 0 is a jumbogram or segmentation offload: use the frame.
    let end = if payload_len == 0 {
        bytes.len()
    } else {
        (40 + payload_len).min(bytes.len())
    };
    let src = ipv6_addr(&header[8..24]);
    let dst = ipv6_addr(&header[24..40]);
    let mut next = header[6];
    let mut at = 40;
    let mut fragment = false;
    for _ in 0..MAX_EXTENSION_HEADERS {
        let len = match next {
            // Hop-by-hop, routing, destination options: (length + 1) * 8.
            0 | 43 | 60 => (usize::from(*bytes.get(at + 1).ok_or(IpError::Short)?) + 1) * 8,
            44 => {
                let offset_flags = be16(bytes, at + 2).ok_or(IpError::Short)?;
                fragment |= offset_flags & 0xfff9 != 0;
                8
            }
            // Authentication header: (length + 2) * 4.
            51 => (usize::from(*bytes.get(at + 1).ok_or(IpError::Short)?) + 2) * 4,
            _ => break,
        };
        next = *bytes.get(at).ok_or(IpError::Short)?;
        at += len;
    }
    if at > end {
        return Err(IpError::Short);
    }
    Ok(IpPacket {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        protocol: next,
        payload: bytes.get(at..end).unwrap_or_default(),
        payload_offset: at,
        fragment,
    })
}

fn ipv6_addr(bytes: &[u8]) -> Ipv6Addr {
    let mut octets = [0u8; 16];
    for (o, b) in octets.iter_mut().zip(bytes) {
        *o = *b;
    }
    Ipv6Addr::from(octets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    #[test]
    fn ipv4_trims_padding_and_notes_fragments() {
        let mut p = [0u8; 30];
        p[0] = 0x45;
        p[3] = 24; // total length 24: four payload bytes, then link padding
        p[9] = TCP;
        p[12..16].copy_from_slice(&[127, 0, 0, 1]);
        let ip = parse(Network::Either, &p);
        assert_eq!(
            ip.map(|i| (i.payload.len(), i.fragment, i.src)),
            Ok((4, false, IpAddr::V4(Ipv4Addr::LOCALHOST)))
        );
        p[6] = 0x20; // more fragments
        assert_eq!(parse(Network::Ipv4, &p).map(|i| i.fragment), Ok(true));
        assert_eq!(
            parse(Network::Ipv6, &p),
            Err(IpError::Bad("the IP version does not match the link layer"))
        );
        assert_eq!(parse(Network::Ipv4, &p[..10]), Err(IpError::Short));
    }

    #[test]
    fn ipv6_walks_extension_headers() {
        let mut p: Vec<u8> = alloc::vec![0; 40];
        p[0] = 0x60;
        p[5] = 8 + 4;
        p[6] = 0; // hop-by-hop
        p[39] = 1; // ::1
        p.extend_from_slice(&[TCP, 0, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(b"data");
        let ip = parse(Network::Either, &p);
        assert_eq!(
            ip.map(|i| (i.protocol, i.payload, i.src.to_string())),
            Ok((TCP, &b"data"[..], alloc::string::String::from("::")))
        );
        // A chain of headers that runs off the end is short, not a panic.
        p[40] = 0;
        assert!(parse(Network::Ipv6, &p).is_err());
    }
}
