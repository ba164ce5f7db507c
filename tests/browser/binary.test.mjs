// The page as the one deployable serves it: the mtlskit binary built by `cargo xtask dist` (the
// page inside; MTLSKIT_BIN names it), run from an empty folder as `mtlskit web`, and `mtlskit
// serve`'s admin listener under /inspect/ ([admin] inspector = true). In Debian's headless
// Chromium a dropped certificate is decoded on each, and no request leaves 127.0.0.1: every URL
// the browser asks for is on the server's own origin (or blob:/data: inside the page).
//
// Run: `cargo xtask dist` (a plain build has no page inside; `cargo xtask web test` covers the
// page itself, served from dist/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browser, files, drop, screenshot } from './lib.mjs';
import { freePort, mtlskitBin, pki, tempDir } from './scenario.mjs';

const WAIT = { timeout: 15_000 };
let chrome;
const children = [];

before(async () => {
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await new Promise((ok) => c.once('exit', ok));
    }
  }
});

/** Starts the binary with `args` in `cwd`; resolves once `url` answers (polled, bounded). */
async function started(args, cwd, url) {
  const child = spawn(mtlskitBin(), args, { cwd, stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`mtlskit ${args[0]} exited (${child.exitCode})`);
    const up = await fetch(url).then((r) => r.ok, () => false);
    if (up) return child;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`${url} did not answer`);
}

/** Opens `url`, drops a certificate and checks what a person sees; returns every request. */
async function dropCertificate(url, shot) {
  const page = await chrome.context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.locator('h1', { hasText: 'mtlskit inspector' }).waitFor(WAIT);
  await drop(page, await files('client.pem'));
  const card = page.locator('article.card[data-source="client.pem"]');
  await card.waitFor(WAIT);
  const item = card.locator('li.item').first();
  assert.equal(await item.locator('.kind').innerText(), 'CERTIFICATE');
  assert.equal(await item.locator('.summary .name').innerText(), 'client.example');
  await screenshot(page, shot);
  await page.close();
  assert.deepEqual(errors, []);
  assert.ok(requests.some((u) => u.endsWith('.wasm')), `the wasm was loaded: ${requests}`);
  const origin = new URL(url).origin;
  const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:')
    && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests that left the server');
  assert.equal(new URL(url).hostname, '127.0.0.1');
  return requests;
}

test('mtlskit web, from an empty folder: a dropped certificate is decoded, nothing leaves', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  await started(['web', '--listen', `127.0.0.1:${port}`], await tempDir(), url);
  await dropCertificate(url, 'binary-web');
});

test('mtlskit serve, admin listener /inspect/: the same page, nothing leaves', async () => {
  const dir = await pki(await tempDir());
  const [port, admin] = [await freePort(), await freePort()];
  await writeFile(join(dir, 'proxy.toml'), `[server]
listen = ["127.0.0.1:${port}"]
certificate = "server.pem"
key = "server.key"
client_ca = "ca.pem"

[admin]
listen = "127.0.0.1:${admin}"
inspector = true

[[location]]
path = "/"
upstream = "http://127.0.0.1:9"
`);
  const url = `http://127.0.0.1:${admin}/inspect/`;
  await started(['serve', '--config', 'proxy.toml'], dir, url);
  const requests = await dropCertificate(url, 'binary-admin-inspect');
  assert.ok(requests.every((u) => !u.startsWith(`http://127.0.0.1:${admin}/`)
    || u.startsWith(`http://127.0.0.1:${admin}/inspect/`)), `all under /inspect/: ${requests}`);
});
