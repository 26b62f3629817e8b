#!/usr/bin/env bash
# Routing benchmark: every CVRPLIB instance under tests/reference/routing (X and M sets,
# whose .sol files hold the proven optima), solved natively with a time limit
# (default 30 s), cost against the optimum. Usage: scripts/route-bench.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}"
limit="${1:-30}"
cargo build --release --locked --quiet --bin supplycast
printf '%-14s %9s %9s %7s %8s %6s\n' instance optimum cost gap seconds routes
for vrp in tests/reference/routing/*.vrp; do
  name="$(basename "$vrp" .vrp)"
  [[ -f "${vrp%.vrp}.sol" ]] || continue
  best="$(grep -i '^cost' "${vrp%.vrp}.sol" | awk '{print $2}')"
  out="$("$CARGO_TARGET_DIR/release/supplycast" route "$vrp" --time-limit "$limit" --json)"
  python3 - "$name" "$best" "$out" <<'PY'
import json, sys
name, best, out = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
print(f"{name:<14} {best:9.0f} {out['cost']:9.0f} {100*(out['cost']-best)/best:6.2f}% {out['seconds']:8.1f} {out['vehicles']:6d}")
PY
done
