// End-to-end test of the demand scenarios in the real app: the sample store's forecasts
// carry scenarios from the fitted copula by default and the plan says so; the merchant
// trains the generative scenario model (a conditional VAE) in the neural worker, the
// forecasts' scenarios switch to it and the plan is remade from them; after a reload
// the saved scenario model is offered again and makes the scenarios without training.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

const planScenarios = (page) => page.locator('[data-testid=plan-scenarios]').innerText();

test('plans use the copula scenarios, then the trained scenario model', { timeout: 600_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + '/#forecast');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60_000 });
  const select = page.locator('[data-testid=scenarios]');
  assert.equal(await select.inputValue(), 'copula');
  // The generative option waits for its model.
  assert.equal(await page.locator('[data-testid=scenarios] option[value=vae]').evaluate((o) => o.disabled), true);
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
  await page.click('[data-testid=nav-plan]');
  await page.locator('[data-testid=plan-summary]').waitFor({ timeout: 120_000 });
  assert.match(await planScenarios(page), /Demand scenarios: the forecasts' sample paths, fitted copula \(level \+ AR\(1\)\)/);

  // Train the scenario model (2 "epochs" = 150 steps) in the neural worker.
  await page.click('[data-testid=nav-forecast]');
  await page.selectOption('[data-testid=nn-model]', 'scenario-vae');
  await page.fill('[data-testid=nn-epochs]', '2');
  await page.dispatchEvent('[data-testid=nn-epochs]', 'change');
  await page.click('[data-testid=nn-train]');
  const status = page.locator('[data-testid=nn-status]');
  await status.waitFor({ timeout: 400_000 });
  const statusText = await status.innerText();
  console.log(`  ${statusText}`);
  assert.match(statusText, /scenario-vae trained on CPU: .*: 150 steps in [\d.]+ s, best hold-out loss -?[\d.]+; 200 SKUs' demand scenarios now come from it/);
  assert.equal(await select.inputValue(), 'vae');
  assert.ok(Number(await page.locator('[data-testid=loss-chart]').getAttribute('data-epochs')) >= 5, 'the loss is drawn per report');
  // The forecasts are remade with the model's scenarios, and the plan from them.
  await page.waitForFunction(() => !document.querySelector('[data-testid=forecast-progress]') && document.querySelector('[data-testid=forecast-summary]'), null, { timeout: 300_000 });
  await page.click('[data-testid=nav-plan]');
  await page.waitForFunction(() => /generative model \(conditional VAE\)/.test(document.querySelector('[data-testid=plan-scenarios]')?.innerText || ''), null, { timeout: 120_000 });
  const explained = await page.locator('[data-testid=plan-table] tbody tr').first().getAttribute('title');
  if (explained) console.log(`  ${explained.slice(0, 160)}`);

  // After a reload the saved model is offered and makes the scenarios at once.
  await page.reload();
  await page.click('[data-testid=nav-forecast]');
  const use = page.locator('[data-testid=nn-use-saved]', { hasText: 'scenario-vae' });
  await use.waitFor({ timeout: 60_000 });
  await page.click('[data-testid=run-forecast]');
  await page.locator('[data-testid=forecast-summary]').waitFor({ timeout: 180_000 });
  await use.click();
  await page.waitForFunction(() => /scenario-vae \(saved\) made 200 SKUs' demand scenarios/.test(document.querySelector('[data-testid=nn-status]')?.innerText || ''), null, { timeout: 300_000 });
  assert.equal(await select.inputValue(), 'vae');
  assert.deepEqual(errors, []);
  await context.close();
});
