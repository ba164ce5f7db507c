// Browser tests of the page's controls used the way a person uses them (issue 19): the real file
// chooser, typing into the moment and host fields, Tab and arrow keys through the tree, the hex
// view and the ladder, clicks on bytes and rungs, copy buttons read back from the clipboard; an
// axe-core audit; 400 px and dark-mode screenshots compared with committed references.
//
// Run: `cargo xtask web test` (builds dist/ and the binary first). Re-record the screenshot
// references with MTLSKIT_BLESS=1 and look at the new PNGs before committing them.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import pixelmatch from 'pixelmatch';
import { launch, openPage, files, drop, fixtures, artifacts, here } from './lib.mjs';
import { pki, captures, captures13, imposterCa, rsaCertificate, tempDir } from './scenario.mjs';

const WAIT = { timeout: 15_000 };
let session, page, failed, errors;

before(async () => {
  session = await launch();
});
after(() => session?.close());

beforeEach(async () => {
  ({ page, failed, errors } = await openPage(session));
});

afterEach(async () => {
  assert.deepEqual(failed, [], 'every request the page made was answered');
  assert.deepEqual(errors, [], 'no console or page error');
  assert.equal(await page.locator('#panic').count(), 0, 'the panic card is not shown');
  await page.close();
});

const card = (name) => page.locator(`article.card[data-source="${name}"]`);
const field = (scope, name) => scope.locator('button.field', {
  has: page.locator('.fname', { hasText: new RegExp(`^${name}$`) }),
});
const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
const openssl = (...args) => execFileSync('openssl', args);
/** The element that has the keyboard focus: its tag, classes, text and data-o/data-path. */
const focused = () => page.evaluate(() => {
  const el = document.activeElement;
  return {
    tag: el?.tagName, text: el?.textContent?.trim(), classes: [...(el?.classList ?? [])],
    o: el?.getAttribute('data-o'), path: el?.getAttribute('data-path'),
    inTree: !!el?.closest('.tree'), inRungs: !!el?.closest('.rungs'),
  };
});

// 1. "Choose files…" adds what the file chooser gives, opened by a click, Enter or Space.
test('item 1: the file chooser adds the files picked, from a click, Enter and Space', async () => {
  const dir = await pki(await tempDir());
  const picked = [join(dir, 'ca.pem'), join(dir, 'server.pem')];
  // One listener for the whole test, followed by a round trip before the first pick. Playwright
  // turns Chromium's file-chooser interception on and off with a message it does not wait for,
  // so with `waitForEvent('filechooser')` per pick, a key press sent at once could reach
  // Chromium first and open a chooser that nobody intercepts (puppeteer#6040); the page itself
  // had clicked the input with a user activation every time.
  let chosen = null;
  page.on('filechooser', (chooser) => chosen?.(chooser));
  await page.evaluate(() => 0);
  const pick = async (open) => {
    let timer;
    const opened = new Promise((resolve, reject) => {
      chosen = resolve;
      timer = setTimeout(() => reject(new Error('no file chooser opened')), WAIT.timeout);
    });
    await open();
    const chooser = await opened.finally(() => clearTimeout(timer));
    assert.ok(chooser.isMultiple(), 'several files can be picked at once');
    await chooser.setFiles(picked);
    await card('ca.pem').waitFor(WAIT);
    await card('server.pem').waitFor(WAIT);
    await page.getByRole('button', { name: 'Clear all' }).click();
    await card('ca.pem').waitFor({ state: 'detached', ...WAIT });
  };
  await pick(() => page.getByText('Choose files…').click());
  for (const key of ['Enter', ' ']) {
    await page.reload();
    // The button is the app's (the h1 is in index.html before the wasm has started).
    await page.getByText('Choose files…').waitFor(WAIT);
    await page.keyboard.press('Tab'); // the first control of the page
    await page.waitForFunction(
      () => document.activeElement?.textContent?.includes('Choose files'), null, WAIT);
    await pick(() => page.keyboard.press(key));
  }
});

