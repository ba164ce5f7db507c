//! A pcap writer for the capture tests: TCP segments between two IPv4 endpoints, with the
//! sequence numbers and times a test gives.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;
pub const FIN: u8 = 0x01;

/// A pcap header (Ethernet, microseconds).
pub fn header() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out
}

/// The pcap records of one connection from `client` to `server` (IPv4): the client's initial
/// sequence number 1000, the server's 5000 (acknowledging each other), the packet `i` at
/// `time(i)` microseconds.
pub fn records(
    client: SocketAddr,
    server: SocketAddr,
    segments: &[(bool, Vec<u8>, u8)],
    time: impl Fn(usize) -> u64,
) -> Vec<u8> {
    let v4 = |a: SocketAddr| match a.ip() {
        IpAddr::V4(ip) => ip.octets(),
        IpAddr::V6(_) => unreachable!("IPv4 only"),
    };
    let mut out = Vec::new();
    let mut seq = [1000u32, 5000u32];
    for (i, (from_client, payload, flags)) in segments.iter().enumerate() {
        let side = usize::from(!from_client);
        let (src, dst) = if *from_client {
            (client, server)
        } else {
            (server, client)
        };
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        frame.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        frame[16..18].copy_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&v4(src));
        frame.extend_from_slice(&v4(dst));
        frame.extend_from_slice(&src.port().to_be_bytes());
        frame.extend_from_slice(&dst.port().to_be_bytes());
        frame.extend_from_slice(&seq[side].to_be_bytes());
        let ack = if flags & ACK != 0 { seq[1 - side] } else { 0 };
        frame.extend_from_slice(&ack.to_be_bytes());
        frame.extend_from_slice(&[0x50, *flags, 0xff, 0xff, 0, 0, 0, 0]);
        frame.extend_from_slice(payload);
        seq[side] = seq[side]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags & (SYN | FIN) != 0));
        let us = time(i);
        out.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

pub fn addr(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)
}
