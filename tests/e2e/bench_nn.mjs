// Browser neural-training benchmark (not a test): loads the built release app in
// headless Chromium (WebGPU on: SwiftShader, a software adapter), and trains models on
// the sample store (200 SKUs, one year, daily) in the neural worker, printing the
// worker's figures: epochs, wall time, training windows/s, worker memory. The model
// `pretrained` forecasts zero-shot (epochs ignored); `pretrained-ft` fine-tunes it (an
// epoch is 10 steps of 64 windows). BENCH_FILE=path loads that file on the Data page
// first (e.g. a long CSV of 1,000 SKUs) instead of the sample store.
//   node tests/e2e/bench_nn.mjs [model:device:epochs ...]
//   default: lstm:cpu:30 gru:cpu:2 patchtst:cpu:2 mlp:cpu:2 mlp:gpu:1
import { startServer, launch } from './serve.mjs';

const runs = process.argv.slice(2).length ? process.argv.slice(2) : ['lstm:cpu:30', 'gru:cpu:2', 'patchtst:cpu:2', 'mlp:cpu:2', 'mlp:gpu:1'];
const server = await startServer();
const browser = await launch();
const page = await browser.newPage();
if (process.env.BENCH_FILE) {
  await page.goto(server.origin + '/#data');
  await page.setInputFiles('[data-testid=file-input]', process.env.BENCH_FILE);
  await page.waitForSelector('[data-testid=report]', { timeout: 600000 });
  await page.goto(server.origin + '/#forecast');
  await page.waitForFunction(() => /\d+ SKUs/.test(document.querySelector('[data-testid=forecast-controls]')?.innerText || ''), null, { timeout: 600000 });
} else {
  await page.goto(server.origin + '/#forecast');
  await page.waitForFunction(() => (document.querySelector('[data-testid=forecast-controls]')?.innerText || '').includes('200 SKUs'), null, { timeout: 60000 });
}
await page.waitForFunction(() => !document.querySelector('[data-testid=forecast-progress]'), null, { timeout: 3_600_000, polling: 1000 });
for (const run of runs) {
  const [model, device, epochs] = run.split(':');
  const button = model === 'pretrained' ? 'nn-pretrained' : model === 'pretrained-ft' ? 'nn-finetune' : 'nn-train';
  if (button === 'nn-train') await page.selectOption('[data-testid=nn-model]', model);
  await page.selectOption('[data-testid=nn-device]', device);
  await page.fill('[data-testid=nn-epochs]', epochs);
  await page.dispatchEvent('[data-testid=nn-epochs]', 'change');
  const before = await page.evaluate(() => document.querySelector('[data-testid=nn-status]')?.innerText || '');
  const t0 = Date.now();
  await page.click(`[data-testid=${button}]`);
  await page.waitForFunction((prev) => {
    const t = document.querySelector('[data-testid=nn-status]')?.innerText || '';
    return t && t !== prev;
  }, before, { timeout: 3_600_000, polling: 1000 });
  const status = await page.locator('[data-testid=nn-status]').innerText();
  console.log(`${run}: ${((Date.now() - t0) / 1000).toFixed(1)} s click to result — ${status}`);
  await page.waitForFunction(() => !document.querySelector('[data-testid=forecast-progress]'), null, { timeout: 600000 });
}
await browser.close();
server.close();
