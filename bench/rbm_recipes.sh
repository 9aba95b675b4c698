#!/usr/bin/env bash
# The RBM recipe comparison of issue 16 on binarised Fashion-MNIST (threshold 0.5),
# 5 epochs, batch 100, seed 0: PCD-1, PCD-5, PT-1 with 4 replicas, each plain and
# centred, and a learning-rate schedule, at 16 hidden units scored by exact log Z;
# scikit-learn's BernoulliRBM at 16 hidden units over lr {0.01, 0.02, 0.05, 0.1} x
# batch {10, 20, 100} (bench/peers/sklearn_rbm.py, Debian's python3-sklearn); and
# PCD-1 plain / centred at 500 hidden units scored by AIS (100 runs, 3,000 betas, the
# main job's CPU settings). One JSON line per run on stdout.
# Usage: bench/rbm_recipes.sh [16|sklearn|500]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
ebm=build/bin/ebm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exact16() {
  local name=$1; shift
  local t e
  t=$("$ebm" rbm train --hidden 16 --epochs 5 --seed 0 --out "$work/$name.safetensors" --json "$@" 2>/dev/null)
  e=$("$ebm" rbm eval --model "$work/$name.safetensors" --exact --json 2>/dev/null)
  echo "{\"recipe\":\"$name\",\"hidden\":16,\"args\":\"$*\",\"train\":$t,\"eval\":$e}"
}
for part in "${@:-16 sklearn 500}"; do
  for p in $part; do
    case $p in
      16)
        exact16 pcd1
        exact16 pcd1-centered --centered
        exact16 pcd5 --pcd 5
        exact16 pcd5-centered --pcd 5 --centered
        exact16 pt4 --pt 4
        exact16 pt4-centered --pt 4 --centered
        exact16 pcd1-lr0.1-decay1 --lr 0.1 --lr-decay 1
        exact16 pcd1-centered-lr0.1-decay1 --lr 0.1 --lr-decay 1 --centered ;;
      sklearn)
        for lr in 0.01 0.02 0.05 0.1; do
          for b in 10 20 100; do
            n=sklearn-lr$lr-batch$b
            start=$(date +%s.%N)
            /usr/bin/python3 bench/peers/sklearn_rbm.py --hidden 16 --epochs 5 --batch "$b" --lr "$lr" \
              --out "$work/$n.safetensors" >/dev/null
            s=$(echo "$(date +%s.%N) - $start" | bc)
            e=$("$ebm" rbm eval --model "$work/$n.safetensors" --exact --json 2>/dev/null)
            echo "{\"recipe\":\"$n\",\"hidden\":16,\"lr\":$lr,\"batch\":$b,\"train_seconds\":$s,\"eval\":$e}"
          done
        done ;;
      500)
        for centered in "" --centered; do
          n=pcd1-500${centered:+-centered}
          t=$("$ebm" rbm train --hidden 500 --pcd 1 --epochs 5 --batch 100 --lr 0.05 --momentum 0 --weight-decay 0 \
                --seed 0 $centered --out "$work/$n.safetensors" --json 2>/dev/null)
          e=$("$ebm" rbm eval --model "$work/$n.safetensors" --ais --ais-runs 100 --ais-steps 3000 --json 2>/dev/null)
          echo "{\"recipe\":\"$n\",\"hidden\":500,\"train\":$t,\"eval\":$e}"
        done ;;
      *) echo "rbm_recipes.sh: unknown part $p (16, sklearn or 500)" >&2; exit 2 ;;
    esac
  done
done
