// End-to-end test of anomalies: the sample store's history is checked in the worker;
// the Data page lists the flagged periods with their reasons, marks them on the SKU's
// chart, and keeping a stock-out instead of excluding it changes that SKU's forecast
// (an excluded stock-out is imputed from the SKU's own demand around it).
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

async function forecastOf(page, sku, name) {
  await page.click('[data-testid=nav-forecast]');
  await page.fill('[data-testid=horizon]', '7');
  await page.dispatchEvent('[data-testid=horizon]', 'change');
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const file = path.join(server.artifacts, name);
  await download.saveAs(file);
  const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const mine = rows.filter((r) => r[0] === sku);
  assert.equal(mine.length, 7);
  return mine.reduce((s, r) => s + Number(r[3]), 0);
}

test('anomalies are listed with reasons, drawn, and keeping a stock-out changes the forecast', { timeout: 480_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#data');
  const summary = page.locator('[data-testid=anomaly-summary]');
  await summary.waitFor({ timeout: 90_000 });
  const text = await summary.innerText();
  assert.match(text, /^\d+ anomalies \(.*\d+ stockout.*\); \d+ excluded/);
  const rows = page.locator('[data-testid=anomaly-row]');
  assert.ok((await rows.count()) > 10);
  for (const reason of await page.locator('[data-testid=anomaly-reason]').allInnerTexts()) {
    assert.ok(reason.length > 20, reason);
  }

  // Stock-outs only: each is excluded by default and says why.
  await page.selectOption('[data-testid=anomaly-kind]', 'stockout');
  const first = rows.first();
  assert.equal(await first.getAttribute('data-kind'), 'stockout');
  assert.match(await first.locator('[data-testid=anomaly-reason]').innerText(), /no sale for \d+ days .* (likely lost to a stock-out|out of stock)|no sale in the last \d+ days/);
  assert.equal(await first.locator('[data-testid=anomaly-exclude]').isChecked(), true);
  const sku = await first.locator('td').nth(1).innerText();
  const from = await first.locator('td').nth(3).innerText();
  await first.locator('td').nth(1).locator('a').click();
  await page.waitForFunction((s) => document.querySelector('[data-testid=chart]').dataset.drawn === s, sku);
  const marked = Number(await page.locator('[data-testid=chart]').getAttribute('data-anomalies'));
  assert.ok(marked > 0, `the SKU's flagged periods are marked on its chart (${marked})`);
  await page.screenshot({ path: path.join(server.artifacts, 'anomalies.png'), fullPage: true });

  const imputed = await forecastOf(page, sku, 'anomaly-excluded.csv');
  // The forecast chart marks the SKU's anomalies in the history it shows (the last 120
  // periods: from late July 2010 in the sample store).
  await page.locator('[data-testid=forecast-table] tbody tr', { hasText: sku }).first().click();
  await page.waitForFunction((s) => document.querySelector('[data-testid=forecast-chart]')?.dataset.drawn === s, sku);
  const marks = Number(await page.locator('[data-testid=forecast-chart]').getAttribute('data-anomalies'));
  console.log(`  ${sku}: stock-out from ${from}, ${marks} anomaly marks on the forecast chart`);
  if (from >= '2010-07-25') assert.ok(marks >= 1, `${marks} marks`);
  assert.match(await page.locator('[data-testid=forecast-cleaning]').innerText(), /Forecasting from cleaned history: \d+ periods of \d+ SKUs imputed/);

  // Keep the stock-out's zeros instead: the forecasts are made again from the data
  // with them, and that SKU's forecast moves.
  await page.click('[data-testid=nav-data]');
  await page.selectOption('[data-testid=anomaly-kind]', 'stockout');
  await first.locator('[data-testid=anomaly-exclude]').uncheck();
  assert.equal(await first.locator('[data-testid=anomaly-exclude]').isChecked(), false);
  const kept = await forecastOf(page, sku, 'anomaly-kept.csv');
  assert.notEqual(kept.toFixed(3), imputed.toFixed(3), `${sku}: ${imputed} with the stock-out imputed, ${kept} with its zeros kept`);

  // Keeping everything removes the note.
  await page.click('[data-testid=nav-data]');
  await page.click('[data-testid=anomaly-keep-all]');
  await page.click('[data-testid=nav-forecast]');
  assert.equal(await page.locator('[data-testid=forecast-cleaning]').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the autoencoder adds its flags to the list, kept until excluded', { timeout: 480_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#data');
  const summary = page.locator('[data-testid=anomaly-summary]');
  await summary.waitFor({ timeout: 120_000 });
  const before = Number((await summary.innerText()).match(/^(\d+) anomalies/)[1]);
  await page.click('[data-testid=anomaly-autoencoder]');
  await page.waitForFunction(() => /^The autoencoder/.test(document.querySelector('[data-testid=anomaly-autoencoder-status]')?.innerText || ''), null, { timeout: 400_000, polling: 500 });
  const status = await page.locator('[data-testid=anomaly-autoencoder-status]').innerText();
  console.log(`  ${status}`);
  const m = status.match(/^The autoencoder \(trained on CPU.* in [\d.]+ s\) flagged (\d+) periods; (\d+) were not listed yet and are added/);
  assert.ok(m, status);
  const added = Number(m[2]);
  assert.ok(added > 0, 'the sample store has periods only the autoencoder flags');
  const after = Number((await summary.innerText()).match(/^(\d+) anomalies/)[1]);
  assert.equal(after, before + added);
  // Its rows say which detector flagged them, and are kept.
  await page.selectOption('[data-testid=anomaly-sort]', 'score');
  const reasons = await page.locator('[data-testid=anomaly-reason]').allInnerTexts();
  const boxes = await page.locator('[data-testid=anomaly-row]').evaluateAll((rows) => rows.map((r) => [r.querySelector('[data-testid=anomaly-reason]').innerText, r.querySelector('input').checked]));
  const ae = boxes.filter(([reason]) => reason.startsWith('autoencoder: '));
  assert.ok(reasons.length > 0 && ae.length > 0, 'autoencoder rows are listed');
  assert.ok(ae.every(([, checked]) => !checked), 'autoencoder flags are kept until excluded');
  assert.deepEqual(errors, []);
  await context.close();
});

