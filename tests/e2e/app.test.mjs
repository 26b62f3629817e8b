// End-to-end test: serves the built app (dist/, from `trunk build --release`), drives
// Debian's headless Chromium through playwright-core, and checks what a merchant sees:
// the sample store on first visit, a real export uploaded and reported with the right
// figures (computed independently by tests/reference/make_online_retail_daily.py:
// 1,604 SKUs, 47,007 units), the chart drawn, the data kept across a reload, a bad
// file reported by line and column without losing the data shown, and no request
// leaving the app's own origin. Screenshots go to tests/e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launch } from './serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'fixtures');
let server, origin, artifacts, browser;

before(async () => {
  server = await startServer();
  origin = server.origin;
  artifacts = server.artifacts;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openApp(context) {
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  // Workers' requests are seen by the context.
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(origin + '/');
  return { page, requests, errors };
}

const text = (page, id) => page.locator(`[data-testid=${id}]`).innerText();

async function waitForReport(page, name) {
  await page.locator('[data-testid=report] h2', { hasText: name }).waitFor({ timeout: 60_000 });
}

test('a merchant loads a real export and reads the report', { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const { page, requests, errors } = await openApp(context);

  // First visit: the bundled sample store (200 best-selling SKUs of Online Retail II).
  await waitForReport(page, 'sample_store.csv');
  assert.equal(await text(page, 'stat-skus'), '200');
  assert.equal(await text(page, 'stat-periods'), '306');

  // Upload a real order export: the first 5,000 lines of Online Retail II.
  await page.setInputFiles('[data-testid=file-input]', path.join(fixtures, 'online_retail_excerpt.csv'));
  await waitForReport(page, 'online_retail_excerpt.csv');
  assert.equal(await text(page, 'stat-rows'), '5,000');
  assert.equal(await text(page, 'stat-skus'), '1,604');
  assert.equal(await text(page, 'stat-kept-units'), '47,007');
  assert.equal(await text(page, 'stat-kept-lines'), '4,764');
  assert.equal(await text(page, 'stat-periods'), '2');
  const steps = await text(page, 'steps');
  assert.match(steps, /Duplicates removed\s+71/);
  assert.match(steps, /matched: order removed\s+10/);
  // The detected format and the column mapping are shown, with a preview.
  assert.match(await page.locator('[data-testid=mapping] summary').innerText(), /Order lines/);
  assert.equal(await page.locator('[data-testid=preview] tbody tr').count(), 10);

  // The chart of the best-selling SKU is drawn.
  const chart = page.locator('[data-testid=chart]');
  await assert.doesNotReject(page.waitForFunction(() => document.querySelector('[data-testid=chart]').dataset.drawn !== '', null, { timeout: 10_000 }));
  const blue = await chart.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 180 && d[i] < 120) n++;
    return n;
  });
  assert.ok(blue > 100, `demand line drawn (${blue} blue pixels)`);

  // Searching and picking another SKU redraws the chart for it.
  await page.fill('[data-testid=sku-search]', '85123A');
  await page.locator('[data-testid=sku-table] tbody tr').first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid=chart]').dataset.drawn === '85123A');
  await page.screenshot({ path: path.join(artifacts, 'data-page.png'), fullPage: true });

  // A reload keeps the data (IndexedDB).
  await page.reload();
  await waitForReport(page, 'online_retail_excerpt.csv');
  assert.match(await text(page, 'message'), /Restored/);

  // A bad file: a clear error naming the line and column; the data shown stays.
  const bad = 'date,sku,quantity\n2024-01-01,A,1\n2024-01-02,A,lots\n2024-01-03,A,2\n';
  await page.setInputFiles('[data-testid=file-input]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  const err = page.locator('[data-testid=error]');
  await err.waitFor();
  assert.match(await err.innerText(), /bad\.csv: 1 of 3 rows cannot be read.*line 3, column 3 \(quantity\)/s);
  assert.equal(await text(page, 'stat-skus'), '1,604', 'the previous data is still shown');
  await page.screenshot({ path: path.join(artifacts, 'bad-file.png'), fullPage: true });
  // The merchant proceeds without the unreadable row.
  await page.click('[data-testid=skip-bad-rows]');
  await waitForReport(page, 'bad.csv');
  assert.equal(await text(page, 'stat-kept-units'), '3');

  // The Plan page asks for forecasts first; Logistics says what to load.
  await page.click('[data-testid=nav-plan]');
  assert.match(await text(page, 'plan-needs-forecast'), /run them on the Forecast page first/);
  await page.click('[data-testid=nav-logistics]');
  assert.match(await text(page, 'logistics-next'), /Next: load your locations, stock and shipping costs/);

  // Nothing left the page: every request went to the app's own origin.
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  assert.ok(requests.some((u) => u.endsWith('/worker_bg.wasm')), 'the worker did the parsing');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a file with unknown headers is mapped by hand', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const { page } = await openApp(context);
  await waitForReport(page, 'sample_store.csv');
  const csv = 'when,what,how many\n2024-01-01,A,1\n2024-01-02,A,2\n2024-01-03,B,5\n';
  await page.setInputFiles('[data-testid=file-input]', { name: 'odd.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('[data-testid=error]').waitFor();
  assert.match(await text(page, 'error'), /cannot tell the format/);
  // The editor opens with the file's columns; the merchant says what each one is.
  await page.selectOption('[data-testid=format-select]', '1');
  await page.selectOption('[data-testid=role-date]', '0');
  await page.selectOption('[data-testid=role-SKU]', '1');
  await page.selectOption('[data-testid=role-quantity]', '2');
  await page.click('[data-testid=apply-mapping]');
  await waitForReport(page, 'odd.csv');
  assert.equal(await text(page, 'stat-skus'), '2');
  assert.equal(await text(page, 'stat-kept-units'), '8');
  await context.close();
});

test('loading can be cancelled and the data shown stays', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const { page } = await openApp(context);
  await waitForReport(page, 'sample_store.csv');
  // A file large enough to take a moment: the excerpt repeated with shifted invoices.
  const base = fs.readFileSync(path.join(fixtures, 'online_retail_excerpt.csv'), 'utf8').split('\n');
  const header = base[0];
  const rows = base.slice(1).filter(Boolean);
  const parts = [header];
  for (let k = 0; k < 80; k++) for (const r of rows) parts.push(k + r);
  await page.setInputFiles('[data-testid=file-input]', { name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(parts.join('\n')) });
  await page.locator('[data-testid=progress]').waitFor();
  await page.click('[data-testid=cancel]');
  await page.locator('[data-testid=progress]').waitFor({ state: 'detached' });
  assert.match(await text(page, 'message'), /cancelled/);
  await page.waitForTimeout(1500);
  assert.equal(await text(page, 'stat-skus'), '200', 'the sample store is still shown');
  await context.close();
});

