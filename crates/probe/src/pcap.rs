//! `--save-handshake`: the recorded connection as a classic pcap file, or (with the
//! connection's secrets) as a pcapng file with a Decryption Secrets Block.
//!
//! A capture holds both directions in one file that the web inspector, `mtlskit inspect` and
//! Wireshark all read. The packets are synthesised: Ethernet, IPv4 (or IPv6) and TCP headers
//! around the recorded bytes, with a three-way handshake, consistent sequence numbers and
//! correct checksums, so dissectors accept them as a real connection.

use std::net::{IpAddr, SocketAddr};

const MSS: usize = 1400;

/// The packets of a pcap file this module wrote, as pcapng (draft-ietf-opsawg-pcapng): a
/// Section Header, one Ethernet interface (microsecond times, the default), a Decryption
/// Secrets Block holding `key_log` (type TLS key log, "TLSK"), then an Enhanced Packet per
/// packet.
pub fn to_pcapng(pcap: &[u8], key_log: &[u8]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(body);
        out.resize(out.len() + padded - body.len(), 0);
        out.extend_from_slice(&total.to_le_bytes());
    }
    let mut out = Vec::with_capacity(pcap.len() + key_log.len() + 256);
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes()); // section length: not given
    block(&mut out, 0x0a0d_0d0a, &shb);
    let mut idb = 1u16.to_le_bytes().to_vec(); // LINKTYPE_ETHERNET
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&262_144u32.to_le_bytes());
    block(&mut out, 1, &idb);
    if !key_log.is_empty() {
        let mut dsb = 0x544c_534bu32.to_le_bytes().to_vec();
        dsb.extend_from_slice(&(key_log.len() as u32).to_le_bytes());
        dsb.extend_from_slice(key_log);
        block(&mut out, 0x0a, &dsb);
    }
    // The classic records: seconds, microseconds, captured and original length, data.
    let mut at = 24;
    while let Some(header) = pcap.get(at..at + 16) {
        let word = |i: usize| {
            let b: [u8; 4] = header[i..i + 4].try_into().unwrap_or_default();
            u32::from_le_bytes(b)
        };
        let (secs, micros, len, orig) = (word(0), word(4), word(8), word(12));
        let Some(data) = pcap.get(at + 16..at + 16 + len as usize) else {
            break;
        };
        let ts = u64::from(secs) * 1_000_000 + u64::from(micros);
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&len.to_le_bytes());
        epb.extend_from_slice(&orig.to_le_bytes());
        epb.extend_from_slice(data);
        block(&mut out, 6, &epb);
        at += 16 + len as usize;
    }
    out
}

/// pcap bytes of a connection from `client` to `server` that carried these two streams, in
/// the order of `turns` (who sent how many bytes next), so the file shows the handshake as
/// it alternated. Bytes no turn accounts for follow at the end.
pub fn write(
    client: SocketAddr,
    server: SocketAddr,
    to_server: &[u8],
    to_client: &[u8],
    turns: &[(bool, usize)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(to_server.len() + to_client.len() + 4096);
    // Global header: magic, v2.4, no zone, no sigfigs, snaplen 262144, LINKTYPE_ETHERNET.
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let (mut cseq, mut sseq) = (1_000u32, 5_000u32);
    let mut t = 0u32;
    let mut packet =
        |out: &mut Vec<u8>, from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]| {
            let (src, dst) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            let frame = frame(src, dst, seq, ack, flags, payload);
            t += 1;
            out.extend_from_slice(&1_700_000_000u32.to_le_bytes());
            out.extend_from_slice(&(t * 1000).to_le_bytes());
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&frame);
        };
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;
    const FIN: u8 = 0x01;
    packet(&mut out, true, cseq, 0, SYN, &[]);
    packet(&mut out, false, sseq, cseq + 1, SYN | ACK, &[]);
    cseq += 1;
    sseq += 1;
    packet(&mut out, true, cseq, sseq, ACK, &[]);
    // Positions reached in each direction; the leftovers make two final turns.
    let (mut sent, mut received) = (0usize, 0usize);
    let rest = [(true, usize::MAX), (false, usize::MAX)];
    for &(from_client, len) in turns.iter().chain(rest.iter()) {
        let (data, done) = if from_client {
            (to_server, &mut sent)
        } else {
            (to_client, &mut received)
        };
        let end = done.saturating_add(len).min(data.len());
        for chunk in data.get(*done..end).unwrap_or(&[]).chunks(MSS) {
            if from_client {
                packet(&mut out, true, cseq, sseq, PSH | ACK, chunk);
                cseq = cseq.wrapping_add(chunk.len() as u32);
            } else {
                packet(&mut out, false, sseq, cseq, PSH | ACK, chunk);
                sseq = sseq.wrapping_add(chunk.len() as u32);
            }
        }
        *done = end;
    }
    packet(&mut out, true, cseq, sseq, FIN | ACK, &[]);
    packet(&mut out, false, sseq, cseq + 1, FIN | ACK, &[]);
    packet(&mut out, true, cseq + 1, sseq + 1, ACK, &[]);
    out
}

fn frame(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&src.port().to_be_bytes());
    tcp.extend_from_slice(&dst.port().to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[0x50, flags]);
    tcp.extend_from_slice(&65_535u16.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum (filled below), urgent pointer
    tcp.extend_from_slice(payload);
    let mut eth = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut pseudo = Vec::with_capacity(12 + tcp.len());
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 6]);
            pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            set_checksum(&mut tcp, &pseudo);
            let total = (20 + tcp.len()) as u16;
            let mut ip = vec![0x45, 0];
            ip.extend_from_slice(&total.to_be_bytes());
            ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let sum = checksum(&ip, 0);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            eth.extend_from_slice(&[0x08, 0x00]);
            eth.extend_from_slice(&ip);
        }
        (s, d) => {
            let (s, d) = (v6(s), v6(d));
            let mut pseudo = Vec::with_capacity(40 + tcp.len());
            pseudo.extend_from_slice(&s);
            pseudo.extend_from_slice(&d);
            pseudo.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 6]);
            set_checksum(&mut tcp, &pseudo);
            let mut ip = vec![0x60, 0, 0, 0];
            ip.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            ip.extend_from_slice(&[6, 64]);
            ip.extend_from_slice(&s);
            ip.extend_from_slice(&d);
            eth.extend_from_slice(&[0x86, 0xdd]);
            eth.extend_from_slice(&ip);
        }
    }
    eth.extend_from_slice(&tcp);
    eth
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn set_checksum(tcp: &mut [u8], pseudo: &[u8]) {
    let partial = sum_words(pseudo, 0);
    let sum = checksum(tcp, partial);
    tcp[16..18].copy_from_slice(&sum.to_be_bytes());
}

fn sum_words(bytes: &[u8], start: u32) -> u32 {
    let mut sum = start;
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum = sum.wrapping_add(u32::from(word));
    }
    sum
}

fn checksum(bytes: &[u8], start: u32) -> u16 {
    let mut sum = sum_words(bytes, start);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
