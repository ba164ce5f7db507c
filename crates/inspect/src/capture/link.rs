//! Link layers: from a captured frame to the IP packet inside it.
//!
//! Captures of an mTLS problem come from wherever the operator could run tcpdump: an Ethernet
//! interface (with VLAN tags), Linux's `any` pseudo-interface (cooked SLL or SLL2), a BSD or
//! macOS loopback (null/loop), or a tunnel (raw IP). Anything that is not IPv4 or IPv6 (ARP,
//! LLDP, ...) is skipped without a finding; an unknown link type gets one finding per file.

use super::packet::{be16, be32};

pub(crate) const ETHERNET: u32 = 1;
pub(crate) const NULL: u32 = 0;
pub(crate) const RAW: u32 = 101;
/// DLT_RAW as some BSDs number it in files.
const RAW_BSD_12: u32 = 12;
const RAW_BSD_14: u32 = 14;
pub(crate) const LOOP: u32 = 108;
pub(crate) const LINUX_SLL: u32 = 113;
pub(crate) const IPV4: u32 = 228;
pub(crate) const IPV6: u32 = 229;
pub(crate) const LINUX_SLL2: u32 = 276;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// 802.1Q, 802.1ad and the pre-standard QinQ tag.
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// More stacked tags than this is damage, not a network.
const MAX_VLAN_TAGS: usize = 8;

/// What the link layer says the payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Network {
    Ipv4,
    Ipv6,
    /// Decide by the IP version nibble.
    Either,
}

/// Why a frame yields no IP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Another protocol (ARP, ...): nothing to say.
    NotIp,
    /// The frame is shorter than its link header.
    Short,
    /// The file's link type is not one this reader knows.
    UnknownLink,
}

/// The link type's name, for findings and the report.
pub(crate) fn name(link: u32) -> &'static str {
    match link {
        NULL => "BSD loopback (null)",
        ETHERNET => "Ethernet",
        RAW | RAW_BSD_12 | RAW_BSD_14 => "raw IP",
        LOOP => "OpenBSD loopback",
        LINUX_SLL => "Linux cooked (SLL)",
        LINUX_SLL2 => "Linux cooked v2 (SLL2)",
        IPV4 => "raw IPv4",
        IPV6 => "raw IPv6",
        _ => "unknown",
    }
}

/// The offset of the network-layer packet in `frame`, and what it is.
pub(crate) fn network(link: u32, frame: &[u8]) -> Result<(usize, Network), Skip> {
    match link {
        ETHERNET => ethernet(frame),
        NULL | LOOP => {
            // The address family, in the capturing host's byte order for NULL, network order
            // for LOOP; both orders are tried since the file does not say which host wrote it.
            let le = frame.get(..4).ok_or(Skip::Short)?;
            let family = u32::from_le_bytes([le[0], le[1], le[2], le[3]]);
            let family_be = be32(frame, 0).ok_or(Skip::Short)?;
            match (family, family_be) {
                (2, _) | (_, 2) => Ok((4, Network::Ipv4)),
                // AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS).
                (10 | 24 | 28 | 30, _) | (_, 10 | 24 | 28 | 30) => Ok((4, Network::Ipv6)),
                _ => Err(Skip::NotIp),
            }
        }
        RAW | RAW_BSD_12 | RAW_BSD_14 => Ok((0, Network::Either)),
        IPV4 => Ok((0, Network::Ipv4)),
        IPV6 => Ok((0, Network::Ipv6)),
        LINUX_SLL => ethertype(be16(frame, 14).ok_or(Skip::Short)?, 16),
        LINUX_SLL2 => ethertype(be16(frame, 0).ok_or(Skip::Short)?, 20),
        _ => Err(Skip::UnknownLink),
    }
}

fn ethernet(frame: &[u8]) -> Result<(usize, Network), Skip> {
    let mut at = 12;
    for _ in 0..=MAX_VLAN_TAGS {
        let kind = be16(frame, at).ok_or(Skip::Short)?;
        if VLAN_TAGS.contains(&kind) {
            at += 4;
            continue;
        }
        return ethertype(kind, at + 2);
    }
    Err(Skip::NotIp)
}

fn ethertype(kind: u16, at: usize) -> Result<(usize, Network), Skip> {
    match kind {
        ETHERTYPE_IPV4 => Ok((at, Network::Ipv4)),
        ETHERTYPE_IPV6 => Ok((at, Network::Ipv6)),
        _ => Err(Skip::NotIp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ip_in_each_link_layer() {
        let mut eth = [0u8; 20];
        eth[12..14].copy_from_slice(&[0x81, 0x00]);
        eth[16..18].copy_from_slice(&[0x86, 0xdd]);
        assert_eq!(network(ETHERNET, &eth), Ok((18, Network::Ipv6)));
        assert_eq!(network(ETHERNET, &eth[..15]), Err(Skip::Short));
        let mut sll = [0u8; 16];
        sll[14..16].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(network(LINUX_SLL, &sll), Ok((16, Network::Ipv4)));
        assert_eq!(network(LINUX_SLL2, &[0x86, 0xdd]), Ok((20, Network::Ipv6)));
        assert_eq!(network(NULL, &[2, 0, 0, 0]), Ok((4, Network::Ipv4)));
        assert_eq!(network(LOOP, &[0, 0, 0, 24]), Ok((4, Network::Ipv6)));
        assert_eq!(network(NULL, &[7, 0, 0, 0]), Err(Skip::NotIp));
        assert_eq!(network(RAW, &[]), Ok((0, Network::Either)));
        assert_eq!(network(9999, &[]), Err(Skip::UnknownLink));
        // Endless VLAN tags end.
        let tags = [0x81u8, 0x00].repeat(40);
        assert_eq!(
            network(ETHERNET, &[&[0u8; 12][..], &tags].concat()),
            Err(Skip::NotIp)
        );
    }
}
