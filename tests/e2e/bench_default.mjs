// Browser benchmark (not a test): what the pretrained model costs the default forecast.
// The same file forecast on every core in one page, headless Chromium: without the
// pretrained model (the statistical models only, the default before it joined), then
// with it (the default: the neural worker starts, fetches the weights and forecasts
// every SKU beside the statistical workers), then with it again (its forecasts reused).
//   BENCH_FILE=two_years.csv node tests/e2e/bench_default.mjs
import { startServer, launch, loadFile } from './serve.mjs';

const file = process.env.BENCH_FILE;
if (!file) throw new Error('set BENCH_FILE');
const server = await startServer();
const browser = await launch();
const page = await (await browser.newContext()).newPage();
await loadFile(page, server.origin, file);
await page.click('[data-testid=nav-forecast]');
const cores = await page.evaluate(() => navigator.hardwareConcurrency);
const run = async (pretrained) => {
  const box = page.locator('[data-testid=forecast-pretrained]');
  if (pretrained) await box.check(); else await box.uncheck();
  const t0 = Date.now();
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-progress]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=forecast-progress]') && document.querySelector('[data-testid=forecast-summary]'), null, { timeout: 3_600_000, polling: 100 });
  const wall = (Date.now() - t0) / 1000;
  const summary = await page.locator('[data-testid=forecast-summary] p').first().innerText();
  const note = await page.locator('[data-testid=forecast-pretrained-note]').innerText().catch(() => '');
  return { wall, summary: summary.match(/^Forecast .*?\)\./)?.[0] ?? summary, note };
};
const stat = await run(false);
console.log(`statistical models only: ${stat.wall.toFixed(1)} s click to result — ${stat.summary}`);
const first = await run(true);
console.log(`default with the pretrained model: ${first.wall.toFixed(1)} s — ${first.summary} ${first.note}`);
const again = await run(true);
console.log(`again (its forecasts reused): ${again.wall.toFixed(1)} s — ${again.summary}`);
console.log(`hardwareConcurrency ${cores}; with the pretrained model / without: ${(first.wall / stat.wall).toFixed(2)}× (first), ${(again.wall / stat.wall).toFixed(2)}× (reused)`);
await browser.close();
server.close();
