// Browser tests of large captures (issue 18, "Page"): a capture of about 24 MB, made at test time
// from two real handshakes (`mtlskit probe --save-handshake` against `openssl s_server -Verify 1`,
// one with a client certificate and one refused without) copied with new client ports, is
// picked on the page. It is read as a stream, decoded in a Web Worker: the progress and the rows
// come in messages from a worker the page started (counted by a wrapper of `Worker` put in the
// page before it loads), the tab answers keys while it decodes, the progress bar moves, Cancel
// stops it, the summary's counts equal `mtlskit inspect --summary --json` for the same file, its
// rows filter the list, and the list renders a bounded number of rows. Where no worker can start
// (`Worker` made to throw), the page decodes on its own thread, says so, and shows the same.
//
// Run: `cargo xtask web test` (builds dist/ and the binary first).
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launch, openPage, screenshot } from './lib.mjs';
import { pki, captures, manyConnections, joinPcaps, mtlskitBin, tempDir } from './scenario.mjs';

const WAIT = { timeout: 15_000 };
/** Reading 24 MB on a loaded 2-core machine: generous, the test polls for the end. */
const DECODE = { timeout: 180_000 };
/** Input handled within this many milliseconds while decoding. */
const LATENCY_MS = 200;
let session, page, errors, big, cli, workerRows;

before(async () => {
  session = await launch();
  const dir = await tempDir();
  const caps = await captures(await pki(dir));
  const ok = await readFile(caps.ok);
  const nocert = await readFile(join(dir, 'nocert.pcap'));
  big = join(dir, 'big.pcap');
  // The refused copies after the accepted ones, in time and in client ports.
  await writeFile(big, joinPcaps(manyConnections(ok, 16e6, 1024), manyConnections(nocert, 8e6, 20000, 100_000)));
  cli = JSON.parse(execFileSync(mtlskitBin(), ['inspect', '--summary', '--json', big],
    { maxBuffer: 64 << 20 }).toString());
});
after(() => session?.close());

/** Wraps `Worker` in the page before its script runs: every worker started, by name, and the
 * messages each sent to the page. With `broken`, starting one throws instead. */
async function instrumentWorkers(page, broken = false) {
  await page.addInitScript((broken) => {
    const Real = window.Worker;
    window.workers = [];
    window.Worker = function (url, options) {
      if (broken) throw new Error('workers are disabled in this test');
      const w = new Real(url, options);
      const seen = { url: String(url), name: options?.name ?? '', messages: 0 };
      window.workers.push(seen);
      w.addEventListener('message', () => { seen.messages++; });
      return w;
    };
  }, broken);
}

beforeEach(async (t) => {
  const broken = t.name.includes('no worker');
  ({ page, errors } = await openPage(session, (p) => instrumentWorkers(p, broken)));
});

afterEach(async () => {
  assert.deepEqual(errors, [], 'console errors');
  assert.equal(await page.locator('#panic').count(), 0, 'the panic card is not shown');
  await page.close();
});

const card = () => page.locator('article.card.stream[data-source="big.pcap"]');
const cardIn = (progress) => page.locator(`article.card.stream[data-source="big.pcap"][data-progress="${progress}"]`);

/** Records, in the page, every value the progress bar takes and how late each key press is
 * handled (from the browser's timestamp of the event to its handler). */
