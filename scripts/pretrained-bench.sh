#!/usr/bin/env bash
# The pretrained demand model measured (issue 9): on the held-out last h periods of the
# quality suite's shapes (see scripts/quality-suite.sh; run it first, or give its OUT_DIR),
# the rows `pretrained` (zero-shot), `pretrained-ft` (fine-tuned on the training part
# before the held-out periods), the best random-initialisation model (PatchTST, daily and
# weekly only), every statistical model, the automatic choice (`Auto`) and the automatic
# choice with the zero-shot model among the candidates (`Auto+pretrained`); then the
# cold start: every SKU cut to its last K periods before the held-out ones (daily K = 28,
# 56; weekly K = 4, 8), so that every row and the MASE scale see only those.
# Fracast-0 (the yardstick) comes from tests/reference/fracast/*.json.
# A benchmark, not a test: CI does not run it. Nothing here is tuned on the held-out periods.
#   scripts/pretrained-bench.sh [SUITE_DIR]     (default ${TMPDIR:-/tmp}/supplycast-suite)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
out="${1:-${TMPDIR:-/tmp}/supplycast-suite}"
[[ -f "$out/daily.csv" ]] || { echo "no $out/daily.csv: run scripts/quality-suite.sh $out first"; exit 1; }
# BIN=... measures another build; SUPPLYCAST_PRETRAINED=FILE measures candidate weights
# instead of the shipped ones.
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --locked --features nn --bin supplycast
fi
bin="${BIN:-$CARGO_TARGET_DIR/release/supplycast}"
shapes="${SHAPES:-daily:28:6 weekly:8:1 m3_monthly:18:12 m3_quarterly:8:4 m1_monthly:18:12 m1_quarterly:8:4 tourism_monthly:24:12 tourism_quarterly:8:4}"
for s in $shapes; do
  IFS=: read -r name h season <<< "$s"
  models=pretrained,pretrained-ft
  [[ $name == daily || $name == weekly ]] && models="$models,${RANDOM_INIT:-patchtst}"
  echo "== $name (h = $h, season $season)" >&2
  "$bin" bench-forecast "$out/$name.csv" --h "$h" --season "$season" --threads 1 \
    --models "$models" --device cpu --json > "$out/$name.pre.json"
done
for s in daily:28:6:28 daily:28:6:56 weekly:8:1:4 weekly:8:1:8; do
  IFS=: read -r name h season k <<< "$s"
  echo "== $name cold start, $k periods of history" >&2
  "$bin" bench-forecast "$out/$name.csv" --h "$h" --season "$season" --threads 1 --history "$k" \
    --models pretrained --device cpu --json > "$out/$name.cold$k.json"
done
python3 tests/reference/fracast/compare.py "$out" $shapes | tee "$out/pretrained.md"
