#!/usr/bin/env python3
"""Trunk post-build hook: pins the inline module script that Trunk writes into
index.html by its SHA-256 in the Content-Security-Policy, replacing 'unsafe-inline',
so that no other inline script can run. Reads and rewrites
$TRUNK_STAGING_DIR/index.html (or the path given)."""
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
print(f"csp-hash: pinned {len(scripts)} inline script(s)")
