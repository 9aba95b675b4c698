#!/usr/bin/env bash
# Issue 29's 2-D quality runs: ebm score train + sample (--json) against the PyTorch
# peer of the same recipe (bench/peers/torch_score.py --quality) on ring8, two-rings and
# checkerboard, DSM (NCSNv2 ladder 2 .. 0.05, 10 levels, annealed Langevin) and the
# variance-reduced sliced loss (plain Langevin on s(x)), per seed. Writes one JSON array.
# usage: bench/score_quality.sh EBM OUT.json [EPOCHS] [SEEDS...]
set -euo pipefail
ebm=$1 out=$2 epochs=${3:-60}
shift $(( $# < 3 ? $# : 3 ))
seeds=("${@:-1 2}")
[ ${#seeds[@]} -eq 1 ] && read -ra seeds <<< "${seeds[0]}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
records=()
for data in ring8 two-rings checkerboard; do
  for loss in dsm ssm_vr; do
    for seed in "${seeds[@]}"; do
      "$ebm" score train --dataset "$data" --loss "$loss" --epochs "$epochs" --samples 8000 --seed "$seed" \
        --out "$work/m.safetensors" --json > "$work/train.json" 2> /dev/null
      "$ebm" score sample --model "$work/m.safetensors" --count 2000 --seed "$seed" --out "$work/s.png" --json \
        > "$work/sample.json" 2> /dev/null
      records+=("$(python3 - "$work/train.json" "$work/sample.json" "$data" "$loss" "$seed" "$epochs" <<'PY'
import json, sys
t, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(json.dumps({"workload": "score_quality", "dataset": sys.argv[3], "loss": sys.argv[4], "seed": int(sys.argv[5]),
                  "epochs": int(sys.argv[6]), "mean_log_density": s["mean_log_density"],
                  "total_variation": s["total_variation"], "variant": "ebmkit-" + t["backend"],
                  "train_seconds": t["seconds"], "sample_seconds": s["seconds"]}))
PY
)")
      echo "ebmkit $data $loss seed $seed: ${records[-1]}" >&2
    done
  done
done
(cd "$(dirname "$0")/peers" && /usr/bin/python3 torch_score.py --quality ring8 two-rings checkerboard --loss dsm ssm_vr \
  --epochs "$epochs" --seeds "${seeds[@]}" --json "$work/torch.json") >&2
python3 - "$out" "$work/torch.json" "${records[@]}" <<'PY'
import json, sys
records = [json.loads(r) for r in sys.argv[3:]] + json.load(open(sys.argv[2]))
json.dump(records, open(sys.argv[1], "w"), indent=1)
PY
