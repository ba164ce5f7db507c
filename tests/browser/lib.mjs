// Shared by the browser tests and the benchmark: a static server for dist/ on 127.0.0.1, Debian's
// Chromium through playwright-core, and dropping files onto the page the way a person does.
import { createServer } from 'node:http';
import { readFile, mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const dist = process.env.MTLSKIT_DIST ?? join(root, 'dist');
/** Where screenshots go: MTLSKIT_ARTIFACTS, which `cargo xtask web test` sets to browser-artifacts/
 * in cargo's target folder; without it, a folder of the system's temporary directory (never a
 * guessed target/ path). */
export const artifacts = process.env.MTLSKIT_ARTIFACTS ?? join(tmpdir(), 'mtlskit-browser-artifacts');
export const fixtures = join(here, '..', '..', 'testdata', 'browser');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/** Serves dist/ on 127.0.0.1 on a free port; resolves to { url, close }. */
export async function serve() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = resolve(dist, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Debian's Chromium, headless, with a fresh profile; resolves to { context, close }. */
export async function browser(options = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'mtlskit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The static server and Chromium for a test file, the page's origin allowed to use the
 * clipboard (copy buttons are read back); resolves to { server, chrome, close }. */
export async function launch() {
  const server = await serve();
  const chrome = await browser();
  await chrome.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: server.url.replace(/\/$/, ''),
  });
  return { server, chrome, close: async () => { await chrome.close(); await server.close(); } };
}

/** A new tab on the page, waited for, with what it does recorded: resolves to { page, requests
 * (every URL asked for), failed (answers of 400 and above), errors (console errors and page
 * errors) }. `prepare(page)`, if given, runs before the page loads (init scripts). */
export async function openPage({ chrome, server }, prepare) {
  const page = await chrome.context.newPage();
  await prepare?.(page);
  const tab = { page, requests: [], failed: [], errors: [] };
  page.on('request', (r) => tab.requests.push(r.url()));
  page.on('response', (r) => r.status() >= 400 && tab.failed.push(`${r.status()} ${r.url()}`));
  page.on('console', (m) => m.type() === 'error' && tab.errors.push(m.text()));
  page.on('pageerror', (e) => tab.errors.push(String(e)));
  await page.goto(server.url);
  await page.locator('h1', { hasText: 'mtlskit inspector' }).waitFor({ timeout: 15_000 });
  return tab;
}

/** Reads fixtures (or any paths) into { name, b64 } for `drop`. */
export async function files(...paths) {
  return Promise.all(paths.map(async (p) => {
    const full = p.includes('/') ? p : join(fixtures, p);
    return { name: full.split('/').pop(), b64: (await readFile(full)).toString('base64') };
  }));
}

/** Drops files on the page: a DataTransfer built in the page, dispatched as a drop event. */
export async function drop(page, list, target = '.page') {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name));
    }
    return dt;
  }, list);
  await page.dispatchEvent(target, 'drop', { dataTransfer: transfer });
  await transfer.dispose();
}

export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