test('keep / exclude choices survive a reload', { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#data');
  await page.locator('[data-testid=anomaly-summary]').waitFor({ timeout: 120_000 });
  await page.selectOption('[data-testid=anomaly-kind]', 'stockout');
  const row = page.locator('[data-testid=anomaly-row]').first();
  const key = [await row.locator('td').nth(1).innerText(), await row.locator('td').nth(3).innerText()];
  assert.equal(await row.locator('[data-testid=anomaly-exclude]').isChecked(), true);
  await row.locator('[data-testid=anomaly-exclude]').uncheck();
  const excludedBefore = (await page.locator('[data-testid=anomaly-summary]').innerText()).match(/; (\d+) excluded/)[1];
  // Let the save land, then reload: the same stock-out is still kept.
  await page.waitForTimeout(500);
  await page.reload();
  await page.locator('[data-testid=anomaly-summary]').waitFor({ timeout: 120_000 });
  await page.waitForFunction((n) => (document.querySelector('[data-testid=anomaly-summary]')?.innerText || '').includes(`; ${n} excluded`), excludedBefore, { timeout: 30_000 });
  await page.selectOption('[data-testid=anomaly-kind]', 'stockout');
  const again = page.locator('[data-testid=anomaly-row]', { hasText: key[0] }).filter({ hasText: key[1] }).first();
  assert.equal(await again.locator('[data-testid=anomaly-exclude]').isChecked(), false, `${key} kept after the reload`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an order export lists its extreme order lines by line number; excluding one cleans its period', { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#data');
  await page.locator('[data-testid=anomaly-summary]').waitFor({ timeout: 120_000 });
  const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures');
  await page.setInputFiles('[data-testid=file-input]', path.join(fixtures, 'online_retail_excerpt.csv'));
  await page.waitForFunction(() => /online_retail_excerpt/.test(document.querySelector('[data-testid=report]')?.innerText || ''), null, { timeout: 120_000 });
  const summary = page.locator('[data-testid=anomaly-summary]');
  await page.waitForFunction(() => /\d+ order/.test(document.querySelector('[data-testid=anomaly-summary]')?.innerText || ''), null, { timeout: 120_000 });
  const before = Number((await summary.innerText()).match(/; (\d+) excluded/)[1]);
  await page.selectOption('[data-testid=anomaly-kind]', 'order');
  const rows = page.locator('[data-testid=anomaly-row]');
  assert.ok((await rows.count()) >= 1);
  const reason = await rows.first().locator('[data-testid=anomaly-reason]').innerText();
  console.log(`  ${reason}`);
  assert.match(reason, /^line \d+: /);
  // Kept by default; excluding it takes its excess out of that period before forecasting.
  const box = rows.first().locator('[data-testid=anomaly-exclude]');
  assert.equal(await box.isChecked(), false);
  await box.check();
  await page.waitForFunction((n) => (document.querySelector('[data-testid=anomaly-summary]')?.innerText || '').includes(`; ${n + 1} excluded`), before, { timeout: 30_000 });
  await page.click('[data-testid=nav-forecast]');
  assert.match(await page.locator('[data-testid=forecast-cleaning]').innerText(), /Forecasting from cleaned history: \d+ periods? of \d+ SKUs? imputed/);
  assert.deepEqual(errors, []);
  await context.close();
});
