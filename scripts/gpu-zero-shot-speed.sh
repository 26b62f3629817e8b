#!/usr/bin/env bash
# Zero-shot forecasts of the pretrained model natively on a lent GPU (Burn wgpu on Vulkan)
# against the same machine's CPU (Burn Flex), on one file (issue 9): `bench-forecast
# --models pretrained` once per device, whose `pretrained` rows give the wall time and
# the metrics (equal on both devices to the rounding the wgpu path allows). A benchmark,
# not a test. Needs .gpu/supplycast(.gz) and the .gl loaders as scripts/gpu-pretrain.sh.
#   DATA=.gpu/two_years.csv.gz [WEIGHTS=.gpu/x.sct] scripts/gpu-zero-shot-speed.sh
set -uo pipefail
out="${OUT:-/tmp/gpu-zero-shot}"
data="${DATA:-.gpu/two_years.csv.gz}"
mkdir -p "$out"
b=.gpu/supplycast
[[ -x $b ]] || { gzip -dc "$b.gz" > "$b" && chmod +x "$b"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
# As scripts/gpu-pretrain.sh: the driver's own ICD files where the default loader finds none.
if ! timeout 60 "$b" pretrain --out /tmp/probe.sct --steps 1 --batch 4 --synthetic 20 \
  --device gpu 2>&1 | grep -q "DiscreteGpu\|IntegratedGpu"; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
[[ -n "${WEIGHTS:-}" ]] && export SUPPLYCAST_PRETRAINED="$WEIGHTS"
# The GPU twice: the first process also compiles and tunes its kernels.
n=0
for dev in gpu cpu gpu; do
  n=$((n + 1))
  timeout 180 "$b" bench-forecast "$data" --h 28 --threads "$(nproc)" --models pretrained \
    --device "$dev" --json > "$out/$dev$n.json" 2> "$out/$dev$n.log"
  echo "== $dev: exit $?" >> "$out/$dev$n.log"
  grep -E "^device|pretrained:|== " "$out/$dev$n.log"
done
python3 - "$out" <<'PY'
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith(".json") and os.path.getsize(os.path.join(d, f)):
        m = {r["model"]: r for r in json.load(open(os.path.join(d, f)))["models"]}
        p = m["pretrained"]
        print(f, {k: p["summary"][k] for k in ("mase", "sql_mean", "coverage80")},
              "wall_s", round(p["wall_s"], 2), "Auto wall_s", round(m["Auto"]["wall_s"], 2))
PY