// 2. A CA is linked to a certificate only when its key verifies the signature.
test('item 2: a same-name CA with another key is not the issuer', async () => {
  const dir = await pki(await tempDir());
  const imposter = await imposterCa(dir);
  await drop(page, await files(imposter, join(dir, 'client.pem')));
  const ca = card('imposter-ca.pem').locator('li.item').first();
  const client = card('client.pem').locator('li.item').first();
  await client.locator('.links li').first().waitFor(WAIT);
  const caLinks = await ca.locator('.links li').allInnerTexts();
  const clientLinks = await client.locator('.links li').allInnerTexts();
  assert.ok(!caLinks.some((l) => /issued/.test(l)), JSON.stringify(caLinks));
  assert.ok(!clientLinks.some((l) => /issued by/.test(l)), JSON.stringify(clientLinks));
  assert.ok(caLinks.some((l) => /same name, different key/.test(l)), JSON.stringify(caLinks));
  assert.ok(clientLinks.some((l) => /imposter-ca\.pem.*same name, different key/.test(l)),
    JSON.stringify(clientLinks));
  await page.locator('section.verdict .diagnosis[data-verdict="rejected"]').waitFor(WAIT);
  // The real CA: issued by it, its signature checked.
  await drop(page, await files(join(dir, 'ca.pem')));
  await card('ca.pem').waitFor(WAIT);
  await client.locator('.links li', { hasText: /issued by ca\.pem #0 \(mtlskit CA\)/ }).waitFor(WAIT);
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
});

// 3. "copy value" copies the value, not its description.
test('item 3: copy value copies the bytes of a modulus and of an EC public key', async () => {
  const rsa = await rsaCertificate(await tempDir());
  await drop(page, await files(rsa, 'client.pem'));
  const rsaItem = card('rsa.pem').locator('li.item').first();
  await field(rsaItem, 'modulus').click();
  await rsaItem.locator('button.copy-value').click();
  await page.getByText('Copied the value of modulus').waitFor(WAIT);
  const modulus = openssl('x509', '-in', rsa, '-noout', '-modulus').toString().trim().split('=')[1];
  assert.equal(await clipboard(), modulus.toLowerCase());

  const ec = card('client.pem').locator('li.item').first();
  await field(ec, 'subjectPublicKey').click();
  await ec.locator('button.copy-value').click();
  await page.getByText('Copied the value of subjectPublicKey').waitFor(WAIT);
  const pub = openssl('x509', '-in', join(fixtures, 'client.pem'), '-noout', '-pubkey');
  const spki = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub });
  assert.equal(await clipboard(), spki.subarray(spki.length - 65).toString('hex'),
    'the uncompressed point 04 || X || Y');
});

