// Browser tests of the web inspector: the release build in dist/, served on 127.0.0.1, driven in
// Debian's headless Chromium. Each test does what a person does (drop files, click, paste) and
// asserts what they see. Screenshots go to $MTLSKIT_ARTIFACTS (browser-artifacts/ in cargo's target folder).
//
// Run: `cargo xtask web test` (builds dist/ and the binary first), or `npm test` here after
// `trunk build --release` with MTLSKIT_BIN set to the mtlskit binary.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, openPage, files, drop, screenshot, fixtures, root } from './lib.mjs';
import { pki, captures, foreignClient, tempDir } from './scenario.mjs';

const WAIT = { timeout: 15_000 };
let session, server, page, requests, consoleErrors;

before(async () => {
  session = await launch();
  server = session.server;
});
after(() => session?.close());

beforeEach(async () => {
  ({ page, requests, errors: consoleErrors } = await openPage(session));
});

afterEach(async () => {
  // No request leaves the page but for its own assets (blob: downloads stay in the browser).
  const foreign = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('blob:')
    && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests to elsewhere');
  assert.equal(await page.locator('#panic').count(), 0, 'the panic card is not shown');
  await page.close();
});

/** openssl's SHA-256 fingerprint of a certificate, as the report writes it. */
function opensslSha256(file) {
  const out = execFileSync('openssl', ['x509', '-in', join(fixtures, file), '-noout', '-fingerprint', '-sha256']);
  return out.toString().trim().split('=')[1].replaceAll(':', '').toLowerCase();
}

const card = (name) => page.locator(`article.card[data-source="${name}"]`);

test('the page says files stay in the browser and loads nothing else', async () => {
  await page.getByText('Files never leave this browser').waitFor(WAIT);
  assert.ok(requests.length >= 3, `page, script and wasm were loaded: ${requests}`);
  assert.ok(requests.some((u) => u.endsWith('.wasm')));
});

test('a dropped certificate shows its subject, SHA-256 and validity', async () => {
  await drop(page, await files('client.pem'));
  const c = card('client.pem');
  await c.waitFor(WAIT);
  const item = c.locator('li.item').first();
  assert.equal(await item.locator('.kind').innerText(), 'CERTIFICATE');
  assert.equal(await item.locator('.summary .name').innerText(), 'client.example');
  assert.match(await item.locator('.validity').innerText(), /^valid until \d{4}-\d\d-\d\d \(\d+ days left\)$/);
  assert.equal(await item.locator('.key').innerText(), 'EC P-256');
  // Opened at once (a single item): the facts show the fingerprint openssl computes.
  const sha = item.locator('.fact[data-field="sha256"] dd');
  assert.equal(await sha.innerText(), opensslSha256('client.pem'));
  assert.equal(
    await item.locator('.fact[data-field="subject"] dd').innerText(),
    'O=mtlskit,CN=client.example',
  );
  await screenshot(page, 'certificate');
});

test('selecting a field highlights its bytes, and clicking a byte selects its field', async () => {
  await drop(page, await files('client.pem'));
  const item = card('client.pem').locator('li.item').first();
  await item.locator('.tree').waitFor(WAIT);
  // The serial number field: its bytes (tag, length, value) light up in the hex view.
  const serial = item.locator('button.field', { hasText: 'serialNumber' });
  await serial.click();
  await item.locator('button.field.selected', { hasText: 'serialNumber' }).waitFor(WAIT);
  const [from, to] = (await serial.getAttribute('title')).match(/\d+/g).map(Number);
  const lit = item.locator('.hx .b.sel');
  assert.equal(await lit.count(), to - from);
  assert.equal(await lit.first().getAttribute('data-o'), String(from));
  // "copy value" appears on the selected field and copies its value.
  await item.locator('button.copy-value').click();
  await page.getByText('Copied the value of serialNumber').waitFor(WAIT);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, await serial.locator('.fvalue').innerText());
  await screenshot(page, 'field-selected');

  // Click the first byte of the signature at the end: the deepest field holding it is selected.
  const last = item.locator('.hx .b').last();
  const offset = Number(await last.getAttribute('data-o'));
  await last.click();
  const selected = item.locator('button.field.selected');
  await selected.waitFor(WAIT);
  const [a, b] = (await selected.getAttribute('title')).match(/\d+/g).map(Number);
  assert.ok(a <= offset && offset < b, `byte ${offset} lies in the selected field ${a}..${b}`);
  assert.ok(await last.evaluate((el) => el.classList.contains('sel')));
  await screenshot(page, 'byte-selected');
});

