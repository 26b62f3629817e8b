// End-to-end test of the Plan page: sample store -> forecast -> plan. The merchant sees
// the purchase list, filters it, opens a SKU (projected stock chart, policy numbers,
// simulated comparison), downloads the purchase list, imports stock levels (a bad file
// first: it is refused with line and column and nothing changes) and edits a SKU.
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

const summaryText = (page) => page.locator('[data-testid=plan-summary]').innerText();

test('forecast, plan, download the purchase list, import stock levels', { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1400 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#plan');
  await page.locator('[data-testid=plan-needs-forecast]').waitFor();

  await page.click('[data-testid=nav-forecast]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });

  // The plan is made as soon as forecasts exist.
  await page.click('[data-testid=nav-plan]');
  const summary = page.locator('[data-testid=plan-summary]');
  await summary.waitFor({ timeout: 120_000 });
  const text = await summary.innerText();
  assert.match(text, /200 SKUs planned in [\d.]+ s \(1000 runs × 90 days each\)\. (\d+) to order today/);
  const toOrder = Number(text.match(/(\d+) to order today/)[1]);
  // No stock entered yet: every SKU with demand needs ordering.
  assert.ok(toOrder > 150, `${toOrder} SKUs to order`);
  assert.match(text, /fill rate [\d.]+ % with the recommended policies/);

  const rows = page.locator('[data-testid=plan-table] tbody tr');
  assert.equal(await rows.count(), 200);
  // What matters first: the list is sorted by money at risk, largest first, and says so.
  assert.match(await page.locator('[data-testid=plan-order-note]').innerText(), /^Sorted by money at risk, largest first/);
  const atRisk = (await page.locator('[data-testid=plan-money-at-risk]').allInnerTexts()).map((t) => Number(t.replace(/[^\d.]/g, '')));
  assert.ok(atRisk[0] > 0, `money at risk ${atRisk[0]}`);
  for (let i = 1; i < atRisk.length; i++) assert.ok(atRisk[i] <= atRisk[i - 1], `row ${i}: ${atRisk[i]} after ${atRisk[i - 1]}`);
  await page.click('[data-testid=filter-order-now]');
  assert.equal(await rows.count(), toOrder);

  // The best seller's detail: chart, policy numbers, comparison.
  await page.locator('[data-testid=plan-row]', { hasText: '21212' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=inventory-chart]').dataset.drawn === '21212');
  assert.match(await page.locator('[data-testid=plan-policy]').innerText(), /\((R, S|s, S|r, Q)\): .*S = \d+.*safety stock \d+/);
  const cmp = await page.locator('[data-testid=policy-comparison]').innerText();
  assert.match(cmp, /Fill rate\s+[\d.]+ %\s+[\d.]+ %/);
  assert.match(cmp, /Total cost/);
  const blue = await page.locator('[data-testid=inventory-chart]').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 200 && d[i] < 80) n++;
    return n;
  });
  assert.ok(blue > 100, `the on-hand median is drawn (${blue} blue pixels)`);
  await page.screenshot({ path: path.join(server.artifacts, 'plan-page.png'), fullPage: true });

  // The purchase list.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-orders]')]);
  const file = path.join(server.artifacts, 'purchase_orders.csv');
  await download.saveAs(file);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  assert.match(lines[0], /^sku,description,on_hand,on_order,order_qty,order_value,expected_arrival,/);
  assert.equal(lines.length, 1 + toOrder);
  assert.ok(lines.some((l) => l.startsWith('21212,')));

  // A bad parameters file is refused with line and column; nothing changes.
  const bad = path.join(server.artifacts, 'bad_stock.csv');
  fs.writeFileSync(bad, 'sku,on_hand,lead_time_days\n21212,500,7\nNOPE,1,2\n22423,3,-4\n');
  await page.setInputFiles('[data-testid=import-params]', bad);
  const errs = page.locator('[data-testid=params-errors]');
  await errs.waitFor();
  const errText = await errs.innerText();
  assert.match(errText, /bad_stock\.csv: nothing was changed/);
  assert.match(errText, /line 3, column sku: unknown SKU "NOPE"/);
  assert.match(errText, /line 4, column lead_time_days/);
  assert.match(await summaryText(page), new RegExp(`${toOrder} to order today`));

  // The shop's own export, read without options: Shopify's inventory export (per
  // location) gives the best seller's stock, and the report says what matched.
  const shopify = path.join(server.artifacts, 'inventory_export.csv');
  fs.writeFileSync(shopify, 'Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand\n' +
    'heart,Heart,Title,Default,,,,,21212,,,Shop,0,0,0,2,2\nheart,Heart,Title,Default,,,,,21212,,,Warehouse,5,0,0,3,3\nghost,Ghost,Title,Default,,,,,NOT-SOLD,,,Shop,0,0,0,1,1\n');
  await page.setInputFiles('[data-testid=import-params]', shopify);
  await page.waitForFunction(() => /Shopify inventory export/.test(document.querySelector('[data-testid=plan-import-report]')?.innerText || ''), null, { timeout: 60_000 });
  const report = await page.locator('[data-testid=plan-import-report]').innerText();
  assert.match(report, /inventory_export\.csv \(Shopify inventory export\): stock of 1 SKUs matched, summed over 2 locations; 199 sold SKUs are not in the file and keep their stock as it was/);
  assert.match(report, /1 SKUs in the file have no sales in the data \(NOT-SOLD\); 5 units incoming are not counted/);

  // A good one: the best seller now has plenty in stock and drops off the list.
  const good = path.join(server.artifacts, 'stock.csv');
  fs.writeFileSync(good, 'sku,on_hand,lead_time_days,case_pack\n21212,100000,7,12\n');
  await page.setInputFiles('[data-testid=import-params]', good);
  await page.waitForFunction((n) => {
    const t = document.querySelector('[data-testid=plan-summary]')?.innerText || '';
    return new RegExp(`${n - 1} to order today`).test(t);
  }, toOrder, { timeout: 120_000 });
  assert.equal(await errs.count(), 0);

  // Editing a SKU by hand: a bad value is refused and kept on screen; a good one re-plans.
  await page.click('[data-testid=filter-all]');
  await page.locator('[data-testid=plan-row]', { hasText: '21212' }).click();
  await page.fill('[data-testid=param-service_level]', '1.5');
  await page.dispatchEvent('[data-testid=param-service_level]', 'change');
  await page.click('[data-testid=apply-params]');
  assert.match(await page.locator('[data-testid=param-errors]').innerText(), /service_level: 1.5 must lie strictly between 0 and 1/);
  assert.equal(await page.inputValue('[data-testid=param-service_level]'), '1.5');
  await page.fill('[data-testid=param-on_hand]', '0');
  await page.dispatchEvent('[data-testid=param-on_hand]', 'change');
  await page.fill('[data-testid=param-service_level]', '0.99');
  await page.dispatchEvent('[data-testid=param-service_level]', 'change');
  await page.click('[data-testid=apply-params]');
  await page.waitForFunction((n) => new RegExp(`${n} to order today`).test(document.querySelector('[data-testid=plan-summary]')?.innerText || ''), toOrder, { timeout: 120_000 });
  // Case packs of 12 from the import are kept.
  const order = await page.locator('[data-testid=plan-row]', { hasText: '21212' }).locator('[data-testid=plan-order]').innerText();
  assert.equal(Number(order.replace(/,/g, '')) % 12, 0, `order ${order} in cases of 12`);

  // The parameters survive a reload (IndexedDB).
  await page.reload();
  await page.click('[data-testid=nav-forecast]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
  await page.click('[data-testid=nav-plan]');
  await summary.waitFor({ timeout: 120_000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-params]')]);
  const pfile = path.join(server.artifacts, 'parameters.csv');
  await dl.saveAs(pfile);
  const prow = fs.readFileSync(pfile, 'utf8').split('\n').find((l) => l.startsWith('21212,'));
  assert.ok(prow, 'the best seller is in the parameters');
  assert.match(prow, /,csl,0\.99,/);
  assert.match(prow, /,12,/);

  // Today's orders split across the bundled example's two warehouses (Logistics page),
  // the demand now from the forecast.
  await page.click('[data-testid=nav-logistics]');
  await page.click('[data-testid=logistics-example]');
  assert.match(await page.locator('label:has([data-testid=logistics-split-orders])').innerText(), /Split today's \d+ purchase orders from the Plan page/);
  await page.click('[data-testid=logistics-allocate]');
  const receipts = page.locator('[data-testid=allocation-receipts-summary]');
  await receipts.waitFor({ timeout: 60_000 });
  assert.match(await receipts.innerText(), /^[\d,]+ units on order: [\d,]+ to (London|Manchester).*LP bound [\d,.]+, cost [\d,.]+/);
  assert.match(await page.locator('[data-testid=allocation-summary]').innerText(), /Demand: the forecast median over the next 28 periods, split by example\/regions\.csv/);
  assert.deepEqual(errors, []);
  await context.close();
});
