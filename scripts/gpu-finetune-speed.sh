#!/usr/bin/env bash
# Fine-tuning speed of the pretrained model natively on a lent GPU (Burn wgpu on Vulkan)
# against the same machine's CPU (Burn Flex), on 1,000 daily SKUs (issue 9). A benchmark,
# not a test. Needs .gpu/supplycast (cargo build --release --features gpu), the data file
# and the .gl loaders as scripts/gpu-pretrain.sh does.
#   DATA=.gpu/daily1000.csv.gz scripts/gpu-finetune-speed.sh
set -uo pipefail
out="${OUT:-/tmp/gpu-finetune-speed}"
data="${DATA:-.gpu/daily1000.csv.gz}"
mkdir -p "$out"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
b=.gpu/supplycast
for run in gpu:300 cpu:60; do
  IFS=: read -r dev steps <<< "$run"
  timeout 200 "$b" finetune "$data" --out "/tmp/ft-$dev.sct" --steps "$steps" --device "$dev" \
    > "$out/finetune-$dev.log" 2>&1
  echo "== $dev, $steps steps of 64 windows: exit $?" >> "$out/finetune-$dev.log"
  grep -E "^device|fine-tuned in|== " "$out/finetune-$dev.log"
done
