#!/usr/bin/env bash
# The main job: builds (tools/setup.sh), trains a 500-hidden-unit RBM with PCD-1 on
# binarised Fashion-MNIST, prints its AIS test log-likelihood with RAISE's bracket and
# writes a grid of samples from long Gibbs chains; then trains a 784-256-256-10 JEM, prints its test
# accuracy and writes its samples and training curves. Outputs go to build/main-job/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ebm=build/bin/ebm
out=build/main-job
mkdir -p "$out"
# With a GPU: longer training and the standard 14,500-step AIS schedule. Without
# one, sizes that keep the job to a few minutes on two cores.
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  epochs=20 ais_steps=0 ais_runs=100 jem_epochs=20
else
  epochs=5 ais_steps=3000 ais_runs=100 jem_epochs=2
fi
"$ebm" rbm train --hidden 500 --pcd 1 --centered --epochs "$epochs" --batch 100 --lr 0.05 --momentum 0 \
  --weight-decay 0 --seed 1 --out "$out/rbm.safetensors" --json | tee "$out/train.json"
"$ebm" rbm eval --model "$out/rbm.safetensors" --ais --ais-runs "$ais_runs" --ais-steps "$ais_steps" --json |
  tee "$out/eval.json"
# Chains from training images: 1,000 sweeps from random bits show 6 of the 10 classes,
# from data 9 (bench/RESULTS.md); the command prints the count.
"$ebm" rbm sample --model "$out/rbm.safetensors" --chains 64 --steps 1000 --seed 1 --init data --out "$out/rbm-samples.png"
"$ebm" jem train --epochs "$jem_epochs" --seed 1 --out "$out/jem.safetensors" --curves "$out/jem-curves.csv" --json |
  tee "$out/jem-train.json"
"$ebm" jem sample --model "$out/jem.safetensors" --count 64 --steps 200 --seed 1 --out "$out/jem-samples.png"
"$ebm" jem sample --model "$out/jem.safetensors" --per-class --steps 200 --seed 1 --out "$out/jem-samples-per-class.png"
echo "main job: models, JSON summaries, jem-curves.csv, rbm-samples.png and jem-samples.png are in $out/"
