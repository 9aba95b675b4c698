#!/usr/bin/env bash
# Short CPU runs of every `ebm` job whose numbers a host-layer change must keep bit for
# bit (issue 27: "CPU results bit-identical to today's"): JEM training (replay buffer,
# class-conditional, MALA-free SGLD), JEM sampling and evaluation, RBM training with CD,
# PCD with centring and momentum, and parallel tempering, RBM evaluation (AIS + RAISE)
# and sampling. Each run writes its checkpoint, log, JSON summary and PNG into OUT.
#   tools/cpu-runs.sh EBM OUT        EBM: an ebm binary; OUT: a fresh folder
# Compare two revisions' folders with `cmp` (or `diff -r`): every file must be equal.
# About a minute on two cores.
set -euo pipefail
ebm=$(realpath "$1")
out=$2
mkdir -p "$out"
cd "$out"
run() {  # NAME ARGS...: stdout (a JSON summary where asked) to NAME.json, stderr dropped (timings)
  local name=$1
  shift
  "$ebm" "$@" --backend cpu >"$name.json" 2>/dev/null || { echo "cpu-runs.sh: $name failed: ebm $*" >&2; exit 1; }
}
# Elapsed times ("seconds") are the only numbers that may differ between two runs.
strip_times() { sed -i -E 's/"seconds": *[0-9.eE+-]+/"seconds": 0/g' "$@"; }

run jem-train jem train --widths 784,32,10 --train-limit 256 --valid 64 --batch 32 --epochs 2 --sgld-steps 3 \
  --buffer 128 --energy-l2 0.1 --seed 7 --out jem.safetensors --log jem.log --json
run jem-train-cond jem train --widths 784,16,16,10 --activation silu --train-limit 128 --valid 32 --batch 16 \
  --sgld-steps 2 --buffer 0 --class-conditional --optimizer adam --seed 3 --out jem-cond.safetensors --log jem-cond.log --json
run jem-eval jem eval --model jem.safetensors --json
run jem-sample jem sample --model jem.safetensors --count 8 --steps 5 --out jem-samples.png
run rbm-cd rbm train --hidden 24 --cd 1 --epochs 1 --batch 50 --train-limit 300 --plain --seed 5 --out rbm-cd.safetensors \
  --log rbm-cd.log --json
run rbm-pcd rbm train --hidden 16 --pcd 2 --epochs 2 --batch 40 --train-limit 200 --centered --momentum 0.5 \
  --lr-decay 0.1 --weight-decay 0.001 --binarize sample --seed 9 --out rbm-pcd.safetensors --log rbm-pcd.log --json
run rbm-pt rbm train --hidden 12 --pt 3 --pcd 1 --epochs 1 --batch 50 --train-limit 150 --plain --seed 4 \
  --out rbm-pt.safetensors --log rbm-pt.log --json
run rbm-eval rbm eval --model rbm-cd.safetensors --ais-runs 8 --ais-steps 200 --raise 4 --test-limit 50 --json
run rbm-eval-exact rbm eval --model rbm-pt.safetensors --exact --test-limit 50 --json
run rbm-sample rbm sample --model rbm-pcd.safetensors --chains 4 --steps 10 --columns 2 --out rbm-samples.png
run rbm-sample-pt rbm sample --model rbm-pt.safetensors --chains 4 --steps 10 --pt 3 --out rbm-samples-pt.png
strip_times ./*.json ./*.log
ls
