// Browser benchmark (not a test): forecasting every SKU of a file on one worker and on
// every core (the SKUs split across workers) in the same page, headless Chromium; the
// forecasts are checked to be the same.
//   BENCH_FILE=two_years.csv node tests/e2e/bench_workers.mjs
import fs from 'node:fs';
import { startServer, launch, loadFile } from './serve.mjs';

const file = process.env.BENCH_FILE;
if (!file) throw new Error('set BENCH_FILE');
const server = await startServer();
const browser = await launch();
const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
await loadFile(page, server.origin, file);
await page.click('[data-testid=nav-forecast]');
const cores = await page.evaluate(() => navigator.hardwareConcurrency);
const run = async (workers) => {
  await page.selectOption('[data-testid=forecast-workers]', workers);
  const t0 = Date.now();
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-progress]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=forecast-progress]') && document.querySelector('[data-testid=forecast-summary]'), null, { timeout: 3_600_000 });
  const wall = (Date.now() - t0) / 1000;
  const summary = await page.locator('[data-testid=forecast-summary] p').first().innerText();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  return { wall, summary: summary.match(/^Forecast .*\)\./)[0], csv: fs.readFileSync(await dl.path(), 'utf8') };
};
const one = await run('1');
console.log(`one worker: ${one.wall.toFixed(1)} s click to result — ${one.summary}`);
const all = await run('0');
console.log(`every core (hardwareConcurrency ${cores}): ${all.wall.toFixed(1)} s click to result — ${all.summary}`);
console.log(`speedup ${(one.wall / all.wall).toFixed(2)}×; forecasts identical: ${one.csv === all.csv}`);
await browser.close();
server.close();
