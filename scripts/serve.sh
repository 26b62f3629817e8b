#!/usr/bin/env bash
# Builds the app (release) and serves it at http://127.0.0.1:8080 with the bundled
# sample store loaded on first visit. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
# wasm-opt from npm's binaryen (scripts/setup.sh), for Trunk's release builds.
export PATH="$HOME/.cache/supplycast/binaryen/node_modules/.bin:$PATH"
exec trunk serve --release --no-autoreload --address 127.0.0.1 --port "${PORT:-8080}"