// 4. The ladder shows which record is selected, from a rung or from a byte; the tree follows.
test('item 4: rungs and bytes mark the selected rung, and the tree shows the selected field', async () => {
  const caps = await captures(await pki(await tempDir()));
  await drop(page, await files(caps.ok));
  const item = card('ok.pcap').locator('li.item').first();
  const conn = item.locator('.connection').first();
  const serverHello = conn.locator('.rung.from-server', { hasText: 'server_hello' }).first();
  const clientHello = conn.locator('.rung.from-client', { hasText: 'client_hello' }).first();
  await serverHello.locator('button').click();
  await item.locator('.rung.selected').first().waitFor(WAIT);
  assert.equal(await conn.locator('.rung.selected').count(), 1);
  assert.ok(await serverHello.evaluate((el) => el.classList.contains('selected')));
  const sel = item.locator('.hx .b.sel');
  const first = Number(await sel.first().getAttribute('data-o'));
  // The client's hello, then a byte inside the server's record: its rung is marked again.
  await clientHello.locator('button').click();
  await clientHello.and(page.locator('.selected')).waitFor(WAIT);
  await item.locator(`.hx .b[data-o="${first + 20}"]`).click();
  await serverHello.and(page.locator('.selected')).waitFor(WAIT);
  assert.equal(await conn.locator('.rung.selected').count(), 1);
  const path = await item.locator('button.field.selected').getAttribute('data-path');
  assert.ok(path.split('.').length > 3, `a field inside the record (${path})`);
  // The field is in view in the tree, however deep it is.
  const inView = await item.evaluate((el) => {
    const tree = el.querySelector('.tree').getBoundingClientRect();
    const f = el.querySelector('.tree button.field.selected').getBoundingClientRect();
    return f.top >= tree.top && f.bottom <= tree.bottom;
  });
  assert.ok(inView, 'the selected field is scrolled into the tree\'s view');
  // The keyboard: one Tab stop in the ladder, arrows move, Enter selects.
  await serverHello.locator('button').focus();
  await page.keyboard.press('ArrowUp');
  let f = await focused();
  assert.ok(f.inRungs, 'the arrow stays in the ladder');
  assert.notEqual(f.text, await serverHello.locator('button').innerText());
  await page.keyboard.press('Enter');
  await conn.locator('.rung.selected button:focus').waitFor(WAIT);
  await page.keyboard.press('Tab');
  f = await focused();
  assert.ok(!f.inRungs, `Tab leaves the ladder (${f.text})`);
});

// 5. Typing a date into the moment field.
test('item 5: a date typed into the moment field is the moment', async () => {
  await drop(page, await files('client.pem'));
  const item = card('client.pem').locator('li.item').first();
  await item.locator('.validity', { hasText: /days left/ }).waitFor(WAIT);
  await page.locator('#paste-go').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'moment');
  await page.keyboard.type('06012020');
  await page.keyboard.press('Tab');
  assert.match(await page.locator('#moment').inputValue(), /^2020-06-01T/);
  await item.locator('.validity', { hasText: /^not valid before / }).waitFor(WAIT);
  await page.getByText('Evaluated at (UTC)').waitFor(WAIT);
});

// 6. The keyboard: the focus ring on "Choose files…", the tree (WAI-ARIA tree), the hex view.
test('item 6: the focus ring is on the file button; the tree and the bytes work with keys', async () => {
  await page.keyboard.press('Tab');
  const ringed = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((el) => {
      const s = getComputedStyle(el);
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    })
    .map((el) => el.textContent.trim()));
  assert.deepEqual(ringed, ['Choose files…'], 'only the button has the focus ring');

  await drop(page, await files('client.pem'));
  const item = card('client.pem').locator('li.item').first();
  await item.locator('.tree').waitFor(WAIT);
  // One Tab stop in the tree, then the hex view's.
  await item.locator('.copy-pem').focus();
  const stops = [];
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab');
    const f = await focused();
    if (!f.inTree) break;
    stops.push(f.path);
  }
  assert.equal(stops.length, 1, `Tab stops in the tree: ${stops.length}`);
  // Back into the tree: down, down, right into a child, left back to the parent; Enter selects.
  await page.keyboard.press('Shift+Tab');
  assert.ok((await focused()).inTree);
  const start = (await focused()).path;
  await page.keyboard.press('ArrowDown');
  const second = (await focused()).path;
  assert.notEqual(second, start);
  await page.keyboard.press('ArrowDown');
  const third = (await focused()).path;
  assert.notEqual(third, second);
  await page.keyboard.press('ArrowUp');
  assert.equal((await focused()).path, second);
  await page.keyboard.press('Home');
  assert.equal((await focused()).path, '0');
  await page.keyboard.press('ArrowRight');
  assert.equal((await focused()).path, '0.0', 'right goes to the first child');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await focused()).path, '0', 'left goes to the parent');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await item.locator('button.field.selected[data-path="0.0"]').waitFor(WAIT);

  // The hex view: Tab reaches a byte, arrows move, Enter selects the field holding it.
  for (let i = 0; i < 5 && !(await focused()).classes.includes('b'); i++) {
    await page.keyboard.press('Tab');
  }
  const byte = await focused();
  assert.ok(byte.classes.includes('b'), `a byte has the focus (${JSON.stringify(byte)})`);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  const moved = await focused();
  assert.equal(Number(moved.o), Number(byte.o) + 17, 'down a row (16 bytes) and right one');
  await page.keyboard.press('Enter');
  const selected = item.locator('button.field.selected');
  await selected.waitFor(WAIT);
  const [a, b] = (await selected.getAttribute('title')).match(/\d+/g).map(Number);
  assert.ok(a <= Number(moved.o) && Number(moved.o) < b, `byte ${moved.o} is in ${a}..${b}`);
  // Still one Tab stop each in the tree and in the bytes after moving and selecting.
  await item.locator('.hx .b.sel').first().waitFor(WAIT);
  const stopsLeft = await item.evaluate((el) => ['.tree button.field', '.hx .b']
    .map((s) => [...el.querySelectorAll(s)].filter((e) => e.tabIndex === 0).length));
  assert.deepEqual(stopsLeft, [1, 1]);
});

