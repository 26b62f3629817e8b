// Browser benchmark (not a test) of issue 10's speed figures: loads a file on the Data
// page of the built release app in headless Chromium, prints how long the worker took
// to check it for anomalies (the Data page's own figure), then trains the scenario model
// (20 "epochs" = 1,500 steps, CPU, horizon 90) in the neural worker and prints its
// status: steps, seconds, and the SKUs whose 100 scenarios it generated (training +
// generation, click to result).
//   BENCH_FILE=two_years.csv node tests/e2e/bench_scenarios.mjs
// (two_years.csv: scripts/two-year-bench-data.py, 1,000 SKUs × 2 years daily.)
import { startServer, launch } from './serve.mjs';

const file = process.env.BENCH_FILE;
if (!file) throw new Error('set BENCH_FILE');
const server = await startServer();
const browser = await launch();
const page = await browser.newPage();
await page.goto(server.origin + '/#data');
await page.setInputFiles('[data-testid=file-input]', file);
await page.waitForSelector('[data-testid=report]', { timeout: 600000 });
await page.waitForFunction(() => /Checked in [\d.]+ s/.test(document.querySelector('[data-testid=anomaly-summary]')?.innerText || ''), null, { timeout: 600000, polling: 500 });
const summary = await page.locator('[data-testid=anomaly-summary]').innerText();
console.log(`anomalies: ${summary.match(/^\d+ anomalies/)[0]}, ${summary.match(/Checked in [\d.]+ s/)[0]}`);
await page.click('[data-testid=nav-forecast]');
// Scenarios of 90 periods, as the native figure (`bench-scenarios --speed --h 90`).
await page.fill('[data-testid=horizon]', '90');
await page.dispatchEvent('[data-testid=horizon]', 'change');
await page.selectOption('[data-testid=nn-model]', 'scenario-vae');
await page.selectOption('[data-testid=nn-device]', 'cpu');
await page.fill('[data-testid=nn-epochs]', '20');
await page.dispatchEvent('[data-testid=nn-epochs]', 'change');
const t0 = Date.now();
await page.click('[data-testid=nn-train]');
await page.waitForFunction(() => /scenario-vae trained/.test(document.querySelector('[data-testid=nn-status]')?.innerText || ''), null, { timeout: 1_800_000, polling: 500 });
console.log(`scenario model: ${((Date.now() - t0) / 1000).toFixed(1)} s click to result — ${await page.locator('[data-testid=nn-status]').innerText()}`);
await browser.close();
server.close();
