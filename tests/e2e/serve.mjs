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

export async function startServer() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`no built app in ${dist}: run trunk build --release first`);
  fs.mkdirSync(artifacts, { recursive: true });
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const file = path.join(dist, p === '/' ? 'index.html' : decodeURIComponent(p));
    if (!file.startsWith(dist)) { res.writeHead(403).end(); return; }
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
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