// 7. The verdict: live host name, each certificate in its own role, a neutral empty panel, and
// findings that show their bytes.
test('item 7: the verdict follows typing, roles, and shows the bytes of its findings', async () => {
  const dir = await pki(await tempDir());
  const panel = page.locator('section.verdict .diagnosis');
  const p = (f) => join(dir, f);
  // Server and client, each with its key: the server certificate is checked as a server.
  await drop(page, await files(p('ca.pem'), p('server.pem'), p('server.key'), p('client.pem'), p('client.key')));
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
  assert.match(await panel.locator('.verdict-line').innerText(), /^server\.pem #0 .* as a server certificate/);
  // The host name: the verdict follows each key typed.
  await page.locator('#verdict-host').click();
  await page.keyboard.type('localhost');
  await panel.locator('.verdict-line', { hasText: 'as a server certificate for localhost' }).waitFor(WAIT);
  await page.keyboard.type('x');
  await page.locator('section.verdict .diagnosis[data-verdict="rejected"]').waitFor(WAIT);
  // The client certificate, picked, is checked as a client.
  await page.locator('#verdict-leaf').selectOption({ label: 'client.pem #0 (mtlskit client)' });
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
  assert.match(await panel.locator('.verdict-line').innerText(), /^client\.pem #0 .* as a client certificate/);
  // Expired in 2200: "show bytes" on the finding selects the end of validity in client.pem.
  await page.locator('#moment').fill('2200-01-01T00:00:00');
  await page.locator('#moment').dispatchEvent('change');
  const expired = panel.locator('.finding', { hasText: 'expired' }).first();
  await expired.waitFor(WAIT);
  await expired.getByRole('button', { name: 'show bytes' }).click();
  const client = card('client.pem').locator('li.item').first();
  const selected = client.locator('button.field.selected');
  await selected.waitFor(WAIT);
  assert.match(await selected.locator('.fname').innerText(), /^(notAfter|validity)$/);
  assert.ok(await client.locator('.hx .b.sel').count() > 0, 'its bytes are lit');
  // Nothing to check and an undecodable input: the panel is not red.
  await page.getByRole('button', { name: 'Clear all' }).click();
  await drop(page, await files('client.key', 'garbage.bin'));
  await page.locator('section.verdict .diagnosis[data-verdict="none"]').waitFor(WAIT);
  const colors = await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.style.color = 'var(--error)';
    document.body.append(probe);
    const error = getComputedStyle(probe).color;
    probe.remove();
    return { error, border: getComputedStyle(document.querySelector('section.verdict')).borderLeftColor };
  });
  assert.notEqual(colors.border, colors.error, 'nothing to check yet is not an error');
});

