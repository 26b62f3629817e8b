// End-to-end tests of living with the plan: newer sales added to the stored data (the
// kept forecast scored on them, drift listed, nothing counted twice, kept across a
// reload), and the Plan page's risk, what-if, prices and supplier share.
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

const text = (page, id) => page.locator(`[data-testid=${id}]`).innerText();

// The sample store split on a date: the history, and the four weeks after it.
function splitSample(day) {
  const lines = fs.readFileSync(path.join(server.root, 'assets', 'sample_store.csv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  const before = [header, ...rows.filter((r) => r.slice(0, 10) < day)].join('\n') + '\n';
  const after = [header, ...rows.filter((r) => r.slice(0, 10) >= day)].join('\n') + '\n';
  return { before: Buffer.from(before), after: Buffer.from(after) };
}

test('newer sales are added, the kept forecast is scored, and a reload keeps it', { timeout: 600_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/');
  await page.locator('[data-testid=data-next]').filter({ hasText: 'SKUs over' }).waitFor({ timeout: 60_000 });
  const { before: history, after: newer } = splitSample('2010-11-11');
  await page.locator('[data-testid=timing]').waitFor({ timeout: 60_000 });
  const sampleTiming = await text(page, 'timing');
  await page.setInputFiles('[data-testid=file-input]', { name: 'until_november.csv', mimeType: 'text/csv', buffer: history });
  await page.waitForFunction((t) => (document.querySelector('[data-testid=timing]')?.innerText || t) !== t, sampleTiming, { timeout: 60_000 });
  const periodsBefore = Number((await text(page, 'data-next')).match(/over ([\d,]+) periods/)[1].replace(/,/g, ''));

  // Forecast: the forecast is kept for the next update.
  await page.click('[data-testid=nav-forecast]');
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
  await page.click('[data-testid=nav-data]');

  // A stock-out the merchant chose to keep as real demand stays kept after the update.
  await page.locator('[data-testid=anomaly-summary]').waitFor({ timeout: 120_000 });
  await page.selectOption('[data-testid=anomaly-kind]', 'stockout');
  const kept = page.locator('[data-testid=anomaly-row]').first();
  const keptKey = [await kept.locator('td').nth(1).innerText(), await kept.locator('td').nth(3).innerText()];
  await kept.locator('[data-testid=anomaly-exclude]').uncheck();
  await page.waitForTimeout(500);

  // Four weeks of newer sales.
  await page.setInputFiles('[data-testid=add-newer]', { name: 'november.csv', mimeType: 'text/csv', buffer: newer });
  const report = page.locator('[data-testid=append-report]');
  await report.waitFor({ timeout: 60_000 });
  const added = await report.innerText();
  console.log(`  ${added}`);
  assert.match(added, /november\.csv: \d+ new periods \([\d,]+ units\) added, 0 stored periods replaced/);
  assert.match(added, /met \d+ new periods/);
  await page.waitForFunction(() => /excluded/.test(document.querySelector('[data-testid=anomaly-summary]')?.innerText || ''), null, { timeout: 120_000 });
  await page.selectOption('[data-testid=anomaly-kind]', 'stockout');
  const still = page.locator('[data-testid=anomaly-row]', { hasText: keptKey[0] }).filter({ hasText: keptKey[1] }).first();
  await still.waitFor({ timeout: 60_000 });
  assert.equal(await still.locator('[data-testid=anomaly-exclude]').isChecked(), false, `${keptKey} still kept after adding newer sales`);
  const summary = await text(page, 'accuracy-summary');
  console.log(`  ${summary}`);
  assert.match(summary, /The forecast made through 2010-11-10 met \d+ periods of new sales \(through 2010-12-0\d\): MASE [\d.]+, bias [+−-]?[\d.]+ %, [\d.]+ % of SKU-periods inside P10–P90/);
  const periodsAfter = Number((await text(page, 'data-next')).match(/over ([\d,]+) periods/)[1].replace(/,/g, ''));
  assert.ok(periodsAfter > periodsBefore, `${periodsAfter} > ${periodsBefore}`);

  // The same export again replaces, never doubles.
  await page.setInputFiles('[data-testid=add-newer]', { name: 'november.csv', mimeType: 'text/csv', buffer: newer });
  await page.waitForFunction(() => /0 new periods \(0 units\) added, \d+ stored periods replaced/.test(document.querySelector('[data-testid=append-report]')?.innerText || ''), null, { timeout: 60_000 });
  const again = Number((await text(page, 'data-next')).match(/over ([\d,]+) periods/)[1].replace(/,/g, ''));
  assert.equal(again, periodsAfter);

  // The store downloads for the CLI, and the score survives a reload.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-store]')]);
  const storePath = path.join(server.artifacts, 'browser.sc');
  await dl.saveAs(storePath);
  assert.equal(fs.readFileSync(storePath).subarray(0, 4).toString(), 'SCST');
  await page.reload();
  await page.locator('[data-testid=accuracy-summary]').waitFor({ timeout: 60_000 });

  // The store file opens again as it was saved (the CLI reads the same bytes).
  await page.click('[data-testid=load-sample]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=accuracy-summary]'), null, { timeout: 60_000 });
  await page.setInputFiles('[data-testid=file-input]', storePath);
  await page.waitForFunction(() => /Opened the store browser\.sc: 200 SKUs, 1 kept forecasts, 1 scores\./.test(document.querySelector('[data-testid=message]')?.innerText || ''), null, { timeout: 60_000 });
  await page.locator('[data-testid=accuracy-summary]').waitFor({ timeout: 60_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

// An order export whose prices move week to week: demand answers with elasticity −2.
function pricedOrders() {
  const rows = ['Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country'];
  const start = Date.UTC(2024, 0, 1);
  let invoice = 500000;
  for (let d = 0; d < 182; d++) {
    const day = new Date(start + d * 86400000).toISOString().slice(0, 10);
    const week = Math.floor(d / 7);
    for (let i = 0; i < 12; i++) {
      const base = 2 + i;
      const factor = [1, 1, 0.8, 1, 1.15, 0.9, 1, 0.85, 1.1, 1][(week + i) % 10];
      const price = Math.round(base * factor * 100) / 100;
      const q = Math.round(12 * Math.pow(price / base, -2) * (1 + 0.25 * Math.sin(d * 0.9 + i)));
      if (q > 0) rows.push(`${invoice++},P${String(i).padStart(3, '0')},PRODUCT ${i},${q},${day} 10:00:00,${price.toFixed(2)},${13000 + ((d * 7 + i) % 50)},United Kingdom`);
    }
  }
  return Buffer.from(rows.join('\n') + '\n');
}

test('the Plan page shows risk, compares a what-if, prices and a supplier share', { timeout: 600_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1400 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/');
  await page.locator('[data-testid=data-next]').filter({ hasText: 'SKUs over' }).waitFor({ timeout: 60_000 });
  await page.setInputFiles('[data-testid=file-input]', { name: 'priced_orders.csv', mimeType: 'text/csv', buffer: pricedOrders() });
  await page.locator('[data-testid=data-next]').filter({ hasText: '12 SKUs' }).waitFor({ timeout: 60_000 });
  await page.click('[data-testid=nav-forecast]');
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
  await page.click('[data-testid=nav-plan]');
  await page.locator('[data-testid=plan-summary]').waitFor({ timeout: 120_000 });

  assert.match(await text(page, 'risk-summary'), /Money at risk across the catalogue: [\d,.]+/);

  // What the merchant typed is never replaced behind their back: a budget or a lead
  // time that does not read is named beside its box and nothing runs until it is fixed.
  await page.fill('[data-testid=plan-budget]', 'lots');
  await page.dispatchEvent('[data-testid=plan-budget]', 'change');
  assert.match(await text(page, 'plan-field-error'), /Budget for today's orders: "lots" is not a number; enter a number of at least 0, or leave it empty for no limit\./);
  assert.equal(await page.isDisabled('[data-testid=run-plan]'), true);
  assert.equal(await page.inputValue('[data-testid=plan-budget]'), 'lots');
  await page.fill('[data-testid=plan-budget]', '');
  await page.dispatchEvent('[data-testid=plan-budget]', 'change');
  assert.equal(await page.locator('[data-testid=plan-field-error]').count(), 0);
  assert.equal(await page.isDisabled('[data-testid=run-plan]'), false);
  await page.fill('[data-testid=whatif-lead]', 'two weeks');
  assert.match(await text(page, 'whatif-field-error'), /Lead time longer by \(days\): "two weeks" is not a number/);
  assert.equal(await page.isDisabled('[data-testid=whatif-run]'), true);

  // A supplier's lead time grows by two weeks: never a lower reorder level.
  await page.fill('[data-testid=whatif-lead]', '14');
  await page.click('[data-testid=whatif-run]');
  await page.locator('[data-testid=whatif-table]').waitFor({ timeout: 120_000 });
  assert.match(await text(page, 'whatif-result'), /What-if: lead time \+14 days\. \d+ SKUs change\./);
  const levels = await page.locator('[data-testid=whatif-skus] tbody tr td:nth-child(3)').allInnerTexts();
  assert.ok(levels.length > 0);
  for (const l of levels) {
    const [a, b] = l.split('→').map((x) => Number(x.trim().replace(/,/g, '')));
    assert.ok(b >= a, `reorder level ${l}`);
  }

  // Prices: every SKU's price moved, so each has an estimate near −2.
  const prices = await text(page, 'prices-summary');
  console.log(`  ${prices}`);
  assert.match(prices, /12 of the plan's SKUs sold at a price in the order export; 12 have enough price variation/);
  const first = await page.locator('[data-testid=prices-table] tbody tr').first().locator('td').nth(1).innerText();
  const e = Number(first.split(' ')[0].replace('−', '-'));
  assert.ok(e < -1.5 && e > -2.5, `elasticity ${first}`);
  if (await page.locator('[data-testid=prices-apply]').isEnabled()) {
    await page.click('[data-testid=prices-apply]');
    await page.waitForFunction(() => /new prices for \d+ SKUs/.test(document.querySelector('[data-testid=whatif-result]')?.innerText || ''), null, { timeout: 120_000 });
  }

  // Supplier share: none until the parameters name suppliers.
  await page.locator('[data-testid=supplier-none]').waitFor();
  const params = 'sku,supplier\n' + Array.from({ length: 12 }, (_, i) => `P${String(i).padStart(3, '0')},${i % 2 ? 'Birch' : 'Acme'}`).join('\n') + '\n';
  await page.setInputFiles('[data-testid=import-params]', { name: 'suppliers.csv', mimeType: 'text/csv', buffer: Buffer.from(params) });
  await page.locator('[data-testid=supplier-preview]').waitFor({ timeout: 120_000 });
  const preview = await text(page, 'supplier-preview');
  assert.match(preview, /^section,sku,description,date,quantity,p10,p50,p90,unit_cost,note/);
  assert.ok(preview.includes('P000') && !preview.includes('P001'), 'only Acme\'s SKUs');
  assert.ok(!/1300\d|United Kingdom/.test(preview), 'no customers or countries');
  assert.match(await text(page, 'supplier-counts'), /\d+ order lines and 72 SKU-weeks of forecast\./);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=supplier-download]')]);
  const saved = fs.readFileSync(await dl.path(), 'utf8');
  assert.equal(saved.trim(), preview.trim(), 'the file is what the page showed');
  assert.deepEqual(errors, []);
  await context.close();
});
