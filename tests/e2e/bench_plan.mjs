// Browser planning benchmark (not a test): loads the built release app in headless
// Chromium, uploads a long series CSV, forecasts every SKU, then times the plan
// (policies + 1,000-run × 90-day simulation per SKU, in the Web Worker) over several
// runs, reading the worker's own clock from the Plan page's summary.
//   node tests/e2e/bench_plan.mjs FILE.csv [runs]
import { startServer, launch } from './serve.mjs';

const file = process.argv[2];
const runs = Number(process.argv[3] || 3);
const server = await startServer();
const browser = await launch();
const page = await browser.newPage();
await page.goto(server.origin + '/');
await page.locator('[data-testid=report]').waitFor({ timeout: 60000 });
const before = await page.evaluate(() => document.querySelector('[data-testid=timing]')?.innerText || '');
await page.setInputFiles('[data-testid=file-input]', file);
await page.waitForFunction((prev) => (document.querySelector('[data-testid=timing]')?.innerText || '') !== prev, before, { timeout: 120000 });
await page.click('[data-testid=nav-forecast]');
const t0 = Date.now();
await page.click('[data-testid=run-forecast]');
await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 600000 });
console.log(`forecast: ${((Date.now() - t0) / 1000).toFixed(1)} s — ${(await page.locator('[data-testid=forecast-summary] p').first().innerText())}`);
await page.click('[data-testid=nav-plan]');
const times = [];
for (let i = 0; i < runs; i++) {
  if (i > 0) {
    await page.click('[data-testid=run-plan]');
    await page.locator('[data-testid=plan-progress]').waitFor({ state: 'detached', timeout: 600000 });
  }
  await page.locator('[data-testid=plan-summary]').waitFor({ timeout: 600000 });
  const text = await page.locator('[data-testid=plan-summary] p').first().innerText();
  const m = /(\d+) SKUs planned in ([0-9.]+) s/.exec(text);
  times.push(Number(m[2]));
  console.log(`run ${i + 1}: ${text}`);
}
const mem = await page.evaluate(() => performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1e6) : null);
const med = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
console.log(`browser plan (release wasm, one worker thread): median ${med.toFixed(2)} s in the worker; page JS heap ${mem} MB`);
await browser.close();
server.close();