// 8. Captures: one statement on TLS 1.3 client certificates; the alerts have a heading.
test('item 8: a TLS 1.3 capture says once that the client sent no certificate; alerts are headed', async () => {
  const dir = await pki(await tempDir());
  const caps = await captures13(dir);
  await drop(page, await files(caps.nocert));
  const conn = card('nocert13.pcap').locator('.connection').first();
  await conn.waitFor(WAIT);
  assert.match(await conn.locator('.conn-summary').innerText(), /TLS 1\.3/);
  assert.equal(await conn.locator('.finding.error .code').first().innerText(), 'client_certificate_missing');
  const line = conn.locator('.client-cert');
  assert.ok(await line.evaluate((el) => el.classList.contains('cert-missing')), await line.innerText());
  assert.doesNotMatch(await line.innerText(), /cannot be read/);
  assert.match(await line.innerText(), /sent none/);
  // TLS 1.2, where the alert can be read: its list has a heading of its own.
  const caps12 = await captures(dir);
  await drop(page, await files(caps12.nocert));
  const conn12 = card('nocert.pcapng').locator('.connection').first();
  await conn12.locator('.alerts li').first().waitFor(WAIT);
  const heading = conn12.getByText(/^Alerts/);
  await heading.waitFor(WAIT);
  const [h, first] = await Promise.all([heading.boundingBox(), conn12.locator('.alerts li').first().boundingBox()]);
  assert.ok(h.y + h.height <= first.y + 1, 'the heading is above the alerts');
});

// 9. Layout and small things.
test('item 9: arrows, narrow bytes and words, pasted text numbering, dropped text, favicon', async () => {
  await drop(page, await files('client_hello.bin'));
  const rung = card('client_hello.bin').locator('.rung button').first();
  await rung.waitFor(WAIT);
  const lines = await rung.evaluate((b) => {
    const h = (s) => b.querySelector(s).getBoundingClientRect().height;
    return (b.getBoundingClientRect().height - 12) / (h('.rung-label') + h('.rung-detail'));
  });
  assert.ok(lines <= 1, `the arrow sits on the label's line (${lines})`);

  await page.setViewportSize({ width: 400, height: 900 });
  await page.getByRole('button', { name: 'Clear all' }).click();
  await drop(page, await files('client.pem'));
  const item = card('client.pem').locator('li.item').first();
  await item.locator('.hx').first().waitFor(WAIT);
  const gap = await item.evaluate((el) => {
    const [a, b] = el.querySelectorAll('.hx .b');
    const text = (n) => { const r = document.createRange(); r.selectNodeContents(n); return r.getBoundingClientRect(); };
    return text(b).left - text(a).right;
  });
  assert.ok(gap >= 4, `bytes are ${gap} px apart`);
  const rows = await item.locator('.hex-rows').evaluate((el) => el.scrollWidth - el.clientWidth);
  assert.ok(rows <= 0, `a hex row fits at 400 px (${rows} px too wide)`);
  // No word shorter than its line is broken across two lines.
  const broken = await item.evaluate((el) => {
    const out = [];
    for (const box of el.querySelectorAll('.summary .name, .fact dd, .fvalue, .fname')) {
      const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (const m of n.data.matchAll(/\S+/g)) {
          const r = document.createRange();
          r.setStart(n, m.index);
          r.setEnd(n, m.index + m[0].length);
          const rects = [...r.getClientRects()].filter((x) => x.width > 0);
          const width = rects.reduce((s, x) => s + x.width, 0);
          if (rects.length > 1 && width < box.parentElement.clientWidth - 40) out.push(m[0]);
        }
      }
    }
    return out;
  });
  assert.deepEqual(broken, [], 'words broken mid-word at 400 px');

  // "pasted text N" starts again after Clear all.
  const csr = await readFile(join(fixtures, 'client.csr'), 'utf8');
  for (let i = 0; i < 2; i++) {
    await page.getByLabel('PEM, base64 or hex text').fill(csr);
    await page.getByRole('button', { name: 'Inspect text' }).click();
    await card('pasted text 1').waitFor(WAIT);
    await page.getByRole('button', { name: 'Clear all' }).click();
    await card('pasted text 1').waitFor({ state: 'detached', ...WAIT });
  }
  // Text dropped (a selection dragged from elsewhere), not a file: inspected like pasted text.
  const transfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', text);
    return dt;
  }, csr);
  await page.dispatchEvent('.page', 'drop', { dataTransfer: transfer });
  await transfer.dispose();
  await page.locator('article.card .kind', { hasText: 'CSR' }).waitFor(WAIT);
  // The icon browsers ask for by themselves.
  const icon = await page.evaluate(async () => (await fetch('/favicon.ico')).status);
  assert.equal(icon, 200);
});

