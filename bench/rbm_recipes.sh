#!/usr/bin/env bash
# The RBM recipe comparison of issue 16 on binarised Fashion-MNIST (threshold 0.5),
# 5 epochs, batch 100, seed 0: PCD-1, PCD-5, PT-1 with 4 replicas, each plain and
# centred, and a learning-rate schedule, at 16 hidden units scored by exact log Z;
# scikit-learn's BernoulliRBM at 16 hidden units over lr {0.01, 0.02, 0.05, 0.1} x
# batch {10, 20, 100} (bench/peers/sklearn_rbm.py, Debian's python3-sklearn); and
# PCD-1 plain / centred at 500 hidden units scored by AIS (100 runs, 3,000 betas, the
# main job's CPU settings) and bracketed by RAISE (100 test images), with the classes
# their samples show; bracket16: exact log Z beside AIS and RAISE at 16 hidden units;
# 500-time: centred PCD-5 and centred PT-1 with 4 replicas at 500 hidden units given
# about the wall time of the main job's 5 epochs of centred PCD-1 (2 epochs each), AIS
# and RAISE as for 500. One JSON line per run on stdout.
# Usage: bench/rbm_recipes.sh [16|sklearn|500|bracket16|500-time]...   (default: all but 500-time)
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
for part in "${@:-16 sklearn 500 bracket16}"; do
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
          e=$("$ebm" rbm eval --model "$work/$n.safetensors" --ais --ais-runs 100 --ais-steps 3000 --raise 100 --json 2>/dev/null)
          # Classes shown by 64 chains after 1000 sweeps: Gibbs from random bits (the main
          # job's grid), PT with 8 replicas from random bits, Gibbs from training images.
          samples=""
          for how in "gibbs" "pt8 --pt 8" "data --init data"; do
            set -- $how
            name=$1; shift
            start=$(date +%s.%N)
            c=$("$ebm" rbm sample --model "$work/$n.safetensors" --chains 64 --steps 1000 --seed 1 "$@" \
                  --out "$work/$n-$name.png" 2>&1 | sed -n 's/^rbm sample: \([0-9]*\) classes among.*/\1/p')
            s=$(echo "$(date +%s.%N) - $start" | bc)
            samples="$samples${samples:+,}\"$name\":{\"classes\":$c,\"seconds\":$s}"
          done
          echo "{\"recipe\":\"$n\",\"hidden\":500,\"train\":$t,\"eval\":$e,\"samples\":{$samples}}"
        done ;;
      bracket16)
        # The bracket where the truth is known: 784 x 16, exact log Z beside AIS and RAISE
        # at the main job's CPU schedule (3,000 betas).
        for centered in "" --centered; do
          n=pcd1-16${centered:+-centered}
          "$ebm" rbm train --hidden 16 --epochs 5 --seed 0 $centered --out "$work/$n.safetensors" >/dev/null 2>&1
          e=$("$ebm" rbm eval --model "$work/$n.safetensors" --exact --json 2>/dev/null)
          a=$("$ebm" rbm eval --model "$work/$n.safetensors" --ais --ais-runs 100 --ais-steps 3000 --raise 100 --json 2>/dev/null)
          echo "{\"recipe\":\"$n\",\"hidden\":16,\"exact\":$e,\"ais_raise\":$a}"
        done ;;
      500-time)
        for recipe in "pcd5-500-centered --pcd 5" "pt4-500-centered --pt 4"; do
          set -- $recipe
          n=$1; shift
          t=$("$ebm" rbm train --hidden 500 --epochs 2 --batch 100 --lr 0.05 --seed 0 --centered "$@" \
                --out "$work/$n.safetensors" --json 2>/dev/null)
          e=$("$ebm" rbm eval --model "$work/$n.safetensors" --ais --ais-runs 100 --ais-steps 3000 --raise 100 --json 2>/dev/null)
          echo "{\"recipe\":\"$n\",\"hidden\":500,\"args\":\"--centered --epochs 2 $*\",\"train\":$t,\"eval\":$e}"
        done ;;
      *) echo "rbm_recipes.sh: unknown part $p (16, sklearn, 500, bracket16 or 500-time)" >&2; exit 2 ;;
    esac
  done
done