test('a monthly file stays monthly, with its season, and forecasts months ahead', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const { page, errors } = await openApp(context);
  await waitForReport(page, 'sample_store.csv');
  // First-of-month dates, three SKUs, 30 months (tests/fixtures/monthly_long.csv).
  await page.setInputFiles('[data-testid=file-input]', path.join(fixtures, 'monthly_long.csv'));
  await waitForReport(page, 'monthly_long.csv');
  assert.equal(await text(page, 'stat-periods'), '30');
  const report = await text(page, 'report');
  assert.match(report, /months/);
  assert.match(report, /monthly series \(season 12\)/);
  assert.match(report, /Detected frequency: monthly \(a season of 12 periods\)/);
  await page.screenshot({ path: path.join(artifacts, 'data-page-monthly.png'), fullPage: true });
  // The Forecast page offers 6 months and forecasts the next months' first days.
  await page.goto(origin + '/#forecast');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('3 SKUs'), null, { timeout: 60_000 });
  assert.equal(await page.inputValue('[data-testid=horizon]'), '6');
  await page.click('[data-testid=run-forecast]');
  const summary = page.locator('[data-testid=forecast-summary]');
  await summary.waitFor({ timeout: 60_000 });
  assert.match(await summary.innerText(), /Forecast 3 SKUs, 6 periods ahead \(2025-07-01 – 2025-12-01\)/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('saved data this version cannot read is kept and reported, never replaced by the sample', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const { page, errors } = await openApp(context);
  await waitForReport(page, 'sample_store.csv');
  // What a newer version would have saved: the header with format 9.
  const saved = [83, 67, 68, 83, 9, 0, 1, 2, 3, 4];
  const put = (bytes) => page.evaluate((b) => new Promise((resolve, reject) => {
    const open = indexedDB.open('supplycast', 1);
    open.onsuccess = () => {
      const tx = open.result.transaction('datasets', 'readwrite');
      tx.objectStore('datasets').put(new Uint8Array(b), 'current');
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  }), bytes);
  const get = () => page.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('supplycast', 1);
    open.onsuccess = () => {
      const req = open.result.transaction('datasets').objectStore('datasets').get('current');
      req.onsuccess = () => { const v = req.result; open.result.close(); resolve(v ? Array.from(v) : null); };
    };
  }));
  await put(saved);
  await page.reload();
  const msg = page.locator('[data-testid=message]');
  await msg.waitFor({ timeout: 30_000 });
  assert.match(await msg.innerText(), /could not be read: .*saved by a newer version of supplycast \(format 9; this version reads formats 0 to \d+\).*kept as it was/);
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('[data-testid=report]').count(), 0, 'the sample store was not loaded in its place');
  assert.deepEqual(await get(), saved, 'the saved bytes are untouched');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-unreadable]')]);
  assert.deepEqual(Array.from(fs.readFileSync(await dl.path())), saved);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a saved forecast history this version cannot read is reported, kept and downloadable', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const { page, errors } = await openApp(context);
  await waitForReport(page, 'sample_store.csv');
  const idb = (op, key, bytes) => page.evaluate(([op, key, b]) => new Promise((resolve, reject) => {
    const open = indexedDB.open('supplycast', 1);
    open.onsuccess = () => {
      const tx = open.result.transaction('datasets', op === 'put' ? 'readwrite' : 'readonly');
      const req = op === 'put'
        ? tx.objectStore('datasets').put(new Uint8Array(b), key)
        : tx.objectStore('datasets').get(key);
      tx.oncomplete = () => {
        open.result.close();
        resolve(op === 'put' || !req.result ? null : Array.from(req.result));
      };
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  }), [op, key, bytes]);
  const damaged = [1, 2, 3, 250, 251, 252];
  await idb('put', 'tracking', damaged);
  await page.reload();
  const notice = page.locator('[data-testid=notice]');
  await notice.first().waitFor({ timeout: 30_000 });
  assert.match(await notice.first().innerText(), /saved forecast history could not be read .*copy is kept/);
  // The copy is kept under its own key, so a new forecast saving a history loses nothing.
  for (let i = 0; i < 50 && (await idb('get', 'unreadable:tracking')) === null; i++) await page.waitForTimeout(100);
  assert.deepEqual(await idb('get', 'unreadable:tracking'), damaged);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=notice-download]')]);
  assert.deepEqual(Array.from(fs.readFileSync(await dl.path())), damaged);
  await page.click('[data-testid=notice-dismiss]');
  assert.equal(await notice.count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
