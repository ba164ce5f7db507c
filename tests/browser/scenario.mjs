// Real artefacts for the browser tests and the benchmark, made with the `mtlskit` binary and
// openssl at test time: two PKIs (`mtlskit pki init`), and captures of real handshakes
// (`mtlskit probe --save-handshake` against `openssl s_server -Verify 1 -tls1_2`), one with a
// client certificate and one without.
import { execFile, spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The mtlskit binary: MTLSKIT_BIN, which `cargo xtask web test` sets (it builds the binary and
 * asks cargo where its target folder is). No default: a guessed path is wrong as soon as
 * CARGO_TARGET_DIR is set. */
export function mtlskitBin() {
  const bin = process.env.MTLSKIT_BIN;
  if (!bin) {
    throw new Error(
      'MTLSKIT_BIN is not set: run the browser tests with `cargo xtask web test`, or set ' +
        'MTLSKIT_BIN to the mtlskit binary (`cargo build -p mtlskit`; it is debug/mtlskit in ' +
        "the target_directory of `cargo metadata --format-version 1 --no-deps`)",
    );
  }
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p mtlskit\` first`);
  return bin;
}

/** `mtlskit pki init DIR`: ca.pem ca.key server.pem server.key client.pem client.key. */
export async function pki(dir) {
  await run(mtlskitBin(), ['pki', 'init', dir]);
  return dir;
}

export async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

async function waitPort(port, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`openssl s_server exited (${child.exitCode})`);
    const up = await new Promise((ok) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); ok(true); });
      s.on('error', () => ok(false));
    });
    if (up) return;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`openssl s_server did not listen on ${port}`);
}

/**
 * Records two TLS 1.2 handshakes against `openssl s_server` requiring a client certificate from
 * the PKI in `dir`: `ok.pcap` (client certificate sent, accepted) and `nocert.pcapng` (none
 * sent, refused; converted to pcapng). Resolves to their paths.
 */
export async function captures(dir) {
  const { ok, nocert } = await recordHandshakes(dir, '-tls1_2', ['ok.pcap', 'nocert.pcap']);
  // The refused one as pcapng (what Wireshark and dumpcap write), converted by tshark's editcap.
  await run('editcap', ['-F', 'pcapng', nocert, 'nocert.pcapng'], { cwd: dir });
  return { ok, nocert: join(dir, 'nocert.pcapng') };
}

/**
 * The same two handshakes in TLS 1.3 (`-tls1_3`), where the certificate messages and the alerts
 * are encrypted: `ok13.pcap` and `nocert13.pcap`. Resolves to their paths.
 */
export const captures13 = (dir) => recordHandshakes(dir, '-tls1_3', ['ok13.pcap', 'nocert13.pcap']);

async function recordHandshakes(dir, version, [okName, nocertName]) {
  const port = await freePort();
  const server = spawn('openssl', [
    's_server', '-accept', `127.0.0.1:${port}`, '-cert', 'server.pem', '-key', 'server.key',
    '-CAfile', 'ca.pem', '-Verify', '1', '-verify_return_error', '-www', version,
  ], { cwd: dir, stdio: 'ignore' });
  try {
    await waitPort(port, server);
    const url = `https://localhost:${port}/`;
    const probe = (args) => run(mtlskitBin(), ['probe', '--ca', 'ca.pem', ...args, url], { cwd: dir })
      .catch((e) => e); // a refused handshake exits 1; the capture is written all the same
    await probe(['--cert', 'client.pem', '--key', 'client.key', '--save-handshake', okName]);
    await probe(['--save-handshake', nocertName]);
  } finally {
    server.kill();
  }
  for (const f of [okName, nocertName]) {
    if (!existsSync(join(dir, f))) throw new Error(`mtlskit probe wrote no ${f}`);
  }
  return { ok: join(dir, okName), nocert: join(dir, nocertName) };
}

/**
 * A client certificate from a CA of another name ("CN=Other CA"), made with openssl in `dir`:
 * ca.pem, client.pem (clientAuth), client.key. Resolves to `dir`.
 */