test('a CSR, a key and a bundle: cards, key matching and issuers across cards', async () => {
  await drop(page, await files('bundle.pem', 'client.csr', 'client.key'));
  await card('client.key').waitFor(WAIT);
  assert.equal(await page.locator('article.card').count(), 3);
  assert.match(await page.locator('.status').innerText(), /^4 items from 3 inputs/);
  // The bundle lists both certificates.
  const bundle = card('bundle.pem');
  assert.match(await bundle.locator('.size').innerText(), /2 items/);
  assert.deepEqual(await bundle.locator('.summary .name').allInnerTexts(), ['mtlskit test CA', 'client.example']);
  assert.equal(await bundle.locator('.kind').first().innerText(), 'CA CERTIFICATE');
  // The CSR: its subject and a valid self-signature.
  const csr = card('client.csr').locator('li.item');
  assert.equal(await csr.locator('.summary .name').innerText(), 'client.example');
  assert.equal(await csr.locator('.fact[data-field="signature_valid"] dd').innerText(), 'yes');
  // The key belongs to the client certificate and to the CSR.
  const key = card('client.key').locator('li.item');
  assert.match(await key.locator('.summary .name').innerText(), /matches 2 certificates or CSRs/);
  // Its private scalar is masked in the hex view.
  assert.ok((await key.locator('.hex-rows').innerText()).includes('••'), 'private key bytes are masked');
  const links = await key.locator('.links li').allInnerTexts();
  assert.ok(links.some((l) => l.includes("this key belongs to bundle.pem #1 (client.example)")), JSON.stringify(links));
  // The client certificate was issued by the CA in the same bundle (small inputs open at once).
  const client = bundle.locator('li.item').nth(1);
  assert.equal(await client.locator('button.summary').getAttribute('aria-expanded'), 'true');
  const certLinks = await client.locator('.links li').allInnerTexts();
  assert.ok(certLinks.some((l) => l.includes('issued by bundle.pem #0 (mtlskit test CA)')), JSON.stringify(certLinks));
  await page.getByText('1 certificate issued by a dropped CA, 0 whose issuer is missing').waitFor(WAIT);
  await screenshot(page, 'csr-key-bundle');
});

test('garbage becomes an error card and the page keeps working', async () => {
  await drop(page, await files('garbage.bin'));
  const bad = card('garbage.bin');
  await bad.waitFor(WAIT);
  assert.ok(await bad.evaluate((el) => el.classList.contains('failed')));
  await bad.getByText('Nothing in this input could be decoded.').waitFor(WAIT);
  assert.ok((await bad.locator('.errors li').count()) >= 1);
  // Truncated and empty inputs too.
  const pem = await readFile(join(fixtures, 'client.pem'));
  await drop(page, [
    { name: 'cut.pem', b64: pem.subarray(0, 300).toString('base64') },
    { name: 'empty.pem', b64: '' },
  ]);
  await card('empty.pem').waitFor(WAIT);
  await drop(page, await files('client.key'));
  await card('client.key').locator('.summary .name').waitFor(WAIT);
  await screenshot(page, 'garbage');
  // Remove one card, then clear all.
  await bad.getByRole('button', { name: 'Remove garbage.bin' }).click();
  await bad.waitFor({ state: 'detached', ...WAIT });
  await page.getByRole('button', { name: 'Clear all' }).click();
  await page.locator('article.card').first().waitFor({ state: 'detached', ...WAIT });
  assert.deepEqual(consoleErrors, []);
});

test('pasted PEM is inspected like a file', async () => {
  const csr = await readFile(join(fixtures, 'client.csr'), 'utf8');
  await page.getByLabel('PEM, base64 or hex text').fill(csr);
  await page.getByRole('button', { name: 'Inspect text' }).click();
  const c = card('pasted text 1');
  await c.waitFor(WAIT);
  assert.equal(await c.locator('.kind').innerText(), 'CSR');
});

