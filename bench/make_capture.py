#!/usr/bin/env python3
"""Builds a large pcap for the capture benchmark from one real recorded connection.

Reads a classic pcap holding one TCP connection (as `mtlskit probe --save-handshake` writes
it), and writes COPIES copies of it, each on its own client port, one after the other: tens
of megabytes of real mTLS handshakes that every dissector reads as separate connections.
The TCP checksums are left as they are (tshark does not check them by default; mtlskit never
does).

usage: make_capture.py IN.pcap OUT.pcap COPIES
"""
import struct
import sys


def main() -> int:
    src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    header, body = data[:24], data[24:]
    if struct.unpack("<I", header[:4])[0] != 0xA1B2C3D4 or struct.unpack("<I", header[20:24])[0] != 1:
        print("make_capture.py: expected a little-endian Ethernet pcap", file=sys.stderr)
        return 2
    packets = []
    while len(body) >= 16:
        sec, usec, incl, orig = struct.unpack("<IIII", body[:16])
        packets.append((sec, usec, bytearray(body[16:16 + incl])))
        body = body[16 + incl:]
    # The client is the source of the first packet (the SYN); its port is rewritten per copy.
    first = packets[0][2]
    ihl = (first[14] & 0x0F) * 4
    client_port, server_port = struct.unpack(">HH", first[14 + ihl:18 + ihl])
    with open(dst, "wb") as out:
        out.write(header)
        for n in range(copies):
            port = 1024 + n % 60000
            if port == server_port:  # a copy must not talk to itself
                port = 1023
            for sec, usec, frame in packets:
                frame = bytearray(frame)
                ihl = (frame[14] & 0x0F) * 4
                tcp = 14 + ihl
                src_port, dst_port = struct.unpack(">HH", frame[tcp:tcp + 4])
                if src_port == client_port:
                    frame[tcp:tcp + 2] = struct.pack(">H", port)
                if dst_port == client_port:
                    frame[tcp + 2:tcp + 4] = struct.pack(">H", port)
                out.write(struct.pack("<IIII", sec + n, usec, len(frame), len(frame)))
                out.write(frame)
    return 0


if __name__ == "__main__":
    sys.exit(main())
