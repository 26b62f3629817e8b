// Browser benchmark (not a test) of the whole chain in the built release app, headless
// Chromium: file in (Data page), forecasts of every SKU with every statistical model
// (Forecast page), the plan and the purchase list (Plan page), each stage's time as the
// page reports it (the worker's own time) and from click to result, and the page's JS
// heap (Chromium's performance.memory; the workers' memory is not visible from it).
//   BENCH_FILE=two_years.csv node tests/e2e/bench_chain.mjs
// (two_years.csv: scripts/two-year-bench-data.py, 1,000 SKUs × 2 years daily.)
import { startServer, launch } from './serve.mjs';

const file = process.env.BENCH_FILE;
if (!file) throw new Error('set BENCH_FILE');
const server = await startServer();
const browser = await launch();
const context = await browser.newContext({ acceptDownloads: true });
const page = await context.newPage();
const heap = () => page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN));
await page.goto(server.origin + '/#data');
await page.waitForSelector('[data-testid=report]', { timeout: 120000 });
const before = await page.evaluate(() => document.querySelector('[data-testid=timing]')?.innerText || '');
let t0 = Date.now();
await page.setInputFiles('[data-testid=file-input]', file);
await page.waitForFunction((b) => {
  const t = document.querySelector('[data-testid=timing]')?.innerText || '';
  return /Read [\d,]+ rows/.test(t) && t !== b;
}, before, { timeout: 600000, polling: 100 });
console.log(`load: ${((Date.now() - t0) / 1000).toFixed(1)} s click to report — ${await page.locator('[data-testid=timing]').innerText()} page heap ${(await heap()).toFixed(0)} MB`);
await page.click('[data-testid=nav-forecast]');
t0 = Date.now();
await page.click('[data-testid=run-forecast]');
await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 3_600_000 });
const fs = await page.locator('[data-testid=forecast-summary] p').first().innerText();
console.log(`forecast: ${((Date.now() - t0) / 1000).toFixed(1)} s click to result — ${fs.match(/^Forecast .* in [\d.]+ s/)[0]}; page heap ${(await heap()).toFixed(0)} MB`);
t0 = Date.now();
await page.click('[data-testid=nav-plan]');
await page.locator('[data-testid=plan-summary]').waitFor({ timeout: 3_600_000 });
const ps = await page.locator('[data-testid=plan-summary] p').first().innerText();
console.log(`plan: ${((Date.now() - t0) / 1000).toFixed(1)} s to result — ${ps.match(/^\d+ SKUs planned in [\d.]+ s/)[0]}; page heap ${(await heap()).toFixed(0)} MB`);
t0 = Date.now();
const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-orders]')]);
await download.path();
console.log(`purchase list: ${((Date.now() - t0) / 1000).toFixed(2)} s to a downloaded file`);
await browser.close();
server.close();
