// What a merchant sees, checked on every page with data loaded, at a laptop width
// (1280 px) and a narrow one (768 px):
// - accessibility: axe-core 4.11.0 (npm) run inside the real page, no serious or critical
//   violation;
// - layout: the page never scrolls sideways (wide tables scroll inside their own box);
// - no chart is drawn without data (an empty state says what will appear instead);
// - numbers read as their kind: the plan's explanation has no figure with more than two
//   decimals, and tables page instead of stopping silently;
// - screenshots of every page at both widths in tests/e2e/artifacts/pages-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, launch } from './serve.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.close();
});

// Serious and critical violations on the visible page (hidden pages are skipped by axe).
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ content: AXE });
  }
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

async function check(page, name, width, problems) {
  // The page itself never scrolls sideways.
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (over > 1) problems.push(`${name} at ${width} px: the page scrolls sideways by ${over} px`);
  for (const v of await axe(page)) problems.push(`${name} at ${width} px: ${v}`);
  await page.screenshot({ path: path.join(server.artifacts, `pages-${name}-${width}.png`), fullPage: true });
}

const visibleCanvases = (page) => page.evaluate(() => [...document.querySelectorAll('canvas')]
  .filter((c) => c.offsetParent !== null).map((c) => c.closest('[data-testid]')?.dataset.testid || c.dataset.testid || '?'));

for (const width of [1280, 768]) {
  test(`every page with data at ${width} px: accessible, no sideways scrolling, no empty charts`, { timeout: 400_000 }, async () => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const problems = [];

    await page.goto(server.origin + '/#data');
    await page.locator('[data-testid=report]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=chart]').waitFor();
    await check(page, 'data', width, problems);

    // Forecast page before forecasting: no chart, a sentence saying what will appear.
    await page.click('[data-testid=nav-forecast]');
    await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
    assert.deepEqual(await visibleCanvases(page), [], 'no chart before there are forecasts or training');
    assert.match(await page.locator('[data-testid=forecast-empty]').innerText(), /will appear here/);
    await page.click('[data-testid=run-forecast]');
    await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
    await page.locator('[data-testid=forecast-chart]').waitFor();
    assert.ok(!(await visibleCanvases(page)).includes('loss-chart'), 'no training chart before training');
    // A SKU is picked with the keyboard as well as the mouse.
    const second = page.locator('[data-testid=forecast-table] tbody tr').nth(1);
    const sku = (await second.locator('td').first().innerText()).trim();
    await second.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((s) => document.querySelector('[data-testid=forecast-chart]').dataset.drawn === s, sku);
    await check(page, 'forecast', width, problems);

    // Plan page: sorted by what matters (money at risk), explanation in plain numbers.
    await page.click('[data-testid=nav-plan]');
    await page.locator('[data-testid=plan-summary]').waitFor({ timeout: 120_000 });
    assert.match(await page.locator('[data-testid=plan-order-note]').innerText(), /sorted by/i);
    await page.locator('[data-testid=plan-row]').first().click();
    const detail = await page.locator('[data-testid=plan-detail]').innerText();
    const long = detail.match(/\d+\.\d{3,}/g);
    assert.equal(long, null, `figures with more than two decimals in the explanation: ${long}`);
    await check(page, 'plan', width, problems);

    // Logistics with the example allocated.
    await page.click('[data-testid=nav-logistics]');
    await page.click('[data-testid=logistics-example]');
    await page.click('[data-testid=logistics-allocate]');
    await page.locator('[data-testid=allocation-summary]').waitFor({ timeout: 60_000 });
    await check(page, 'logistics', width, problems);

    assert.deepEqual(problems, []);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