// The accessibility audit: no serious or critical violation in either colour scheme.
const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function audit(what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(bad, [], bad.join('\n'));
}

test('axe-core: the empty page, a certificate card, a capture card and the verdict panel', async () => {
  const dir = await pki(await tempDir());
  const caps = await captures(dir);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(`${scheme}, empty page`);
    await drop(page, await files(join(dir, 'ca.pem'), join(dir, 'client.pem'), join(dir, 'client.key')));
    await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
    await card('client.pem').locator('.tree').waitFor(WAIT);
    await audit(`${scheme}, certificate cards and verdict`);
    await drop(page, await files(caps.nocert));
    await card('nocert.pcapng').locator('.connection .rung').first().waitFor(WAIT);
    await audit(`${scheme}, capture card`);
    await page.getByRole('button', { name: 'Clear all' }).click();
    await page.locator('article.card').first().waitFor({ state: 'detached', ...WAIT });
  }
});

// Screenshots at 400 px and in the dark scheme, against committed references: a committed file
// (testdata/browser/client.pem) at a fixed moment, so the page is the same on every run.
const references = join(here, 'references');

async function compare(name) {
  await mkdir(artifacts, { recursive: true });
  const shot = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  await writeFile(join(artifacts, `${name}.png`), shot);
  const file = join(references, `${name}.png`);
  if (process.env.MTLSKIT_BLESS === '1') {
    await mkdir(references, { recursive: true });
    await writeFile(file, shot);
    return;
  }
  const want = PNG.sync.read(await readFile(file));
  const got = PNG.sync.read(shot);
  assert.deepEqual([got.width, got.height], [want.width, want.height], `${name}: size`);
  const diff = new PNG({ width: want.width, height: want.height });
  const differ = pixelmatch(want.data, got.data, diff.data, want.width, want.height, { threshold: 0.1 });
  await writeFile(join(artifacts, `${name}-diff.png`), PNG.sync.write(diff));
  const share = differ / (want.width * want.height);
  assert.ok(share <= 0.005, `${name}: ${differ} pixels differ (${(share * 100).toFixed(2)} %); see ${artifacts}`);
}

test('screenshots: 400 px light and dark, and the dark scheme wide, match the references', async () => {
  await page.locator('#moment').fill('2030-01-01T00:00:00');
  await page.locator('#moment').dispatchEvent('change');
  await page.getByText('Evaluated at (UTC)').waitFor(WAIT);
  await drop(page, await files('ca.pem', 'client.pem'));
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
  await field(card('client.pem'), 'serialNumber').click();
  await page.locator('button.field.selected').waitFor(WAIT);
  await page.evaluate(() => document.activeElement?.blur());
  // The top of the page (toolbar and verdict), and the client's tree and bytes.
  const views = [
    ['narrow-light', 400, 'light', null],
    ['narrow-dark-fields', 400, 'dark', '.fields'],
    ['wide-dark', 900, 'dark', null],
  ];
  for (const [name, width, scheme, at] of views) {
    await page.setViewportSize({ width, height: 640 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() => window.scrollTo(0, 0));
    if (at) {
      await card('client.pem').locator(at).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    }
    await compare(name);
  }
});
