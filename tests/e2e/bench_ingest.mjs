// Browser ingestion benchmark (not a test): loads the built release app in headless
// Chromium, uploads a CSV and prints how long the Web Worker took to parse, clean and
// aggregate it (the worker's own clock), over several runs.
//   node tests/e2e/bench_ingest.mjs FILE.csv [runs]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.env.SUPPLYCAST_DIST || path.join(here, '..', '..', 'dist'));
const file = process.argv[2];
const runs = Number(process.argv[3] || 3);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.csv': 'text/csv' };
const server = http.createServer((req, res) => {
  const p = new URL(req.url, 'http://x').pathname;
  const f = path.join(dist, p === '/' ? 'index.html' : decodeURIComponent(p));
  if (!f.startsWith(dist) || !fs.existsSync(f)) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': TYPES[path.extname(f)] || 'application/octet-stream' });
  fs.createReadStream(f).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.locator('[data-testid=report]').waitFor({ timeout: 60000 });
const times = [];
for (let i = 0; i < runs; i++) {
  const timing = () => document.querySelector('[data-testid=timing]')?.innerText || '';
  const before = await page.evaluate(timing);
  const t0 = Date.now();
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForFunction((prev) => (document.querySelector('[data-testid=timing]')?.innerText || '') !== prev, before, { timeout: 120000 });
  const msg = await page.locator('[data-testid=timing]').innerText();
  const worker = Number(/in ([0-9.]+) s/.exec(msg)[1]);
  times.push({ worker, wall: (Date.now() - t0) / 1000 });
  console.log(`run ${i + 1}: worker ${worker.toFixed(2)} s, upload to report ${((Date.now() - t0) / 1000).toFixed(2)} s — ${msg}`);
  await page.reload();
  await page.locator('[data-testid=report]').waitFor({ timeout: 60000 });
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`browser ingest (release wasm, one worker thread): median ${med(times.map((t) => t.worker)).toFixed(2)} s in the worker, ${med(times.map((t) => t.wall)).toFixed(2)} s upload to report`);
await browser.close();
server.close();
