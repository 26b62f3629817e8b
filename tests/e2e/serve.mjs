// Shared by the e2e tests and the bench: a static server for dist/ on a free loopback
// port, and Debian's headless Chromium.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = path.resolve(process.env.SUPPLYCAST_DIST || path.join(here, '..', '..', 'dist'));
const artifacts = path.join(here, 'artifacts');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.csv': 'text/csv' };

// The headers a static host serves with every response, from the build's `_headers`
// (Netlify/Cloudflare format, written by scripts/csp-hash.py): the app is tested as it
// is deployed. SUPPLYCAST_NO_CSP=1 serves it with no policy at all (no header, and the
// <meta> tag stripped), to show that the CSP tests fail without it.
function deployedHeaders() {
  if (process.env.SUPPLYCAST_NO_CSP === '1') return {};
  const file = path.join(dist, '_headers');
  if (!fs.existsSync(file)) throw new Error(`no ${file}: the build must write the policy as a header`);
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^\s+([A-Za-z-]+):\s*(.+)$/);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

export async function startServer({ extra = {} } = {}) {
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`no built app in ${dist}: run trunk build --release first`);
  fs.mkdirSync(artifacts, { recursive: true });
  const headers = deployedHeaders();
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    // Test-only scripts (e.g. a worker probing the policy), served like the app's own.
    if (extra[p]) {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript' });
      res.end(extra[p]);
      return;
    }
    const file = path.join(dist, p === '/' ? 'index.html' : decodeURIComponent(p));
    if (!file.startsWith(dist)) { res.writeHead(403).end(); return; }
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    if (process.env.SUPPLYCAST_NO_CSP === '1' && file.endsWith('.html')) {
      res.end(fs.readFileSync(file, 'utf8').replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/s, ''));
      return;
    }
    fs.createReadStream(file).pipe(res);
  });
  server.headers = headers;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  server.origin = `http://127.0.0.1:${server.address().port}`;
  server.artifacts = artifacts;
  server.root = path.resolve(here, '..', '..');
  return server;
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // WebGPU on (SwiftShader here, a software adapter the app must not mistake for a GPU).
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Opens the Data page once the bundled sample store is loaded, drops `file` on it and
 * waits until it is read (the timing line changes), for the benchmarks. */
export async function loadFile(page, origin, file) {
  await page.goto(origin + '/#data');
  await page.waitForSelector('[data-testid=report]', { timeout: 120000 });
  const before = await page.evaluate(() => document.querySelector('[data-testid=timing]')?.innerText || '');
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForFunction((b) => {
    const t = document.querySelector('[data-testid=timing]')?.innerText || '';
    return /Read [\d,]+ rows/.test(t) && t !== b;
  }, before, { timeout: 600000, polling: 100 });
}
