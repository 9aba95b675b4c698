#!/usr/bin/env bash
# The data-parallel scaling measurements (README "Several processes and GPUs"): the
# all-reduce of the JEM and RBM gradients at 2 ranks (ebm-allreduce-bench), and the
# time of a training epoch of `ebm jem train` (60 iterations of batch 64 on 3,840
# images) and `ebm rbm train` (10,000 images, batch 100, 784x500 centred PCD-1) at 1
# and 2 ranks: epoch seconds from --log (epoch 2's time minus epoch 1's, so loading
# is not counted). One JSON line per measurement on stdout.
# Usage: bench/data_parallel.sh [--backend cpu|cuda]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${2:-cpu}
bin=build/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun -np 2 --oversubscribe "$bin/ebm-allreduce-bench" --backend "$backend"
epoch_seconds() {  # LOG: seconds of the second epoch
  python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])]; print(round(e[1]["seconds"]-e[0]["seconds"],3))' "$1"
}
for ranks in 1 2; do
  mpirun -np "$ranks" --oversubscribe "$bin/ebm" jem train --backend "$backend" --train-limit 3840 --valid 0 \
    --epochs 2 --batch 64 --seed 1 --log "$work/jem$ranks.log" --out "$work/jem$ranks.safetensors" 2>/dev/null
  echo "{\"workload\": \"jem_epoch\", \"backend\": \"$backend\", \"ranks\": $ranks, \"iterations\": 60, \"batch\": 64, \"seconds\": $(epoch_seconds "$work/jem$ranks.log")}"
  mpirun -np "$ranks" --oversubscribe "$bin/ebm" rbm train --backend "$backend" --train-limit 10000 --centered \
    --epochs 2 --batch 100 --seed 1 --log "$work/rbm$ranks.log" --out "$work/rbm$ranks.safetensors" 2>/dev/null
  echo "{\"workload\": \"rbm_epoch\", \"backend\": \"$backend\", \"ranks\": $ranks, \"updates\": 100, \"batch\": 100, \"seconds\": $(epoch_seconds "$work/rbm$ranks.log")}"
done
