#!/usr/bin/env bash
# Planning benchmark on the 1,000 best sellers of the shared Online Retail II export:
# forecasts (100 sample paths each), then policies + 1,000 runs × 90 days of simulation
# per SKU (recommended and baseline policy), natively (release CLI, the baseline) and in
# the release app's Web Worker in headless Chromium. Prints both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
# wasm-opt from npm's binaryen (scripts/setup.sh), for Trunk's release builds.
export PATH="$HOME/.cache/supplycast/binaryen/node_modules/.bin:$PATH"
src="${1:-../shared/data/online_retail_ii_2009-12_2010-12.csv.gz}"
csv="${TMPDIR:-/tmp}/supplycast-top1000.csv"
scripts/setup.sh
cargo build --release --locked --bin supplycast
"$CARGO_TARGET_DIR/release/supplycast" ingest "$src" --top 1000 --out "$csv" > /dev/null
native=$("$CARGO_TARGET_DIR/release/supplycast" bench-plan "$csv" --skus 1000 --runs 3 | tee /dev/stderr | sed -n 's/^plan .*median \([0-9.]*\) s.*/\1/p')
trunk build --release --locked
browser=$(node tests/e2e/bench_plan.mjs "$csv" 3 | tee /dev/stderr | sed -n 's/^browser plan.*median \([0-9.]*\) s in the worker.*/\1/p')
echo "native median ${native} s, browser median ${browser} s, browser/native = $(python3 -c "print(round($browser/$native, 2))")"
