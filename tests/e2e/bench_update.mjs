// Browser benchmark (not a test) of an update in the built release app, headless
// Chromium: a history file read and forecast (kept for scoring), then a newer export
// added ("Add newer sales": appended, the kept forecast scored) and the forecasts made
// again, each step's time from click to result.
//   BENCH_FILE=before.csv BENCH_NEWER=week.csv node tests/e2e/bench_update.mjs
// (e.g. `supplycast ingest` of the shared file with --top 1000 --out, split on a date.)
import { startServer, launch, loadFile } from './serve.mjs';

const [file, newer] = [process.env.BENCH_FILE, process.env.BENCH_NEWER];
if (!file || !newer) throw new Error('set BENCH_FILE and BENCH_NEWER');
const server = await startServer();
const browser = await launch();
const page = await (await browser.newContext()).newPage();
await loadFile(page, server.origin, file);
await page.click('[data-testid=nav-forecast]');
let t0 = Date.now();
await page.click('[data-testid=run-forecast]');
await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 3_600_000 });
console.log(`first forecast: ${((Date.now() - t0) / 1000).toFixed(1)} s click to result`);
await page.click('[data-testid=nav-data]');
t0 = Date.now();
await page.setInputFiles('[data-testid=add-newer]', newer);
await page.locator('[data-testid=accuracy-summary]').waitFor({ timeout: 600000 });
console.log(`add newer sales: ${((Date.now() - t0) / 1000).toFixed(2)} s click to scored — ${await page.locator('[data-testid=timing]').innerText()}`);
console.log(`  ${await page.locator('[data-testid=accuracy-summary]').innerText()}`);
await page.click('[data-testid=nav-forecast]');
t0 = Date.now();
await page.click('[data-testid=run-forecast]');
await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 3_600_000 });
const fs = await page.locator('[data-testid=forecast-summary] p').first().innerText();
console.log(`forecast again: ${((Date.now() - t0) / 1000).toFixed(1)} s click to result — ${fs.match(/^Forecast .* in [\d.]+ s/)[0]}`);
await browser.close();
server.close();
