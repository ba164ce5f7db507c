#!/usr/bin/env python3
"""Clients of the soak benchmark (bench/soak.sh starts the proxy and calls these).

  soak.py echo PORT                      the echo upstream (HTTP/1.1, answers every request)
  soak.py chain DIR FILE CAS BITS        a hostile client chain (as tests/src/hostile.rs makes it)
  soak.py hold PORT N SECONDS PID        N concurrent mTLS connections, one request each, held
  soak.py latency PORT N                 N sequential full handshakes + request; p50/p99
  soak.py hostile PORT SECONDS WORKERS HALF_OPEN CHAIN...
                                         hostile chains in a loop + half-open handshakes
  soak.py report DIR CONNS HOLD WORKERS HALF_OPEN   the Markdown table from DIR's JSON files

Every client connects to 127.0.0.1 only; every loop is bounded in count or time and ends by
itself. Results are one JSON object on stdout; progress goes to stderr. Certificates are read
from the current directory (ca.pem, client.pem, client.key, made by `mtlskit pki init`).
"""

import asyncio
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

HOST = "127.0.0.1"
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


def log(*args):
    print("soak.py:", *args, file=sys.stderr, flush=True)


def client_context(cert="client.pem", key="client.key"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations("ca.pem")
    ctx.load_cert_chain(cert, key)
    return ctx


# ---------------------------------------------------------------------------------------------
# The echo upstream.


def echo(port):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            out = json.dumps({"path": self.path, "subject": self.headers.get(
                "X-SSL-Client-S-DN")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer((HOST, port), H)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv.serve_forever()


# ---------------------------------------------------------------------------------------------
# A hostile chain, in DER by hand (the shape of tests/src/hostile.rs): a leaf for client.key's
# public key "issued by CN=X" with a BITS/8-byte signature, then CAS self-issued CN=X CA
# certificates with BITS-bit RSA moduli (not products of primes) and the exponent 2^33-1.


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([tag, 0x80 | len(b)]) + b
    return head + content


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def uint(be):
    be = be.lstrip(b"\0") or b"\0"
    if be[0] & 0x80:
        be = b"\0" + be
    return tlv(0x02, be)


def name(cn):
    return seq(tlv(0x31, seq(tlv(0x06, bytes([0x55, 4, 3])), tlv(0x0C, cn.encode()))))


SHA256_WITH_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")


def filler(seed, n):
    mask = (1 << 64) - 1
    x = (seed * 0x9E3779B97F4A7C15 & mask) | 1
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        out[i] = x & 0xFF
    return bytes(out)


def certificate(serial, issuer, subject, spki, ca, signature):
    validity = seq(tlv(0x17, b"200101000000Z"), tlv(0x17, b"491231235959Z"))
    tbs = [tlv(0xA0, tlv(0x02, b"\2")), uint(serial.to_bytes(8, "big")), SHA256_WITH_RSA,
           name(issuer), validity, name(subject), spki]
    if ca:
        bc = seq(tlv(0x06, bytes([0x55, 0x1D, 0x13])), tlv(0x01, b"\xff"),
                 tlv(0x04, seq(tlv(0x01, b"\xff"))))
        tbs.append(tlv(0xA3, seq(bc)))
    return seq(seq(*tbs), SHA256_WITH_RSA, tlv(0x03, b"\0" + signature))


def rsa_spki(seed, bits):
    n = bytearray(filler(seed, bits // 8))
    n[0] |= 0x80
    n[-1] |= 1
    key = seq(uint(bytes(n)), uint(bytes([1, 0xFF, 0xFF, 0xFF, 0xFF])))
    alg = seq(tlv(0x06, bytes.fromhex("2a864886f70d010101")), tlv(0x05, b""))
    return seq(alg, tlv(0x03, b"\0" + key))


def pem(der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def chain(directory, file, cas, bits):
    leaf_spki = subprocess.run(
        ["openssl", "pkey", "-in", os.path.join(directory, "client.key"), "-pubout",
         "-outform", "DER"], check=True, capture_output=True).stdout
    signature = bytearray(filler(7, bits // 8))
    signature[0] = 1
    out = pem(certificate(1, "X", "hostile", leaf_spki, False, bytes(signature)))
    for i in range(cas):
        s = 100 + i
        out += pem(certificate(s, "X", "X", rsa_spki(s, bits), True, filler(s, 16)))
    with open(os.path.join(directory, file), "w") as f:
        f.write(out)


# ---------------------------------------------------------------------------------------------
# Held connections.


async def read_response(reader):
    """One HTTP/1.1 response with Content-Length; returns the status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


def rss(pid):
    """The proxy's resident and peak resident memory (MiB) from /proc/PID/status."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


async def hold_async(port, n, seconds, pid):
    ctx = client_context()
    gate = asyncio.Semaphore(32)  # below max_handshakes_per_address (64): one source address
    conns = [None] * n
    errors = []

    async def open_one(i):
        async with gate:
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(HOST, port, ssl=ctx, server_hostname="localhost"),
                    30)
                w.write(REQUEST)
                status = await asyncio.wait_for(read_response(r), 30)
                if status != 200:
                    errors.append(f"connection {i}: status {status}")
                conns[i] = (r, w)
            except Exception as e:  # noqa: BLE001 - every failure is a result here
                errors.append(f"connection {i}: {type(e).__name__}: {e}")

    rss_before = rss(pid)
    t0 = time.monotonic()
    await asyncio.gather(*(open_one(i) for i in range(n)))
    opened = time.monotonic() - t0
    held = sum(c is not None for c in conns)
    log(f"{held} of {n} connections open in {opened:.1f} s; holding them {seconds} s")

    # The proxy still serves a new client while they are held.
    fresh = "ok"
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection(HOST, port, ssl=ctx, server_hostname="localhost"), 30)
        w.write(REQUEST)
        status = await asyncio.wait_for(read_response(r), 30)
        w.close()
        if status != 200:
            fresh = f"status {status}"
    except Exception as e:  # noqa: BLE001
        fresh = f"{type(e).__name__}: {e}"
    rss_held = rss(pid)

    # Hold, bounded in time; a connection the proxy closes shows as EOF on its reader.
    await asyncio.sleep(seconds)
    rss_after = rss(pid)

    # A second request on every held connection: each must still be alive.
    alive = 0

    async def again(i):
        nonlocal alive
        r, w = conns[i]
        try:
            w.write(REQUEST)
            status = await asyncio.wait_for(read_response(r), 60)
            if status == 200:
                alive += 1
            else:
                errors.append(f"connection {i}, second request: status {status}")
        except Exception as e:  # noqa: BLE001
            errors.append(f"connection {i}, second request: {type(e).__name__}: {e}")

    await asyncio.gather(*(again(i) for i in range(n) if conns[i] is not None))
    for c in conns:
        if c is not None:
            c[1].close()
    return {"connections": n, "rss_before_mib": rss_before, "rss_held_mib": rss_held,
            "rss_after_hold_mib": rss_after, "opened": held, "open_seconds": round(opened, 2),
            "held_seconds": seconds, "alive_after_hold": alive, "fresh_request": fresh,
            "errors": len(errors), "first_errors": errors[:5]}


def hold(port, n, seconds, pid):
    result = asyncio.run(hold_async(port, n, seconds, pid))
    print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# The legitimate client: sequential full handshakes (no resumption) with one request each.


def latency(port, n):
    ctx = client_context()
    times, errors = [], []
    deadline = time.monotonic() + max(60, n)  # bounded even if every request hangs to its timeout
    for i in range(n):
        if time.monotonic() > deadline:
            errors.append("time budget exhausted")
            break
        t0 = time.perf_counter()
        try:
            with socket.create_connection((HOST, port), timeout=10) as s:
                with ctx.wrap_socket(s, server_hostname="localhost") as t:
                    t.sendall(REQUEST)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = t.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if not data.startswith(b"HTTP/1.1 200"):
                        raise OSError(f"answer {data[:40]!r}")
            times.append(time.perf_counter() - t0)
        except (OSError, ssl.SSLError) as e:
            errors.append(f"request {i}: {type(e).__name__}: {e}")
    times.sort()

    def pct(p):
        if not times:
            return None
        return round(times[min(len(times) - 1, int(p / 100 * len(times)))] * 1000, 2)

    print(json.dumps({"requests": n, "ok": len(times), "errors": len(errors),
                      "first_errors": errors[:5], "p50_ms": pct(50), "p99_ms": pct(99),
                      "max_ms": round(times[-1] * 1000, 2) if times else None}), flush=True)


# ---------------------------------------------------------------------------------------------
# Hostile load: WORKERS loops of handshakes with hostile chains (from 127.0.0.3), and HALF_OPEN
# connections that send half a ClientHello and wait (from 127.0.0.2), reopened when the proxy
# closes them. Ends by itself after SECONDS, or at SIGTERM.

# A TLS record header announcing a 512-byte handshake record, then the start of a ClientHello.
PARTIAL_HELLO = bytes.fromhex("1603010200" "010001fc" "0303") + bytes(16)


async def hostile_async(port, seconds, workers, half_open, chains):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.call_later(seconds, stop.set)
    stats = {"chain_handshakes": 0, "chain_refused": 0, "chain_accepted": 0,
             "half_open_opened": 0, "half_open_closed_by_proxy": 0, "connect_errors": 0}
    contexts = [client_context(c, "client.key") for c in chains]

    async def chain_worker(k):
        i = k
        while not stop.is_set():
            ctx = contexts[i % len(contexts)]
            i += 1
            w = None
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(
                    HOST, port, ssl=ctx, server_hostname="localhost",
                    local_addr=("127.0.0.3", 0)), 15)
                w.write(REQUEST)
                head = await asyncio.wait_for(r.read(64), 15)
                if head.startswith(b"HTTP/1.1 200"):
                    stats["chain_accepted"] += 1
                else:
                    stats["chain_refused"] += 1
            except (OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                stats["chain_refused"] += 1
            finally:
                stats["chain_handshakes"] += 1
                if w is not None:
                    w.close()

    async def half_open_slot():
        while not stop.is_set():
            w = None
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(
                    HOST, port, local_addr=("127.0.0.2", 0)), 15)
                stats["half_open_opened"] += 1
                w.write(PARTIAL_HELLO)
                # Wait for the proxy to close it (handshake_timeout, or at once beyond
                # max_handshakes_per_address), or for the end.
                reading = asyncio.ensure_future(r.read(1))
                stopping = asyncio.ensure_future(stop.wait())
                _, pending = await asyncio.wait([reading, stopping],
                                                return_when=asyncio.FIRST_COMPLETED)
                for p in pending:
                    p.cancel()
                if reading.done() and not reading.cancelled():
                    reading.exception()  # a reset is an answer too; not an error
                    stats["half_open_closed_by_proxy"] += 1
            except (OSError, asyncio.TimeoutError):
                stats["connect_errors"] += 1
            finally:
                if w is not None:
                    w.close()
            # Reopen a little later: a handshake flood, not a SYN flood (out of scope).
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except asyncio.TimeoutError:
                pass

    tasks = [asyncio.ensure_future(chain_worker(k)) for k in range(workers)]
    tasks += [asyncio.ensure_future(half_open_slot()) for _ in range(half_open)]
    await stop.wait()
    await asyncio.wait(tasks, timeout=20)
    for t in tasks:
        t.cancel()
    return stats


def hostile(port, seconds, workers, half_open, chains):
    stats = asyncio.run(hostile_async(port, seconds, workers, half_open, chains))
    print(json.dumps(stats), flush=True)


# ---------------------------------------------------------------------------------------------
# The Markdown table, from the JSON files soak.sh left in DIR.


def report(directory, conns, hold_seconds, workers, half_open):
    def load(name):
        with open(os.path.join(directory, name)) as f:
            return json.loads(f.read().strip().splitlines()[-1])

    held, alone, under, cpu = load("hold.json"), load("alone.json"), load("load.json"), \
        load("cpu.json")
    try:
        hostile_stats = load("hostile.json")
    except (OSError, ValueError, IndexError):
        hostile_stats = {}
    # Handshake failures the proxy logged, by code (count is exact even when lines are not).
    codes = {}
    try:
        with open(os.path.join(directory, "error.log")) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                code, count = entry.get("code"), entry.get("count")
                if code and isinstance(count, int):
                    codes[code] = max(codes.get(code, 0), count)
    except OSError:
        pass

    def share(ticks, ms):
        return f"{ticks / cpu['tick'] / (ms / 1000) * 100:.0f}%" if ms else "-"

    p99a, p99l = alone["p99_ms"], under["p99_ms"]
    ratio = p99l / p99a if p99a and p99l else None
    rss = held.get("rss_held_mib", {})
    print()
    print(f"{conns} connections held {hold_seconds} s; {under['requests']} sequential "
          f"requests per latency run; hostile load: {workers} chain loops + {half_open} "
          f"half-open connections; {os.cpu_count()} cores")
    print()
    print("| measure | result | goal |")
    print("| --- | --- | --- |")
    print(f"| concurrent mTLS connections held | {held['opened']} of {conns} opened in "
          f"{held['open_seconds']} s, {held['alive_after_hold']} answered a second request "
          f"after {hold_seconds} s; {held['errors']} errors; new client while held: "
          f"{held['fresh_request']} | {conns}, no error |")
    print(f"| proxy RSS | {held.get('rss_before_mib', {}).get('VmRSS')} MiB idle, "
          f"{rss.get('VmRSS')} MiB with {held['opened']} connections (peak "
          f"{held.get('rss_after_hold_mib', {}).get('VmHWM')} MiB) | none set |")
    print(f"| legitimate client alone, full handshake + request | p50 {alone['p50_ms']} ms, "
          f"p99 {p99a} ms, max {alone['max_ms']} ms; {alone['errors']} errors; proxy CPU "
          f"{share(cpu['alone_ticks'], cpu['alone_ms'])} | - |")
    print(f"| the same under hostile load | p50 {under['p50_ms']} ms, p99 {p99l} ms, max "
          f"{under['max_ms']} ms; {under['errors']} errors; proxy CPU "
          f"{share(cpu['load_ticks'], cpu['load_ms'])} | - |")
    verdict = "-" if ratio is None else f"**{ratio:.2f}x** ({'met' if ratio <= 2 else 'missed'})"
    print(f"| p99 under load / p99 alone | {verdict} | at most 2x |")
    if hostile_stats:
        print(f"| hostile clients during the run | {hostile_stats.get('chain_handshakes')} "
              f"hostile-chain handshakes ({hostile_stats.get('chain_accepted')} accepted), "
              f"{hostile_stats.get('half_open_opened')} half-open connections "
              f"({hostile_stats.get('half_open_closed_by_proxy')} closed by the proxy) | all "
              f"refused |")
    if codes:
        listed = ", ".join(f"`{c}` {n}" for c, n in sorted(codes.items()))
        print(f"| proxy's handshake failure counts | {listed} | - |")
    for what, errors in (("held", held.get("first_errors")),
                         ("alone", alone.get("first_errors")),
                         ("under load", under.get("first_errors"))):
        for e in errors or []:
            print(f"soak.py: {what}: {e}", file=sys.stderr)
    failed = (held["errors"] or held["opened"] != conns or held["alive_after_hold"] != conns
              or held["fresh_request"] != "ok" or alone["errors"] or under["errors"]
              or hostile_stats.get("chain_accepted"))
    sys.exit(1 if failed else 0)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "echo":
        echo(int(args[0]))
    elif cmd == "chain":
        chain(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "hold":
        hold(int(args[0]), int(args[1]), float(args[2]), int(args[3]))
    elif cmd == "latency":
        latency(int(args[0]), int(args[1]))
    elif cmd == "hostile":
        hostile(int(args[0]), float(args[1]), int(args[2]), int(args[3]), args[4:])
    elif cmd == "report":
        report(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