export async function foreignClient(dir) {
  const o = { cwd: dir };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem',
    '-subj', '/CN=Other CA', '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], o);
  await run('openssl', ['req', '-new', ...ec, '-keyout', 'client.key', '-out', 'client.csr',
    '-subj', '/CN=other client'], o);
  await writeFile(join(dir, 'client.ext'), 'basicConstraints=critical,CA:FALSE\n'
    + 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-days', '365', '-extfile', 'client.ext', '-out', 'client.pem'], o);
  return dir;
}

/**
 * A self-signed CA certificate with the same name as `mtlskit pki init`'s CA ("CN=mtlskit CA")
 * and another key, made with openssl: `imposter-ca.pem` in `dir`. Resolves to its path.
 */
export async function imposterCa(dir) {
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', 'imposter-ca.key', '-out', 'imposter-ca.pem', '-subj', '/CN=mtlskit CA',
    '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { cwd: dir });
  return join(dir, 'imposter-ca.pem');
}

/** A self-signed RSA 2048 certificate made with openssl: `rsa.pem` in `dir`; resolves to its path. */
export async function rsaCertificate(dir) {
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key',
    '-out', 'rsa.pem', '-subj', '/CN=rsa.example', '-days', '30',
    '-addext', 'subjectAltName=DNS:rsa.example'], { cwd: dir });
  return join(dir, 'rsa.pem');
}

/** A fresh temporary directory. */
export const tempDir = () => mkdtemp(join(tmpdir(), 'mtlskit-browser-'));

/**
 * A pcap of about `target` bytes: the connections of `pcap` (a little-endian pcap with Ethernet,
 * IPv4 and TCP, as `mtlskit probe --save-handshake` writes it) copied again and again, each copy
 * with its own client port and a later time. TCP checksums are left as they are (readers of
 * captures do not check them). Client ports count up from `firstPort` and times from `firstSecond`
 * seconds after the capture's, so files made from different captures with first ports and seconds
 * apart can be joined (`joinPcaps`) into one whose connections neither share ports nor go back in
 * time (keep the ports below the ephemeral range the server's port comes from).
 */
export function manyConnections(pcap, target, firstPort = 1024, firstSecond = 0) {
  if (pcap.length < 24 || pcap.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian pcap');
  if (pcap.readUInt32LE(20) !== 1) throw new Error('not an Ethernet pcap');
  const packets = [];
  for (let at = 24; at + 16 <= pcap.length;) {
    const len = pcap.readUInt32LE(at + 8);
    packets.push(pcap.subarray(at, at + 16 + len));
    at += 16 + len;
  }
  // The TCP header of a packet: Ethernet (14 bytes), IPv4 (its IHL), protocol 6.
  const tcp = (p) => {
    if (p.length < 16 + 14 + 20 || p.readUInt16BE(16 + 12) !== 0x0800 || p[16 + 14 + 9] !== 6) return -1;
    return 16 + 14 + (p[16 + 14] & 15) * 4;
  };
  const first = packets.find((p) => tcp(p) > 0);
  if (!first) throw new Error('no TCP packet');
  const client = first.readUInt16BE(tcp(first));
  const out = [pcap.subarray(0, 24)];
  let size = 24;
  for (let copy = 0; size < target; copy++) {
    const port = firstPort + (copy % (65536 - firstPort));
    for (const p of packets) {
      const q = Buffer.from(p);
      q.writeUInt32LE(q.readUInt32LE(0) + firstSecond + copy, 0); // one second later per copy
      const t = tcp(q);
      if (t > 0) {
        if (q.readUInt16BE(t) === client) q.writeUInt16BE(port, t);
        if (q.readUInt16BE(t + 2) === client) q.writeUInt16BE(port, t + 2);
      }
      out.push(q);
      size += q.length;
    }
  }
  return Buffer.concat(out);
}

/** One pcap of the packets of several (same link type): the first file's header, then every
 * file's packets in turn. */
export function joinPcaps(...pcaps) {
  return Buffer.concat([pcaps[0].subarray(0, 24), ...pcaps.map((p) => p.subarray(24))]);
}
