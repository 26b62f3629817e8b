#!/usr/bin/env bash
# How each set of pretrained weights is chosen (issue 9): the zero-shot MASE on the
# *validation* periods of the quality suite's shapes — each series' last h periods (the
# held-out ones of scripts/pretrained-bench.sh) are cut off first, and the model forecasts
# the h periods before them. Prints MASE / scaled pinball / 80 % coverage per shape and the
# mean MASE over the shapes that the choice compares. Nothing here reads the held-out
# periods. A benchmark, not a test: CI does not run it.
#   scripts/pretrained-validation.sh [SUITE_DIR]   (default ${TMPDIR:-/tmp}/supplycast-suite)
# BIN=... measures another build; SUPPLYCAST_PRETRAINED=FILE candidate weights instead of
# the shipped ones; FRACAST=PYTHON also scores Fracast-0 on the same periods with that
# Python (one with the `fracast` package: tests/reference/fracast/README.md), into
# $OUT/fracast-<shape>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
suite="${1:-${TMPDIR:-/tmp}/supplycast-suite}"
[[ -f "$suite/daily.csv" ]] || { echo "no $suite/daily.csv: run scripts/quality-suite.sh $suite first"; exit 1; }
out="${OUT:-$suite/validation}"
mkdir -p "$out"
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --locked --features nn --bin supplycast
fi
bin="${BIN:-$CARGO_TARGET_DIR/release/supplycast}"
shapes="${SHAPES:-daily:28:6 weekly:8:1 m3_monthly:18:12 m3_quarterly:8:4 m1_monthly:18:12 m1_quarterly:8:4 tourism_monthly:24:12 tourism_quarterly:8:4}"
for s in $shapes; do
  IFS=: read -r name h season <<< "$s"
  # The cut: every series loses its last h rows (long `date,sku,quantity` files, ISO dates).
  python3 - "$suite/$name.csv" "$h" "$out/$name.csv" <<'EOF'
import csv, sys
from collections import defaultdict
src, h, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(src, newline="") as f:
    r = csv.reader(f)
    head = next(r)
    by = defaultdict(list)
    for row in r:
        by[row[1]].append(row)
with open(dst, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(head)
    for sku in sorted(by):
        rows = sorted(by[sku], key=lambda x: x[0])
        w.writerows(rows[: max(len(rows) - h, 0)])
EOF
  echo "== $name (h = $h, season $season), validation periods" >&2
  "$bin" bench-forecast "$out/$name.csv" --h "$h" --season "$season" --threads 1 \
    --models pretrained --device cpu --json > "$out/$name.json"
  if [[ -n "${FRACAST:-}" ]]; then
    "$FRACAST" tests/reference/fracast/run_fracast.py "$out/$name.csv" --h "$h" --season "$season" \
      --json-out "$out/fracast-$name.json" > /dev/null || echo "fracast: no score for $name" >&2
  fi
done
python3 - "$out" $shapes <<'EOF'
import json, os, sys
out, shapes = sys.argv[1], sys.argv[2:]
print("| shape | pretrained MASE / pinball / cov80 | Auto | SeasonalNaive | Fracast-0 |")
print("|---|---|---|---|---|")
mases = []
for s in shapes:
    name = s.split(":")[0]
    by = {m["model"]: m["summary"] for m in json.load(open(f"{out}/{name}.json"))["models"]}
    p = by["pretrained"]
    mases.append(p["mase"])
    fr = f"{out}/fracast-{name}.json"
    frs = "-"
    if os.path.exists(fr):
        d = json.load(open(fr))
        frs = f"{d['mase']:.3f} / {d['pinball']:.3f} / {d['coverage80']:.2f}"
    auto = by.get("Auto", {}).get("mase")
    print(f"| {name} | {p['mase']:.3f} / {p['sql_mean']:.3f} / {p['coverage80']:.2f} | "
          f"{'-' if auto is None else f'{auto:.3f}'} | {by['SeasonalNaive']['mase']:.3f} | {frs} |")
print(f"\nmean zero-shot MASE over {len(mases)} shapes: {sum(mases) / len(mases):.4f}")
EOF
