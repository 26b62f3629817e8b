#!/usr/bin/env bash
# Ingestion benchmark on the shared Online Retail II export (525,461 lines, 46.8 MB):
# native release CLI (the baseline, same session) and the release app in headless
# Chromium (one Web Worker). Prints both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
# wasm-opt from npm's binaryen (scripts/setup.sh), for Trunk's release builds.
export PATH="$HOME/.cache/supplycast/binaryen/node_modules/.bin:$PATH"
src="${1:-../shared/data/online_retail_ii_2009-12_2010-12.csv.gz}"
csv="${TMPDIR:-/tmp}/supplycast-bench.csv"
case "$src" in *.gz) gzip -dc "$src" > "$csv" ;; *) cp "$src" "$csv" ;; esac
scripts/setup.sh
cargo build --release --locked --bin supplycast
native=$("$CARGO_TARGET_DIR/release/supplycast" bench-ingest "$csv" --runs 5 | tee /dev/stderr | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')
trunk build --release --locked
browser=$(node tests/e2e/bench_ingest.mjs "$csv" 3 | tee /dev/stderr | sed -n 's/^browser ingest.*median \([0-9.]*\) s in the worker.*/\1/p')
echo "native median ${native} s, browser median ${browser} s, browser/native = $(python3 -c "print(round($browser/$native, 2))")"
