// Benchmark of a large capture on the page (docs/benchmarks.md, "Web inspector", issue 18): a
// capture of MTLSKIT_BENCH_STREAM_MB (100) MB made from two real handshakes (accepted and refused,
// as tests/browser/stream.test.mjs makes its 24 MB one) is picked on the page; prints, per run
// in a fresh tab, the time from picking to the card saying it was read to the end (its summary
// complete), where it was decoded (the card's data-thread: "worker"), the longest gap of a 10 ms
// timer in the page meanwhile (how long input would wait at worst), and the machine's load.
//
// Run: `cargo xtask web bench` (after bench/web.mjs), or from tests/browser (its node_modules)
// with the environment it sets: MTLSKIT_DIST=.../dist MTLSKIT_BIN=.../debug/mtlskit node ../../bench/web_stream.mjs
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { launch, openPage } from '../tests/browser/lib.mjs';
import { pki, captures, manyConnections, joinPcaps, tempDir } from '../tests/browser/scenario.mjs';

// At least 9: captures under 8 MiB are inspected whole, not streamed.
const MB = Math.max(9, Number(process.env.MTLSKIT_BENCH_STREAM_MB ?? 100));
const dir = await tempDir();
const caps = await captures(await pki(dir));
const ok = await readFile(caps.ok);
const nocert = await readFile(join(dir, 'nocert.pcap'));
const big = join(dir, `big${MB}.pcap`);
await writeFile(big, joinPcaps(manyConnections(ok, MB * 0.66e6, 1024), manyConnections(nocert, MB * 0.34e6, 20000, 100_000)));
const s = await launch();
try {
  for (let run = 0; run < 2; run++) {
    const { page } = await openPage(s);
    await page.evaluate(() => {
      window.gaps = []; let last = performance.now();
      const tick = () => { const n = performance.now(); window.gaps.push(n - last); last = n; window.timer = setTimeout(tick, 10); };
      tick();
    });
    const t0 = Date.now();
    await page.setInputFiles('#pick', big);
    await page.locator('article.card.stream[data-progress="done"]').waitFor({ timeout: 300000 });
    const ms = Date.now() - t0;
    const gaps = await page.evaluate(() => { clearTimeout(window.timer); return window.gaps; });
    const conns = await page.locator('.stream-summary').getAttribute('data-connections');
    const thread = await page.locator('.stream-thread').getAttribute('data-thread');
    gaps.sort((a, b) => a - b);
    console.log(JSON.stringify({ run, bytes: (await readFile(big)).length, ms, conns, thread, load: loadavg().map((l) => l.toFixed(2)).join(' '), worst_gap_ms: gaps.at(-1).toFixed(1), p99_gap: gaps[Math.floor(gaps.length * 0.99)].toFixed(1) }));
    await page.close();
  }
} finally { await s.close(); }
