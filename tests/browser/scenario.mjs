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
import { root } from './lib.mjs';

const run = promisify(execFile);

/** The mtlskit binary: MTLSKIT_BIN, else the debug build (`cargo xtask web test` builds it). */
export function mtlskitBin() {
  const bin = process.env.MTLSKIT_BIN ?? join(root, 'target/debug/mtlskit');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p mtlskit\` first`);
  return bin;
}

/** `mtlskit pki init DIR`: ca.pem ca.key server.pem server.key client.pem client.key. */
export async function pki(dir) {
  await run(mtlskitBin(), ['pki', 'init', dir]);
  return dir;
}

async function freePort() {
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
 * the PKI in `dir`: `ok.pcap` (client certificate sent, accepted) and `nocert.pcap` (none sent,
 * refused). Resolves to their paths.
 */
export async function captures(dir) {
  const port = await freePort();
  const server = spawn('openssl', [
    's_server', '-accept', `127.0.0.1:${port}`, '-cert', 'server.pem', '-key', 'server.key',
    '-CAfile', 'ca.pem', '-Verify', '1', '-verify_return_error', '-www', '-tls1_2',
  ], { cwd: dir, stdio: 'ignore' });
  try {
    await waitPort(port, server);
    const url = `https://localhost:${port}/`;
    const probe = (args) => run(mtlskitBin(), ['probe', '--ca', 'ca.pem', ...args, url], { cwd: dir })
      .catch((e) => e); // a refused handshake exits 1; the capture is written all the same
    await probe(['--cert', 'client.pem', '--key', 'client.key', '--save-handshake', 'ok.pcap']);
    await probe(['--save-handshake', 'nocert.pcap']);
  } finally {
    server.kill();
  }
  for (const f of ['ok.pcap', 'nocert.pcap']) {
    if (!existsSync(join(dir, f))) throw new Error(`mtlskit probe wrote no ${f}`);
  }
  return { ok: join(dir, 'ok.pcap'), nocert: join(dir, 'nocert.pcap') };
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

/** A fresh temporary directory. */
export const tempDir = () => mkdtemp(join(tmpdir(), 'mtlskit-browser-'));
