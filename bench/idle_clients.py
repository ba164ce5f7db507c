#!/usr/bin/env python3
"""Holds N idle keep-alive mTLS connections to a server (bench/proxy.sh's memory figure).

Each connection does a full mTLS handshake, sends one HTTP/1.1 request, reads the answer and
then stays open and idle, as a browser's or a service client's pooled connection does. At most
CONCURRENCY handshakes are in progress at once (the proxy limits handshakes per address).
When all are open the script prints "open N" and waits for its standard input to close; then
it closes every connection and exits. A connection that fails is counted and reported ("failed
N: reason"), never retried.

usage: idle_clients.py PORT N CA CERT KEY [CONCURRENCY]
"""

import asyncio
import resource
import ssl
import sys


async def one(port, context, gate, opened, failures):
    async with gate:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=context, server_hostname="localhost"
            )
            writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
            opened.append(writer)
        except Exception as e:  # counted and reported, the others go on
            failures.append(f"{type(e).__name__}: {e}")


async def main():
    port, count, ca, cert, key = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:6]
    concurrency = int(sys.argv[6]) if len(sys.argv) > 6 else 32
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 256)), hard))
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    gate = asyncio.Semaphore(concurrency)
    opened, failures = [], []
    await asyncio.gather(*(one(port, context, gate, opened, failures) for _ in range(count)))
    if failures:
        print(f"failed {len(failures)}: {failures[0]}", flush=True)
    print(f"open {len(opened)}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for w in opened:
        w.close()


asyncio.run(main())
