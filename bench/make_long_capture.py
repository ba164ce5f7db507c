#!/usr/bin/env python3
"""Builds a capture of long-lived connections from one real recorded connection.

Reads a classic pcap holding one TCP connection (as `mtlskit probe --save-handshake` writes
it) and writes CONNECTIONS copies of it that are all open at once: each copy's handshake, then
rounds in which every copy's server sends one more 1400-byte TLS application data record, until
each has sent MB megabytes, then each copy's close. What a capture of busy keep-alive mTLS
connections looks like to a reader: many connections open together, each far larger than its
handshake. The TCP checksums are left as they are (tshark does not check them by default;
mtlskit never does).

usage: make_long_capture.py IN.pcap OUT.pcap CONNECTIONS MB
"""
import struct
import sys

SEGMENT = 1400


def main() -> int:
    src, dst = sys.argv[1], sys.argv[2]
    connections, mb = int(sys.argv[3]), float(sys.argv[4])
    data = open(src, "rb").read()
    header, body = data[:24], data[24:]
    if struct.unpack("<I", header[:4])[0] != 0xA1B2C3D4 or struct.unpack("<I", header[20:24])[0] != 1:
        print("make_long_capture.py: expected a little-endian Ethernet pcap", file=sys.stderr)
        return 2
    packets = []
    while len(body) >= 16:
        sec, usec, incl, _ = struct.unpack("<IIII", body[:16])
        packets.append((sec * 1_000_000 + usec, bytearray(body[16:16 + incl])))
        body = body[16 + incl:]
    first = packets[0][1]
    ihl = (first[14] & 0x0F) * 4
    client_port = struct.unpack(">H", first[14 + ihl:16 + ihl])[0]

    def tcp_at(frame):
        return 14 + (frame[14] & 0x0F) * 4

    def from_server(frame):
        return struct.unpack(">H", frame[tcp_at(frame):tcp_at(frame) + 2])[0] != client_port

    def flags(frame):
        return frame[tcp_at(frame) + 13]

    # The handshake: every packet before the first FIN or RST; the close: the rest.
    cut = next((i for i, (_, f) in enumerate(packets) if flags(f) & 0x05), len(packets))
    handshake, close = packets[:cut], packets[cut:]
    # The server's next sequence number after its last data, and a server packet to copy.
    template, next_seq = None, 0
    for _, f in handshake:
        if from_server(f):
            t = tcp_at(f)
            payload = len(f) - (t + (f[t + 12] >> 4) * 4)
            template = f
            next_seq = (struct.unpack(">I", f[t + 4:t + 8])[0] + payload) & 0xFFFFFFFF
    if template is None:
        print("make_long_capture.py: the connection has no server packet", file=sys.stderr)
        return 2
    rounds = max(1, int(mb * 1_000_000 / SEGMENT))
    record = bytes([0x17, 0x03, 0x03]) + struct.pack(">H", SEGMENT - 5) + b"\xab" * (SEGMENT - 5)
    added = rounds * SEGMENT

    def port_of(n):
        return 1024 + n

    def rewrite(frame, n, shift):
        frame = bytearray(frame)
        t = tcp_at(frame)
        sp, dp = struct.unpack(">HH", frame[t:t + 4])
        if sp == client_port:
            frame[t:t + 2] = struct.pack(">H", port_of(n))
        if dp == client_port:
            frame[t + 2:t + 4] = struct.pack(">H", port_of(n))
        if shift and from_server_port(sp):
            seq = (struct.unpack(">I", frame[t + 4:t + 8])[0] + added) & 0xFFFFFFFF
            frame[t + 4:t + 8] = struct.pack(">I", seq)
        return frame

    def from_server_port(sp):
        return sp != client_port

    t0 = packets[0][0]
    out = open(dst, "wb")
    out.write(header)
    clock = [t0]

    def write(frame, at=None):
        clock[0] = at if at is not None else clock[0] + 10
        out.write(struct.pack("<IIII", clock[0] // 1_000_000, clock[0] % 1_000_000, len(frame), len(frame)))
        out.write(frame)

    for n in range(connections):
        for at, f in handshake:
            write(rewrite(f, n, False), max(clock[0], t0 + (at - t0) + n * 1000))
    t = tcp_at(template)
    hlen = (template[t + 12] >> 4) * 4
    base = bytearray(template[:t + hlen])
    base[t + 13] = 0x18  # PSH, ACK
    ip_total = struct.pack(">H", len(base) - 14 + SEGMENT)
    for r in range(rounds):
        for n in range(connections):
            frame = bytearray(base)
            frame[16:18] = ip_total
            frame[t + 2:t + 4] = struct.pack(">H", port_of(n))
            frame[t + 4:t + 8] = struct.pack(">I", (next_seq + r * SEGMENT) & 0xFFFFFFFF)
            write(frame + record)
    for n in range(connections):
        for _, f in close:
            write(rewrite(f, n, True))
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
