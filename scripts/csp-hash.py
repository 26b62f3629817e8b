#!/usr/bin/env python3
"""Trunk post-build hook: pins the inline module script that Trunk writes into
index.html by its SHA-256 in the Content-Security-Policy, replacing 'unsafe-inline',
so that no other inline script can run. Reads and rewrites
$TRUNK_STAGING_DIR/index.html (or the path given), and writes the same policy as an
HTTP header for every response into `_headers` beside it (the format Netlify and
Cloudflare Pages read; other servers: see the README). The header is what protects
the workers, where the data lives: a dedicated worker does not inherit the page's
<meta> policy, it gets the policy of its own script's response."""
import base64
import hashlib
import os
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ["TRUNK_STAGING_DIR"], "index.html")
html = open(path, encoding="utf-8").read()
scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
hashes = " ".join("'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts)
if "'unsafe-inline' 'wasm-unsafe-eval'" not in html:
    sys.exit("csp-hash: the script-src of index.html is not the expected one")
html = html.replace("script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'", f"script-src 'self' {hashes} 'wasm-unsafe-eval'")
open(path, "w", encoding="utf-8").write(html)
policy = re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
if not policy:
    sys.exit("csp-hash: no Content-Security-Policy meta tag in index.html")
headers = os.path.join(os.path.dirname(path), "_headers")
with open(headers, "w", encoding="utf-8") as f:
    f.write("/*\n")
    f.write(f"  Content-Security-Policy: {policy.group(1)}\n")
    f.write("  X-Content-Type-Options: nosniff\n")
    f.write("  Referrer-Policy: no-referrer\n")
print(f"csp-hash: pinned {len(scripts)} inline script(s); wrote the policy to {headers}")