async function watch() {
  await page.evaluate(() => {
    window.progressValues = [];
    window.keyDelays = [];
    new MutationObserver(() => {
      const bar = document.querySelector('article.card.stream progress');
      if (bar && window.progressValues.at(-1) !== bar.value) window.progressValues.push(bar.value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
    document.addEventListener('keydown', (e) => {
      window.keyDelays.push(performance.now() - e.timeStamp);
    }, true);
  });
}

/** The rows of a summary table as the page shows them: [{ value, connections }]. */
async function table(name) {
  return page.locator(`table.counts[data-table="${name}"] tr`).evaluateAll((rows) => rows.map((r) => ({
    value: r.dataset.value, connections: Number(r.dataset.count),
  })));
}

test('a large capture decodes in the background with progress, answers input, and sums up as the CLI does', async (t) => {
  await watch();
  const start = Date.now();
  await page.setInputFiles('#pick', big);
  await card().locator('progress').waitFor(WAIT);
  // Keys typed while it decodes are handled at once.
  const paste = page.locator('#paste-text');
  await paste.focus();
  let typed = 0;
  while (await card().getAttribute('data-progress') === 'reading' && typed < 40) {
    await page.keyboard.press('x');
    typed++;
  }
  assert.ok(typed >= 3, `only ${typed} keys were typed while decoding: the file was read too fast to measure`);
  await cardIn('done').waitFor(DECODE);
  const took = Date.now() - start;
  const delays = await page.evaluate(() => window.keyDelays);
  assert.ok(delays.length >= 3, `keys handled: ${delays.length}`);
  const worst = Math.max(...delays);
  t.diagnostic(`read in ${took} ms; ${delays.length} keys, worst ${worst.toFixed(0)} ms, median ${
    delays.toSorted((a, b) => a - b)[delays.length >> 1].toFixed(0)} ms`);
  assert.ok(worst < LATENCY_MS, `a key waited ${worst.toFixed(0)} ms while decoding (${delays.map((d) => d.toFixed(0))})`);
  assert.match(await paste.inputValue(), /^x{3,}$/, 'the keys reached the text field');
  // Decoded off the page's thread: the card says so, and the progress came in messages from the
  // one worker the page started.
  assert.equal(await card().locator('.stream-thread').getAttribute('data-thread'), 'worker');
  assert.match(await card().locator('.stream-thread').innerText(), /background worker/);
  const workers = await page.evaluate(() => window.workers);
  assert.equal(workers.length, 1, JSON.stringify(workers));
  assert.equal(workers[0].name, 'mtlskit-decoder');
  assert.match(workers[0].url, /worker\.js$/);
  // The bar moved through several values between empty and full.
  const values = await page.evaluate(() => window.progressValues);
  const size = (await readFile(big)).length;
  assert.ok(values.filter((v) => v > 0 && v < size).length >= 2, `progress values: ${values}`);
  assert.ok(workers[0].messages >= values.length, `${workers[0].messages} messages from the worker, ${
    values.length} progress values`);
  // The status line says what was read.
  assert.equal(await page.locator('p.status').innerText(),
    `${cli.connections} TLS connections from 1 capture read as a stream`);

  // The summary: the same counts as `mtlskit inspect --summary --json` for the same file.
  const summary = card().locator('.stream-summary');
  assert.equal(Number(await summary.getAttribute('data-connections')), cli.connections);
  const outcomes = card().locator('.outcomes');
  for (const [attr, key] of [['completed', 'completed'], ['failed', 'failed'], ['unknown', 'unknown'],
    ['no-handshake', 'no_handshake']]) {
    assert.equal(Number(await outcomes.getAttribute(`data-${attr}`)), cli.outcomes[key], key);
  }
  assert.equal(Number(await outcomes.getAttribute('data-other')), cli.other_connections);
  // Every copy is one TLS connection, accepted or refused.
  assert.ok(cli.outcomes.completed > 1000 && cli.outcomes.failed > 500, JSON.stringify(cli.outcomes));
  assert.equal(cli.connections, cli.outcomes.completed + cli.outcomes.failed, JSON.stringify(cli.outcomes));
  assert.equal(cli.other_connections, 0);
  for (const name of ['codes', 'versions', 'cipher_suites', 'client_certificates', 'ja4', 'server_names',
    'client_subjects', 'client_issuers']) {
    assert.deepEqual(await table(name), cli[name], name);
  }

  // The list: every connection counted, a bounded number of rows in the DOM, wherever scrolled.
  const list = card().locator('.vlist');
  assert.equal(Number(await card().locator('.list-head').getAttribute('data-shown')), cli.connections);
  const rows = list.locator('.vrow');
  assert.ok(await rows.count() <= 30, `${await rows.count()} rows rendered`);
  workerRows = await rows.allInnerTexts();
  await list.evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  const middle = Math.floor(cli.connections / 2) - 20;
  await page.waitForFunction((at) => [...document.querySelectorAll('.vlist .vrow')]
    .some((r) => Number(r.dataset.index) >= at), middle, WAIT);
  assert.ok(await rows.count() <= 30, `${await rows.count()} rows rendered after scrolling`);
  await screenshot(page, 'stream-capture');
  // No serious or critical accessibility violation on the card (axe-core, as controls.test.mjs).
  await page.evaluate(await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const audit = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = audit.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(bad, [], bad.join('\n'));

  // A summary row filters the list; pressing it again shows all.
  const missing = cli.codes.find((c) => c.value === 'client_certificate_missing');
  assert.ok(missing, `codes: ${JSON.stringify(cli.codes)}`);
  const pick = card().locator('table.counts[data-table="codes"] button.pick', { hasText: 'client_certificate_missing' });
  await pick.click();
  await card().locator(`.list-head[data-shown="${missing.connections}"]`).waitFor(WAIT);
  assert.equal(await pick.getAttribute('aria-pressed'), 'true');
  await list.evaluate((el) => { el.scrollTop = 0; });
  const first = list.locator('.vrow').first();
  assert.match(await first.locator('.codes').innerText(), /client_certificate_missing/);
  assert.match(await first.getAttribute('class'), /failed/);
  await pick.press('Enter');
  await card().locator(`.list-head[data-shown="${cli.connections}"]`).waitFor(WAIT);
  assert.equal(await pick.getAttribute('aria-pressed'), 'false');
});

test('Cancel, from the keyboard, stops decoding and keeps what was read', async () => {
  await page.setInputFiles('#pick', big);
  const bar = card().locator('progress');
  await bar.waitFor(WAIT);
  await page.waitForFunction(() => Number(document.querySelector('article.card.stream progress')?.value) > 0,
    null, WAIT);
  const cancel = card().getByRole('button', { name: 'Cancel' });
  await cancel.focus();
  await page.keyboard.press('Enter');
  await cardIn('cancelled').waitFor(WAIT);
  assert.equal(await bar.count(), 0, 'the progress bar is gone');
  assert.match(await card().locator('.stream-note').innerText(), /^Cancelled after [\d.]+ MB of [\d.]+ MB/);
  const counted = Number(await card().locator('.stream-summary').getAttribute('data-connections'));
  assert.ok(counted < cli.connections, `${counted} of ${cli.connections} connections counted`);
  // Nothing more arrives: the count stays over the next frames.
  await page.evaluate(() => new Promise((ok) => {
    let n = 0;
    const frame = () => (++n >= 30 ? ok() : requestAnimationFrame(frame));
    requestAnimationFrame(frame);
  }));
  assert.equal(Number(await card().locator('.stream-summary').getAttribute('data-connections')), counted);
  assert.equal(Number(await card().locator('.list-head').getAttribute('data-shown')), counted);
  // The worker stopped reading but still answers the summary's rows.
  const first = card().locator('table.counts tr:has(button.pick)').first();
  const n = Number(await first.getAttribute('data-count'));
  await first.locator('button.pick').click();
  await card().locator(`.list-head[data-shown="${n}"]`).waitFor(WAIT);
  // The card goes with its remove button.
  await card().getByRole('button', { name: 'Remove big.pcap' }).click();
  await card().waitFor({ state: 'detached', ...WAIT });
});

test('with no worker, the page decodes on its own thread, says so, and sums up the same', async () => {
  await page.setInputFiles('#pick', big);
  await card().locator('progress').waitFor(WAIT);
  const thread = card().locator('.stream-thread[data-thread="page"]');
  await thread.waitFor(WAIT);
  assert.match(await thread.innerText(), /this page's thread.*could not start.*workers are disabled in this test/);
  // Input is still handled between pieces of work.
  await page.evaluate(() => {
    window.keyDelays = [];
    document.addEventListener('keydown', (e) => window.keyDelays.push(performance.now() - e.timeStamp), true);
  });
  await page.locator('#paste-text').focus();
  let typed = 0;
  while (await card().getAttribute('data-progress') === 'reading' && typed < 10) {
    await page.keyboard.press('y');
    typed++;
  }
  await cardIn('done').waitFor(DECODE);
  const delays = await page.evaluate(() => window.keyDelays);
  assert.ok(delays.every((d) => d < LATENCY_MS), `key delays: ${delays.map((d) => d.toFixed(0))}`);
  assert.deepEqual(await page.evaluate(() => window.workers), []);
  // The same summary as the CLI (and so as the worker), the same rows in the list.
  assert.equal(Number(await card().locator('.stream-summary').getAttribute('data-connections')), cli.connections);
  for (const name of ['codes', 'versions', 'cipher_suites', 'client_certificates', 'ja4', 'server_names',
    'client_subjects', 'client_issuers']) {
    assert.deepEqual(await table(name), cli[name], name);
  }
  assert.equal(Number(await card().locator('.list-head').getAttribute('data-shown')), cli.connections);
  assert.ok(workerRows?.length > 0, 'the worker test ran first');
  assert.deepEqual(await card().locator('.vlist .vrow').allInnerTexts(), workerRows);
});
