#!/usr/bin/env bash
# The main job: builds (tools/setup.sh), trains a 500-hidden-unit RBM with PCD-1 on
# binarised Fashion-MNIST, prints its AIS test log-likelihood with RAISE's bracket and
# writes a grid of samples from long Gibbs chains; then trains a 784-256-256-10 JEM, prints its test
# accuracy and writes its samples and training curves. Outputs go to build/main-job/.
# Usage: tools/main-job.sh [--bin DIR] [--data DIR] [--out DIR]
#   --bin   binaries already built (a GPU machine's carried build-gpu/bin): no setup
#   --data  the Fashion-MNIST folder (default: Debian's /usr/share/datasets/fashion-mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="" data=/usr/share/datasets/fashion-mnist out=build/main-job
while (($#)); do
  case "$1" in
    --bin) bin=$2 ;;
    --data) data=$2 ;;
    --out) out=$2 ;;
    *) echo "usage: tools/main-job.sh [--bin DIR] [--data DIR] [--out DIR]" >&2; exit 2 ;;
  esac
  shift 2
done
if [ -z "$bin" ]; then
  tools/setup.sh
  bin=build/bin
fi
ebm=$bin/ebm
mkdir -p "$out"
# With a GPU: longer training and the standard 14,500-step AIS schedule. Without
# one, sizes that keep the job to a few minutes on two cores.
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  epochs=20 ais_steps=0 ais_runs=100 jem_epochs=20
else
  epochs=5 ais_steps=3000 ais_runs=100 jem_epochs=2
fi
"$ebm" rbm train --data "$data" --hidden 500 --pcd 1 --epochs "$epochs" --batch 100 --lr 0.05 --momentum 0 \
  --weight-decay 0 --seed 1 --out "$out/rbm.safetensors" --json | tee "$out/train.json"
"$ebm" rbm eval --data "$data" --model "$out/rbm.safetensors" --ais --ais-runs "$ais_runs" --ais-steps "$ais_steps" --json |
  tee "$out/eval.json"
# Chains from training images: 1,000 sweeps from random bits show 6 of the 10 classes,
# from data 9 (bench/RESULTS.md); the command prints the count.
"$ebm" rbm sample --data "$data" --model "$out/rbm.safetensors" --chains 64 --steps 1000 --seed 1 --init data --out "$out/rbm-samples.png"
"$ebm" jem train --data "$data" --epochs "$jem_epochs" --seed 1 --out "$out/jem.safetensors" --curves "$out/jem-curves.csv" --json |
  tee "$out/jem-train.json"
"$ebm" jem sample --model "$out/jem.safetensors" --count 64 --steps 200 --seed 1 --out "$out/jem-samples.png"
"$ebm" jem sample --model "$out/jem.safetensors" --per-class --steps 200 --seed 1 --out "$out/jem-samples-per-class.png"
echo "main job: $SECONDS s; models, JSON summaries, jem-curves.csv, rbm-samples.png and jem-samples.png are in $out/"
