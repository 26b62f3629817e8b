// End-to-end test of the Forecast page: with the sample store loaded, the merchant
// forecasts every SKU (in the worker), reads the summary, picks a SKU, sees the chart,
// the leaderboard and the decomposition, and downloads the forecasts as CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch } from './serve.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.close();
});

test('forecast every SKU of the sample store and download the CSV', { timeout: 240_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#forecast');
  await page.locator('[data-testid=run-forecast]').waitFor();
  // The sample store arrives from the Data page (loaded in the background).
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  // A horizon out of range is named beside its box, kept as typed, and blocks the run.
  await page.fill('[data-testid=horizon]', '400');
  await page.dispatchEvent('[data-testid=horizon]', 'change');
  assert.equal(await page.locator('[data-testid=forecast-field-error]').innerText(), 'Horizon (periods): 400 is outside what it accepts; enter a whole number from 1 to 365.');
  assert.equal(await page.isDisabled('[data-testid=run-forecast]'), true);
  assert.equal(await page.inputValue('[data-testid=horizon]'), '400');
  await page.fill('[data-testid=horizon]', '14');
  await page.dispatchEvent('[data-testid=horizon]', 'change');
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-progress]').waitFor();
  const summary = page.locator('[data-testid=forecast-summary]');
  await summary.waitFor({ timeout: 180_000 });
  const text = await summary.innerText();
  assert.match(text, /Forecast 200 SKUs, 14 periods ahead \(2010-12-10 – 2010-12-26\)/);
  assert.match(text, /Mean backtest MASE of the chosen models: \d\.\d{3}/);

  // The worst-backtested SKU is first; picking the best seller draws its forecast.
  const rows = page.locator('[data-testid=forecast-table] tbody tr');
  assert.equal(await rows.count(), 100);
  // The table pages instead of stopping at a fixed number of rows.
  assert.equal(await page.locator('[data-testid=pager][data-for=forecast] [data-testid=pager-text]').innerText(), 'SKUs 1–100 of 200');
  await page.click('[data-testid=pager][data-for=forecast] [data-testid=pager-next]');
  assert.equal(await page.locator('[data-testid=pager][data-for=forecast] [data-testid=pager-text]').innerText(), 'SKUs 101–200 of 200');
  assert.equal(await rows.count(), 100);
  await page.locator('[data-testid=forecast-table] th', { hasText: 'Units' }).click();
  await rows.first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid=forecast-chart]').dataset.drawn === '21212');
  assert.match(await page.locator('[data-testid=choice-reason]').innerText(), /(had the lowest backtest error \(scaled pinball loss \d\.\d{3}\) across the \d+ .+ over 5 rolling origins|the default; no model or combination beat it with strong evidence on the backtests of the \d+ .+ over 5 rolling origins \(scaled pinball loss \d\.\d{3}; best other .+|it beat the default .+ on the backtests of the \d+ .+ over 5 rolling origins: scaled pinball loss \d\.\d{3} against \d\.\d{3})/);
  assert.ok((await page.locator('[data-testid=leaderboard] tbody tr').count()) >= 10);
  const orange = await page.locator('[data-testid=forecast-chart]').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] > 60 && d[i + 1] < 120 && d[i + 2] < 60) n++;
    return n;
  });
  assert.ok(orange > 30, `the forecast median is drawn (${orange} orange pixels)`);
  const decomposition = await page.locator('[data-testid=decomposition-chart]').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 180 && d[i] < 120) n++;
    return n;
  });
  assert.ok(decomposition > 100, 'the decomposition is drawn');
  await page.screenshot({ path: path.join(server.artifacts, 'forecast-page.png'), fullPage: true });

  // The CSV export: sku,date,p10,p50,p90,model for 200 SKUs × 14 periods.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const file = path.join(server.artifacts, 'forecast.csv');
  await download.saveAs(file);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'sku,date,p10,p50,p90,model');
  assert.equal(lines.length, 1 + 200 * 14);
  for (const line of lines.slice(1, 200)) {
    const [, date, p10, p50, p90] = line.split(',');
    assert.match(date, /^20(10|11)-\d\d-\d\d$/);
    assert.ok(Number(p10) >= 0 && Number(p10) <= Number(p90) && Number(p50) <= Number(p90), line);
  }
  // Weekly: the days regrouped into Monday weeks, 8 weeks ahead by default.
  await page.selectOption('[data-testid=forecast-freq]', 'weekly');
  assert.equal(await page.inputValue('[data-testid=horizon]'), '8');
  await page.click('[data-testid=run-forecast]');
  await page.waitForFunction(() => /8 periods ahead/.test(document.querySelector('[data-testid=forecast-summary]')?.innerText || ''), null, { timeout: 120_000 });
  assert.match(await summary.innerText(), /Forecast 200 SKUs, 8 periods ahead \(2010-12-06 – 2011-01-24\)/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a forecast run can be cancelled', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.origin + '/#forecast');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-progress]').waitFor();
  await page.click('[data-testid=cancel-forecast]');
  await page.locator('[data-testid=forecast-progress]').waitFor({ state: 'detached' });
  assert.match(await page.locator('[data-testid=forecast-message]').innerText(), /cancelled/);
  assert.equal(await page.locator('[data-testid=forecast-summary]').count(), 0);
  await context.close();
});

test('forecasting on every core gives the forecasts of one worker', { timeout: 400_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#forecast');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency || 1));
  const forecast = async (workers) => {
    await page.selectOption('[data-testid=forecast-workers]', workers);
    const t0 = Date.now();
    await page.click('[data-testid=run-forecast]');
    await page.locator('[data-testid=forecast-progress]').waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid=forecast-progress]') && document.querySelector('[data-testid=forecast-summary]'), null, { timeout: 300_000 });
    const wall = (Date.now() - t0) / 1000;
    const summary = await page.locator('[data-testid=forecast-summary] p').first().innerText();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
    return { wall, summary, csv: fs.readFileSync(await dl.path(), 'utf8') };
  };
  const one = await forecast('1');
  const all = await forecast('0');
  console.log(`  one worker ${one.wall.toFixed(1)} s, every core (${cores}) ${all.wall.toFixed(1)} s: ${(one.wall / all.wall).toFixed(2)}×`);
  assert.match(one.summary, /\(one worker\)/);
  assert.match(all.summary, cores > 1 ? new RegExp(`\\(${cores} workers\\)`) : /\(one worker\)/);
  assert.equal(all.csv, one.csv, 'the same forecasts, SKU by SKU');
  assert.deepEqual(errors, []);
  await context.close();
});
