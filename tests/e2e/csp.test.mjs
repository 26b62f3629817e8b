// The privacy promise, tested the way a browser reports it: the Content-Security-Policy
// (served as an HTTP header with every response, as scripts/csp-hash.py writes it into
// the build's _headers, and as a <meta> tag) stops a request to another origin from the
// page and from inside a dedicated worker, where the merchant's data lives. A worker
// does not inherit the page's <meta> policy: only the header protects it.
//
// The other origin is a real server that accepts every request (with CORS), so that
// without the policy the requests would succeed: run with SUPPLYCAST_NO_CSP=1 (no
// header, meta tag stripped) and the checks fail — tried on 2026-11-26: the page's
// fetch was 'sent' (the first assertion), and with the page's assertions set aside the
// worker reported [{"event":"sent"}] and no violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, launch } from './serve.mjs';

// A worker script served like the app's own worker (same origin, same headers).
const PROBE = `
self.addEventListener('securitypolicyviolation', (e) =>
  postMessage({ event: 'violation', directive: e.effectiveDirective, blocked: e.blockedURI }));
onmessage = async (m) => {
  try { await fetch(m.data); postMessage({ event: 'sent' }); }
  catch (e) { postMessage({ event: 'failed' }); }
};`;

let server, elsewhere, browser;
let hits = 0;
before(async () => {
  server = await startServer({ extra: { '/__csp_probe.js': PROBE } });
  elsewhere = http.createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/plain' });
    res.end('received');
  });
  await new Promise((r) => elsewhere.listen(0, '127.0.0.1', r));
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.close();
  elsewhere?.close();
});

test('the policy is served as a header and blocks other origins from the page and from a worker', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Another origin: a different port on the loopback address.
  const target = `http://localhost:${elsewhere.address().port}/exfiltrate`;
  await page.goto(server.origin + '/#data');
  await page.locator('[data-testid=report]').waitFor({ timeout: 60_000 });

  // From the page.
  const fromPage = await page.evaluate(async (url) => {
    const seen = [];
    document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective + ' ' + e.blockedURI));
    let outcome;
    try { await fetch(url); outcome = 'sent'; } catch { outcome = 'failed'; }
    await new Promise((r) => setTimeout(r, 200));
    return { outcome, seen };
  }, target);
  assert.equal(fromPage.outcome, 'failed');
  assert.ok(fromPage.seen.some((s) => s.startsWith('connect-src') && s.includes('/exfiltrate')), JSON.stringify(fromPage));

  // From inside a dedicated worker (whose only policy is its response's header).
  const fromWorker = await page.evaluate(async (url) => {
    const w = new Worker('/__csp_probe.js');
    const events = [];
    await new Promise((resolve) => {
      w.onmessage = (m) => { events.push(m.data); if (m.data.event !== 'violation') setTimeout(resolve, 200); };
      w.postMessage(url);
    });
    w.terminate();
    return events;
  }, target);
  assert.ok(fromWorker.some((e) => e.event === 'failed'), JSON.stringify(fromWorker));
  assert.ok(fromWorker.some((e) => e.event === 'violation' && e.directive === 'connect-src'), JSON.stringify(fromWorker));
  assert.equal(hits, 0, `${hits} requests reached the other origin`);

  // The header every response carries states the same policy as the page's meta tag.
  const csp = server.headers['Content-Security-Policy'];
  assert.ok(csp && /connect-src 'self'/.test(csp), `the header: ${csp}`);
  const meta = await page.evaluate(() => document.querySelector('meta[http-equiv=Content-Security-Policy]')?.content || '');
  assert.equal(meta, csp, 'the meta tag and the header state the same policy');
  await context.close();
});