test('the JSON export follows the CLI contract', async () => {
  await drop(page, await files('client.pem', 'client.key', 'garbage.bin'));
  await card('garbage.bin').waitFor(WAIT);
  const [download] = await Promise.all([
    page.waitForEvent('download', WAIT),
    page.getByRole('button', { name: 'Download JSON' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'mtlskit-report.json');
  const report = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.deepEqual(report.items.map((i) => [i.source, i.index, i.kind]),
    [['client.pem', 0, 'certificate'], ['client.key', 0, 'private_key']]);
  assert.equal(report.items[0].sha256, opensslSha256('client.pem'));
  assert.equal(report.items[0].subject, 'O=mtlskit,CN=client.example');
  assert.deepEqual(report.items[1].matches, [{ source: 'client.pem', index: 0 }]);
  assert.equal(report.errors.length, 1);
  assert.equal(report.errors[0].source, 'garbage.bin');
  for (const f of report.items.flatMap((i) => i.findings)) {
    assert.deepEqual(Object.keys(f).sort(), ['code', 'message', 'severity']);
  }
  // Copy JSON puts the same report on the clipboard; copy as PEM gives the certificate back.
  await page.getByRole('button', { name: 'Copy JSON' }).click();
  await page.getByText('Copied the JSON report.').waitFor(WAIT);
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  assert.deepEqual(copied, report);
  await card('client.pem').getByRole('button', { name: 'Copy as PEM' }).click();
  await page.getByText('Copied the certificate as PEM.').waitFor(WAIT);
  const pem = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(pem, await readFile(join(fixtures, 'client.pem'), 'utf8'));
});

test('the moment can be set: a certificate past its end is expired', async () => {
  await drop(page, await files('client.pem'));
  const item = card('client.pem').locator('li.item').first();
  await item.locator('.validity').waitFor(WAIT);
  await page.locator('#moment').fill('2200-01-01T00:00:00');
  await page.locator('#moment').dispatchEvent('change');
  await item.locator('.validity', { hasText: /^expired / }).waitFor(WAIT);
  await item.locator('.finding.error .code', { hasText: 'expired' }).waitFor(WAIT);
  assert.ok(await item.evaluate((el) => el.classList.contains('sev-error')));
  await page.getByRole('button', { name: 'Use now' }).click();
  await item.locator('.validity', { hasText: /days left/ }).waitFor(WAIT);
});

test('keyboard: Tab reaches the controls and Enter opens an item', async () => {
  await drop(page, await files('bundle.pem'));
  await card('bundle.pem').waitFor(WAIT);
  const summary = card('bundle.pem').locator('button.summary').first();
  await summary.focus();
  const before = await summary.getAttribute('aria-expanded');
  await page.keyboard.press('Enter');
  await card('bundle.pem').locator(`button.summary[aria-expanded="${before === 'true' ? 'false' : 'true'}"]`)
    .first().waitFor(WAIT);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  assert.equal(focused, 'BUTTON');
});

test('narrow and dark: readable at 400 px in the dark scheme', async () => {
  await page.setViewportSize({ width: 400, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await drop(page, await files('client.pem', 'client.key'));
  await card('client.key').waitFor(WAIT);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 400, `no horizontal scrolling at 400 px (page is ${width} px wide)`);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(22, 24, 28)');
  await screenshot(page, 'narrow-dark');
});

test('the system CA bundle lists every certificate, collapsed', async () => {
  const bundle = '/etc/ssl/certs/ca-certificates.crt';
  const text = await readFile(bundle, 'latin1');
  const count = text.match(/-----BEGIN CERTIFICATE-----/g).length;
  await drop(page, await files(bundle));
  const c = card('ca-certificates.crt');
  await c.waitFor(WAIT);
  assert.equal(await c.locator('li.item').count(), count);
  assert.equal(await c.locator('.details').count(), 0, 'no item is open');
  assert.equal(await c.locator('li.item .kind').first().innerText(), 'CA CERTIFICATE');
  // Opening one shows its details.
  await c.locator('button.summary').nth(5).click();
  await c.locator('.details').waitFor(WAIT);
  assert.equal(await c.locator('.details').count(), 1);
  await screenshot(page, 'ca-bundle');
});

test('a .bin handshake: the ladder names the records and the cipher suites', async () => {
  // A ClientHello recorded from Node's TLS client (SNI api.example, ALPN h2 and http/1.1).
  await drop(page, await files('client_hello.bin'));
  const c = card('client_hello.bin');
  await c.waitFor(WAIT);
  const item = c.locator('li.item').first();
  assert.equal(await item.locator('.kind').innerText(), 'TLS');
  assert.match(await item.locator('.summary .name').innerText(), /client → server.*SNI api\.example/);
  const rung = item.locator('.rung.from-client').first();
  assert.match(await rung.innerText(), /client_hello/i);
  // The offered cipher suites are listed by name in the tree.
  const tree = await item.locator('.tree').innerText();
  assert.match(tree, /TLS_AES_128_GCM_SHA256|TLS_AES_256_GCM_SHA384/);
  // A rung selects its record's bytes.
  await rung.locator('button').click();
  await item.locator('.hx .b.sel').first().waitFor(WAIT);
  assert.equal(await item.locator('.hx .b.sel').first().getAttribute('data-o'), '0');
  const hello = await readFile(join(fixtures, 'client_hello.bin'));
  const record = 5 + hello.readUInt16BE(3);
  assert.equal(await item.locator('.hx .b.sel').count(), record, `the whole record (5 + ${record - 5} bytes)`);
  assert.match(await item.locator('button.field.selected').innerText(), /^record 0/);
  await screenshot(page, 'handshake');
});

test('captures: a refused handshake is explained, both sides laddered, bytes select records', async () => {
  // Real TLS 1.2 handshakes against openssl s_server requiring a client certificate.
  const caps = await captures(await pki(await tempDir()));
  await drop(page, await files(caps.nocert, caps.ok));
  const bad = card('nocert.pcapng').locator('li.item').first();
  await bad.waitFor(WAIT);
  assert.equal(await bad.locator('.kind').innerText(), 'CAPTURE');
  assert.match(await bad.locator('.summary .name').innerText(), /→ 127\.0\.0\.1:\d+: TLS 1\.2, TLS_ECDHE_/);
  const conn = bad.locator('.connection').first();
  // The diagnosis comes first, with the CA names the server asked for.
  const finding = conn.locator('.finding.error').first();
  assert.equal(await finding.locator('.code').innerText(), 'client_certificate_missing');
  assert.match(await finding.locator('.message').innerText(), /issued by CN=mtlskit CA/);
  assert.match(await conn.locator('.accepted-cas').innerText(), /CN=mtlskit CA/);
  assert.match(await conn.locator('.client-cert.cert-missing').innerText(), /sent none/);
  assert.match(await conn.locator('.alerts').innerText(),
    /server: fatal handshake_failure \(40\): .*no client certificate/);
  // The ladder: the client's hello, the server's flight, the client's answer, the alert.
  const rungs = conn.locator('.rung');
  assert.match(await rungs.nth(0).innerText(), /client_hello/);
  assert.ok(await rungs.nth(0).evaluate((el) => el.classList.contains('from-client')));
  assert.match(await rungs.nth(1).innerText(), /server_hello/);
  assert.ok(await rungs.nth(1).evaluate((el) => el.classList.contains('from-server')));
  assert.match(await rungs.last().innerText(), /alert/i);

  const good = card('ok.pcap').locator('li.item').first();
  const ok = good.locator('.connection').first();
  assert.match(await ok.locator('.client-cert.cert-sent').innerText(), /CN=mtlskit client/);
  assert.equal(await ok.locator('.finding.error').count(), 0);
  // A server rung selects its record (file offsets) in the tree and the hex view...
  await ok.locator('.rung.from-server', { hasText: 'server_hello' }).first().locator('button').click();
  const selected = good.locator('button.field.selected');
  await selected.waitFor(WAIT);
  assert.match(await selected.innerText(), /^record 0/);
  const sel = good.locator('.hx .b.sel');
  await sel.first().waitFor(WAIT);
  const first = Number(await sel.first().getAttribute('data-o'));
  assert.ok(first > 24, 'the record lies after the pcap headers');
  // ...and a byte of it, though the client direction's span covers it too, selects back into it.
  await sel.nth(10).click();
  await good.locator('button.field.selected').waitFor(WAIT);
  const path = await good.locator('button.field.selected').getAttribute('data-path');
  assert.match(path, /^0\.1\.0(\.|$)/, `a field of the server's first record (${path})`);
  await screenshot(page, 'capture');
});

test('verdict: the diagnosis engine accepts, rejects an untrusted or expired client, checks servers', async () => {
  const mine = await pki(await tempDir());
  const other = await foreignClient(await tempDir());
  const panel = page.locator('section.verdict .diagnosis');
  const codes = () => panel.locator('.finding .code').allInnerTexts();
  // The CA, a client certificate it issued and its key: accepted, with the chain built.
  await drop(page, await files(join(mine, 'ca.pem'), join(mine, 'client.pem'), join(mine, 'client.key')));
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
  assert.deepEqual(await panel.locator('.chain .subject').allInnerTexts(), ['CN=mtlskit client', 'CN=mtlskit CA']);
  assert.match(await panel.locator('.verdict-line').innerText(),
    /client\.pem #0 \(mtlskit client\) checked as a client certificate against 1 trusted CA at .*, with the private key client\.key/);
  assert.deepEqual(await codes(), []);
  // At a moment in 2200 it has expired.
  await page.locator('#moment').fill('2200-01-01T00:00:00');
  await page.locator('#moment').dispatchEvent('change');
  await page.locator('section.verdict .diagnosis[data-verdict="rejected"]').waitFor(WAIT);
  assert.ok((await codes()).includes('expired'), await codes());
  await screenshot(page, 'verdict-expired');
  await page.getByRole('button', { name: 'Use now' }).click();
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);

  // A client certificate of another CA: untrusted.
  await page.getByRole('button', { name: 'Clear all' }).click();
  await drop(page, await files(join(mine, 'ca.pem'), join(other, 'client.pem')));
  await page.locator('section.verdict .diagnosis[data-verdict="rejected"]').waitFor(WAIT);
  assert.ok((await codes()).includes('untrusted_issuer'), await codes());
  assert.match(await panel.locator('.finding.error .message').first().innerText(), /Other CA|not issued|trust/i);
  await screenshot(page, 'verdict-untrusted');

  // The server certificate, as a server, for its name and for another one.
  await page.getByRole('button', { name: 'Clear all' }).click();
  await drop(page, await files(join(mine, 'ca.pem'), join(mine, 'server.pem')));
  await panel.locator('.verdict-line').waitFor(WAIT);
  await panel.getByRole('button', { name: 'server' }).click();
  await page.locator('#verdict-host').fill('localhost');
  await page.locator('#verdict-host').dispatchEvent('change');
  await page.locator('section.verdict .diagnosis[data-verdict="accepted"]').waitFor(WAIT);
  assert.match(await panel.locator('.verdict-line').innerText(), /as a server certificate for localhost/);
  await page.locator('#verdict-host').fill('api.example');
  await page.locator('#verdict-host').dispatchEvent('change');
  await page.locator('section.verdict .diagnosis[data-verdict="rejected"]').waitFor(WAIT);
  assert.ok((await codes()).includes('hostname_mismatch'), await codes());
});

test('captures: a key log dropped beside a TLS 1.3 capture decrypts it and stays out of exports', async () => {
  // testdata/decrypt: three TLS 1.3 connections to s_server -Verify 1 and the client's key log.
  const dir = join(root, 'testdata', 'decrypt');
  await drop(page, await files(join(dir, 'tls13.pcapng'), join(dir, 'tls13.keys')));
  const cap = card('tls13.pcapng').locator('li.item').first();
  await cap.waitFor(WAIT);
  const keys = card('tls13.keys');
  assert.match(await keys.locator('.key-log').innerText(), /15 secrets for 3 TLS connections.*stays in this browser/s);
  assert.equal(await keys.locator('li.item').count(), 0, 'a key log is no item');
  const conns = cap.locator('.connection');
  // The client certificate's subject and the server's accepted CA names, decrypted.
  assert.match(await conns.nth(0).locator('.client-cert.cert-sent').innerText(), /CN=good client/);
  assert.match(await conns.nth(0).locator('.accepted-cas').innerText(), /CN=good CA/);
  // The refusals are read, not guessed: the exact alerts.
  assert.match(await conns.nth(1).locator('.alerts').innerText(), /server: fatal unknown_ca \(48\)/);
  assert.match(await conns.nth(2).locator('.alerts').innerText(), /server: fatal certificate_required \(116\)/);
  await screenshot(page, 'decrypted');
});

test('captures: decrypted rungs are marked, and the hex view toggles a record between ciphertext and plaintext', async () => {
  const dir = join(root, 'testdata', 'decrypt');
  await drop(page, await files(join(dir, 'tls13.pcapng'), join(dir, 'tls13.keys')));
  const cap = card('tls13.pcapng').locator('li.item').first();
  const conn = cap.locator('.connection').first();
  // The rungs that came from decryption name what the record held and are marked; the
  // hellos, sent in the clear, are not.
  const request = conn.locator('.rung.from-server.decrypted', { hasText: 'certificate_request' });
  await request.waitFor(WAIT);
  assert.equal(await request.locator('.rung-mark').textContent(), 'decrypted');
  assert.match(await request.locator('.rung-detail').innerText(), /decrypted 73 bytes/);
  const hello = conn.locator('.rung.from-client', { hasText: 'client_hello' });
  assert.equal(await hello.locator('.rung-mark').count(), 0);
  assert.ok(!(await hello.evaluate((el) => el.classList.contains('decrypted'))));
  assert.ok(await conn.locator('.rung.from-client.decrypted', { hasText: 'certificate_verify' }).count() === 1);

  // A click on the rung selects the decrypted record; the hex view shows its ciphertext in the
  // capture (header and 90 bytes), and offers the plaintext.
  await request.locator('button').click();
  await cap.locator('button.field.selected[data-path="0.3.1"]').waitFor(WAIT);
  const mode = cap.locator('.hex-mode');
  const cipher = mode.getByRole('button', { name: 'ciphertext' });
  const plain = mode.getByRole('button', { name: 'plaintext (decrypted)' });
  assert.equal(await cipher.getAttribute('aria-pressed'), 'true');
  assert.equal(await plain.getAttribute('aria-pressed'), 'false');
  const selected = cap.locator('.hx .b.sel');
  assert.equal(await selected.count(), 95);
  const ciphertext = (await selected.allInnerTexts()).join('');
  assert.ok(ciphertext.startsWith('17030300'), `a TLS 1.3 record header: ${ciphertext.slice(0, 10)}`);

  // The keyboard: Tab from "ciphertext" to "plaintext", Space shows the plaintext: the
  // CertificateRequest message itself (type 13, 73 bytes).
  await cipher.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'plaintext (decrypted)');
  await page.keyboard.press('Space');
  await cap.locator('.hex-rows.plaintext').waitFor(WAIT);
  assert.equal(await plain.getAttribute('aria-pressed'), 'true');
  assert.equal(await cap.locator('.hex').getAttribute('aria-label'), 'Decrypted bytes');
  assert.equal(await selected.count(), 73);
  const plaintext = (await selected.allInnerTexts()).join('');
  assert.ok(plaintext.startsWith('0d000045'), `a CertificateRequest: ${plaintext.slice(0, 10)}`);
  assert.ok(!ciphertext.includes(plaintext.slice(0, 40)), 'the plaintext is not the ciphertext');
  // The CA name the server accepts is readable in the ASCII column.
  assert.match(await cap.locator('.hex-rows.plaintext .asc').allInnerTexts().then((t) => t.join('')), /good CA/);

  // A click on a byte of the plaintext selects the decrypted field that holds it.
  await selected.nth(40).click();
  const field = cap.locator('button.field.selected');
  await field.waitFor(WAIT);
  const path = await field.getAttribute('data-path');
  assert.match(path, /^0\.3\.1\.\d/, `a field inside the decrypted CertificateRequest (${path})`);
  assert.ok(await cap.locator('.hex-rows.plaintext').count() === 1, 'the plaintext stays shown');
  const sel = cap.locator('.hex-rows.plaintext .b.sel');
  assert.ok((await sel.count()) < 73, 'a field, not the whole record');
  // Enter on "ciphertext" goes back to the record as captured.
  await cipher.focus();
  await page.keyboard.press('Enter');
  await cap.locator('.hex-rows:not(.plaintext)').waitFor(WAIT);
  assert.equal(await cipher.getAttribute('aria-pressed'), 'true');
  await screenshot(page, 'decrypted-hex');

  // A record sent in the clear has no plaintext to toggle to.
  await hello.locator('button').click();
  await cap.locator('button.field.selected[data-path="0.0.0"]').waitFor(WAIT);
  assert.equal(await cap.locator('.hex-mode').count(), 0);
});
