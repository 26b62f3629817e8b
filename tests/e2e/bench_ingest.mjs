// Browser ingestion benchmark (not a test): loads the built release app in headless
// Chromium, uploads a CSV and prints how long the Web Worker took to parse, clean and
// aggregate it (the worker's own clock), over several runs.
//   node tests/e2e/bench_ingest.mjs FILE.csv [runs]
import path from 'node:path';
import { startServer, launch } from './serve.mjs';

const file = process.argv[2];
const runs = Number(process.argv[3] || 3);
const server = await startServer();
const browser = await launch();
const page = await browser.newPage();
await page.goto(server.origin + '/');
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
