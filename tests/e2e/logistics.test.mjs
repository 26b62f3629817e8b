// End-to-end test of the Logistics page: the sample store plus the bundled
// two-warehouse example gives an allocation (capacity values, chart, download) and a
// transfer list; a bad file is refused with line and column and the previous one kept;
// the example's deliveries give routes that are drawn and downloadable; Cancel keeps
// the best routes so far; the inputs survive a reload (IndexedDB).
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

// Non-white pixels of a canvas: a drawn chart has thousands.
const inked = (page, id) => page.locator(`[data-testid=${id}]`).evaluate((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) n++;
  return n;
});

test('allocate, rebalance and route with the two-warehouse example', { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1400 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(e.message));
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(server.origin + '/#forecast');
  // The sample store is loaded on first start.
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  await page.click('[data-testid=nav-logistics]');
  assert.match(await text(page, 'logistics-next'), /Next: load your locations/);

  await page.click('[data-testid=logistics-example]');
  assert.match(await text(page, 'logistics-loaded-locations'), /example\/locations\.csv \(3 lines\)/);
  assert.match(await text(page, 'logistics-loaded-deliveries'), /example\/deliveries\.csv \(42 lines\)/);

  // A stock file with a bad cell and an unknown location: refused, the example's kept.
  await page.setInputFiles('[data-testid=logistics-input-stock]', {
    name: 'bad_stock.csv', mimeType: 'text/csv',
    buffer: Buffer.from('location,sku,on_hand\nManchester,21212,ten\nLeeds,21212,4\n'),
  });
  const msg = page.locator('[data-testid=logistics-message]');
  await msg.waitFor();
  const m = await msg.innerText();
  assert.match(m, /bad_stock\.csv: 2 problem\(s\)/);
  assert.match(m, /line 2, column on_hand: "ten" is not a number/);
  assert.match(m, /line 3, column location: unknown location "Leeds"/);
  assert.match(m, /The previous stock file is kept/);
  assert.match(await text(page, 'logistics-loaded-stock'), /example\/stock\.csv/);

  // Allocation: demand from the last 28 days of sales split by the region shares.
  await page.click('[data-testid=logistics-allocate]');
  const summary = page.locator('[data-testid=allocation-summary]');
  await summary.waitFor({ timeout: 60_000 });
  const s = await summary.innerText();
  assert.match(s, /^Total cost [\d,.]+: shipping [\d,.]+ plus [\d,]+ units left unmet at 10\.00 each/);
  assert.match(s, /Demand: the last 28 periods of sales .*split by example\/regions\.csv/);
  const cap = page.locator('[data-testid=allocation-capacity] tbody tr');
  assert.equal(await cap.count(), 2);
  // Capacity binds in the example: one more unit of room somewhere saves money.
  assert.match(await page.locator('[data-testid=allocation-capacity]').innerText(), /Manchester\s+149,800\s+149,800\s+[\d.]+/);
  assert.ok(await page.locator('[data-testid=allocation-lanes] tbody tr').count() >= 5);
  assert.ok(await inked(page, 'allocation-chart') > 2000, 'the allocation chart is drawn');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-allocation]')]);
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  assert.ok(csv.startsWith('location,region,sku,units\n'));
  assert.ok(csv.split('\n').length > 200);

  // Rebalancing: each location faces the demand of its cheapest regions, and stock moves
  // where the expected stockouts it saves (at the unmet cost) outweigh the lane's cost.
  await page.click('[data-testid=logistics-rebalance]');
  const rs = page.locator('[data-testid=rebalance-summary]');
  await rs.waitFor({ timeout: 60_000 });
  const rtext = await rs.innerText();
  const rm = rtext.match(/^(\d+) transfers move ([\d,]+) units for ([\d,.]+)\. .*expected units short over the period fall from ([\d,.]+) to ([\d,.]+) .*a net saving of ([\d,]+\.\d\d)/);
  assert.ok(rm, rtext);
  const transfers = Number(rm[1]);
  assert.ok(transfers > 0, rtext);
  assert.ok(Number(rm[5].replace(/,/g, '')) < Number(rm[4].replace(/,/g, '')), rtext);
  assert.ok(Number(rm[6].replace(/,/g, '')) > 0, 'the transfers pay for themselves: ' + rtext);
  assert.equal(await page.locator('[data-testid=rebalance-transfers] tbody tr').count(), Math.min(transfers, 200));
  assert.ok(await page.locator('[data-testid=rebalance-risk] tbody tr').count() > 0);
  await page.screenshot({ path: path.join(server.artifacts, 'logistics-allocation.png'), fullPage: true });

  // Routes for the example's 40 deliveries, five vans of 80.
  await page.fill('[data-testid=logistics-seconds]', '4');
  await page.locator('[data-testid=logistics-seconds]').dispatchEvent('change');
  await page.click('[data-testid=logistics-route]');
  await page.locator('[data-testid=logistics-progress]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=logistics-progress]'), null, { timeout: 60_000 });
  const rsum = await text(page, 'routes-summary');
  assert.match(rsum, /^\d vehicles drive [\d.]+ km in all to serve 40 of 40 deliveries/);
  await page.waitForFunction(() => document.querySelector('[data-testid=routes-chart]').dataset.drawn === 'true');
  assert.ok(await inked(page, 'routes-chart') > 2000, 'the routes are drawn');
  const [rdl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-routes]')]);
  const stops = fs.readFileSync(await rdl.path(), 'utf8').trim().split('\n');
  assert.equal(stops[0], 'vehicle,stop,id,arrival,load_after');
  assert.equal(stops.length, 41);
  assert.equal(new Set(stops.slice(1).map((l) => l.split(',')[2])).size, 40, 'every shop once');
  await page.screenshot({ path: path.join(server.artifacts, 'logistics-routes.png'), fullPage: true });

  // A long search cancelled after its first report keeps the best routes so far.
  await page.fill('[data-testid=logistics-seconds]', '60');
  await page.locator('[data-testid=logistics-seconds]').dispatchEvent('change');
  await page.click('[data-testid=logistics-route]');
  await page.waitForFunction(() => /searched [\d.]+ s/.test(document.querySelector('[data-testid=routes-summary]')?.innerText || '')
    && document.querySelector('[data-testid=logistics-progress] progress')?.value > 0, null, { timeout: 60_000 });
  await page.click('[data-testid=logistics-cancel]');
  assert.match(await text(page, 'logistics-message'), /Stopped: the best routes found so far are shown/);
  // (The capacity-only search reports only routes that serve every stop.)
  assert.match(await text(page, 'routes-summary'), /to serve \d+ of 40 deliveries/);

  // Region shares straight from an order export with a Country column: a file without a
  // region column is refused (the example's shares kept); a good one becomes shares.
  await page.setInputFiles('[data-testid=logistics-input-regions]', {
    name: 'no_region.csv', mimeType: 'text/csv',
    buffer: Buffer.from('Invoice,StockCode,Quantity,InvoiceDate,Price\n1,21212,5,2010-01-04 10:00:00,1.5\n'),
  });
  await page.waitForFunction(() => /previous region shares file is kept/.test(document.querySelector('[data-testid=logistics-message]')?.innerText || ''));
  assert.match(await text(page, 'logistics-message'), /no_region\.csv/);
  assert.match(await text(page, 'logistics-loaded-regions'), /example\/regions\.csv/);
  await page.setInputFiles('[data-testid=logistics-input-regions]', {
    name: 'orders.csv', mimeType: 'text/csv',
    buffer: Buffer.from('Invoice,StockCode,Quantity,InvoiceDate,Price,Country\n1,21212,30,2010-01-04 10:00:00,1.5,North\n2,21212,10,2010-01-05 10:00:00,1.5,Scotland\n3,84879,5,2010-01-05 10:00:00,2.0,Scotland\n'),
  });
  await page.waitForFunction(() => (document.querySelector('[data-testid=logistics-loaded-regions]')?.innerText || '').includes('orders.csv (region shares)'));
  await page.click('[data-testid=logistics-allocate]');
  await page.waitForFunction(() => /split by orders\.csv \(region shares\)/.test(document.querySelector('[data-testid=allocation-summary]')?.innerText || ''), null, { timeout: 60_000 });

  // The inputs are kept in this browser.
  await page.reload();
  await page.waitForFunction(() => (document.querySelector('[data-testid=logistics-loaded-locations]')?.innerText || '').includes('example/locations.csv'), null, { timeout: 30_000 });

  const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
  await context.close();
});
