// Benchmark of the web inspector (docs/benchmarks.md, "Web inspector"):
//  1. the gzip size (level 9) of the release build's wasm + JS + CSS in dist/ (goal: <= 600 KB);
//  2. the time from dropping the system CA bundle (/etc/ssl/certs/ca-certificates.crt, ~140
//     certificates) to the frame after its cards are rendered, in headless Chromium (goal:
//     <= 200 ms), median of several runs in fresh pages;
//  3. the same for a capture of about 5 MB: MTLSKIT_BENCH_CAPTURE=path, else one made here from a
//     real mTLS handshake (`mtlskit probe --save-handshake` against `openssl s_server`) copied
//     with a new client port until the file is 5 MB (MTLSKIT_BENCH_CAPTURE_MB to change).
//
// Run: `cargo xtask web bench` (builds dist/ with `trunk build --release` first).
// Prints one line per measure and a JSON summary; exits 1 if a goal is missed.
import { readdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join, extname } from 'node:path';
import { serve, browser, dist } from '../tests/browser/lib.mjs';
import { pki, captures, manyConnections, tempDir } from '../tests/browser/scenario.mjs';

const RUNS = Number(process.env.MTLSKIT_BENCH_RUNS ?? 7);
const BUNDLE = process.env.MTLSKIT_BENCH_BUNDLE ?? '/etc/ssl/certs/ca-certificates.crt';
const GOAL_KB = 600;
const GOAL_MS = 200;

async function sizes() {
  const out = {};
  for (const name of await readdir(dist)) {
    if (!['.wasm', '.js', '.css', '.html'].includes(extname(name))) continue;
    const bytes = await readFile(join(dist, name));
    out[extname(name).slice(1)] = (out[extname(name).slice(1)] ?? 0) + gzipSync(bytes, { level: 9 }).length;
  }
  return out;
}

/** Drops `bytes` as `name` in a fresh page; resolves to ms from the drop to the rendered frame. */
async function dropToRendered(context, url, name, bytes, expectItems) {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('.status').waitFor({ timeout: 15_000 });
  const ms = await page.evaluate(async ({ name, b64, expectItems }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], name));
    const status = document.querySelector('.status');
    const done = new Promise((resolve) => {
      const check = () => {
        const cards = document.querySelectorAll('article.card').length;
        const items = Number(status.dataset.items);
        return cards > 0 && (expectItems === null || items === expectItems);
      };
      new MutationObserver((_, observer) => {
        if (check()) {
          observer.disconnect();
          // The frame after the DOM change is the one a person sees.
          requestAnimationFrame(() => resolve(performance.now()));
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const start = performance.now();
    document.querySelector('.page').dispatchEvent(
      new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    return (await done) - start;
  }, { name, b64: bytes.toString('base64'), expectItems });
  const shown = await page.locator('.status').getAttribute('data-items');
  await page.close();
  return { ms, shown: Number(shown) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serve();
const chrome = await browser();
const results = {};
let failed = false;
try {
  const gz = await sizes();
  const total = Object.values(gz).reduce((a, b) => a + b, 0);
  results.gzip_bytes = { ...gz, total };
  const kb = (total / 1024).toFixed(0);
  console.log(`gzip size: wasm ${gz.wasm} + js ${gz.js} + css ${gz.css ?? 0} + html ${gz.html ?? 0} = ${kb} KB (goal <= ${GOAL_KB} KB)`);
  failed ||= total > GOAL_KB * 1024;

  const bundle = await readFile(BUNDLE);
  const certs = (bundle.toString('latin1').match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
  const times = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const { ms, shown } = await dropToRendered(chrome.context, server.url, 'ca-certificates.crt', bundle, certs);
    if (shown !== certs) throw new Error(`the page shows ${shown} items, the bundle has ${certs}`);
    if (i > 0) times.push(ms); // the first run warms the wasm up
  }
  const ca = median(times);
  results.ca_bundle = { certificates: certs, bytes: bundle.length, median_ms: ca, runs_ms: times };
  console.log(`CA bundle (${certs} certificates, ${bundle.length} bytes): drop to rendered ${ca.toFixed(1)} ms median of ${RUNS} (${times.map((t) => t.toFixed(0)).join(', ')}) (goal <= ${GOAL_MS} ms)`);
  failed ||= ca > GOAL_MS;

  const capture = process.env.MTLSKIT_BENCH_CAPTURE;
  const mb = Number(process.env.MTLSKIT_BENCH_CAPTURE_MB ?? 5);
  const bytes = capture
    ? await readFile(capture)
    : manyConnections(await readFile((await captures(await pki(await tempDir()))).ok), mb * 1e6);
  const name = capture ? capture.split('/').pop() : 'capture.pcap';
  const runs = [];
  for (let i = 0; i < 4; i++) {
    const { ms } = await dropToRendered(chrome.context, server.url, name, bytes, null);
    if (i > 0) runs.push(ms); // the first run warms the wasm up
  }
  results.capture = { file: capture ?? `generated, ${mb} MB`, bytes: bytes.length, median_ms: median(runs), runs_ms: runs };
  console.log(`capture (${capture ?? 'generated'}, ${bytes.length} bytes): drop to rendered ${median(runs).toFixed(1)} ms median of ${runs.length} (${runs.map((t) => t.toFixed(0)).join(', ')})`);
} finally {
  await chrome.close();
  await server.close();
}
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
