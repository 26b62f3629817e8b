#!/usr/bin/env bash
# Pretraining the shipped demand model on a lent GPU machine (issue 9), as one command
# within the device tool's 10-minute limit. Several runs share the GPU (by default two,
# identical but for the peak learning rate, so their validation losses are on the same
# windows); candidates are chosen on the validation periods (scripts/pretrained-validation.sh).
# Runs with different seeds draw different corpora and validation windows: their losses
# do not compare (score them on one corpus, e.g. with `pretrain --blend`). Everything they need travels with the working tree:
#   .gpu/supplycast   cargo build --release --features gpu --bin supplycast (or .gz)
#   .gpu/*.csv.gz     the shared order export and make_public_series.py's output
#   .gl/*.deb         the Vulkan/GL loaders (the machine has the NVIDIA driver only)
# Outputs under $OUT/a (and $OUT/b, ... with several LRS): the weights (or the last checkpoint if a run was cut
# short), the provenance JSON, the loss curve and the log (with TAR=1, $OUT/a.tar, ...).
#   BUDGET=400 scripts/gpu-pretrain.sh
#   BUDGET=430 INIT=assets/pretrained.sct LRS=1e-3 scripts/gpu-pretrain.sh   (one continuation)
# PRIOR=v1 or v2 draws the synthetic series from the generators' earlier priors (default v3).
set -uo pipefail
out="${OUT:-/tmp/gpu-pretrain}"
budget="${BUDGET:-400}"
bin=.gpu/supplycast
# The binary may travel gzipped (the carried folders must stay under 64 MiB).
[[ -x $bin ]] || { gzip -dc "$bin.gz" > "$bin" && chmod +x "$bin"; }
mkdir -p "$out/a" /tmp/probe
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
log="$out/a/pretrain.log"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; } >> "$log" 2>&1
probe() {
  timeout 120 "$bin" pretrain --out /tmp/probe/p.sct --steps 2 --batch 8 --synthetic 50 \
    --report-every 1 --device auto >> "$log" 2>&1
  # (a software adapter, llvmpipe, is no GPU here)
  tail -n 30 "$log" | grep "^device: GPU.*\(DiscreteGpu\|IntegratedGpu\)" > /dev/null
}
if ! probe; then
  echo "== no GPU through the default loader; trying the driver's own ICD files" >> "$log"
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  probe || echo "== still no GPU: the runs fall back to the CPU" >> "$log"
fi
common=(pretrain --synthetic 60000 --context 768 --report-every 100
  --time-budget "$budget" --device auto
  --real .gpu/online_retail_ii_2009-12_2010-12.csv.gz --real-before 2010-09-10
  --series .gpu/public_monthly.csv.gz --series .gpu/public_quarterly.csv.gz
  --series .gpu/public_weekly.csv.gz)
run() { # name lr[:prior[:seed[:batch]]]
  IFS=: read -r lr prior seed batch <<< "$2"
  timeout $((budget + 150)) "$bin" "${common[@]}" --lr "$lr" --prior "${prior:-${PRIOR:-v3}}" \
    --seed "${seed:-42}" --batch "${batch:-1024}" ${AVG:+--average-tail "$AVG"} \
    --out "$out/$1/pretrained.sct" >> "$out/$1/pretrain.log" 2>&1
  echo "== exit $?" >> "$out/$1/pretrain.log"
  # The weights are written at the end; the checkpoint stays only if the run was cut.
  [[ -f "$out/$1/pretrained.sct" ]] && rm -f "$out/$1/pretrained.sct.ckpt"
  rm -f "$out/$1/pretrained.sct.ckpt.tmp"
}
# LRS: the peak learning rates, one run each sharing the GPU (default two runs); an entry
# LR:PRIOR:SEED:BATCH also sets that run's priors, seed (default 42) and batch (1024).
# AVG=FRAC: each run also writes the tail average of its weights (pretrain --average-tail).
# INIT=FILE: every run starts from those weights (pretrain --init) instead of fresh ones.
read -r -a lrs <<< "${LRS:-2e-3 1e-3}"
# (the configuration, --context included, is then the file's)
if [[ -n "${INIT:-}" ]]; then
  kept=(); skip=0
  for arg in "${common[@]}"; do
    if (( skip )); then skip=0; continue; fi
    [[ $arg == --context ]] && { skip=1; continue; }
    kept+=("$arg")
  done
  common=("${kept[@]}" --init "$INIT")
fi
names=(a b c d)
for i in "${!lrs[@]}"; do
  mkdir -p "$out/${names[$i]}"
  run "${names[$i]}" "${lrs[$i]}" &
done
wait
tail -n 4 "$out"/*/pretrain.log
# At most 8 files come back from the machine: one archive a run (TAR=1).
if [[ -n "${TAR:-}" ]]; then
  for d in "$out"/?/; do n=$(basename "$d"); tar -cf "$out/$n.tar" -C "$out" "$n" && rm -rf "$d"; done
fi
