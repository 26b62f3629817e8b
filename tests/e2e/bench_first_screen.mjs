// First-screen benchmark (not a test): loads the built release app from the local
// server in a fresh headless Chromium context, several times, and prints how long until
// the app is usable (the file drop zone is on screen) and until the bundled sample
// store's report is shown, with the bytes of every wasm the page fetched.
//   node tests/e2e/bench_first_screen.mjs [runs]
import { startServer, launch } from './serve.mjs';

const runs = Number(process.argv[2] || 5);
const server = await startServer();
const browser = await launch();
const usable = [];
const report = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const wasm = new Map();
  page.on('response', async (r) => {
    if (r.url().endsWith('.wasm')) wasm.set(r.url().split('/').pop(), (await r.body()).length);
  });
  const t0 = Date.now();
  await page.goto(server.origin + '/');
  await page.locator('[data-testid=file-input]').waitFor({ state: 'attached', timeout: 60000 });
  usable.push((Date.now() - t0) / 1000);
  await page.locator('[data-testid=report]').waitFor({ timeout: 60000 });
  report.push((Date.now() - t0) / 1000);
  console.log(`run ${i + 1}: usable ${usable.at(-1).toFixed(2)} s, sample report ${report.at(-1).toFixed(2)} s; wasm fetched: ${[...wasm].map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} MB`).join(', ')}`);
  await context.close();
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`first screen: median ${med(usable).toFixed(2)} s to usable, ${med(report).toFixed(2)} s to the sample store's report`);
await browser.close();
server.close();
