#!/usr/bin/env bash
# The PyTorch and scikit-learn peers (bench/peers/) at toy sizes on this machine's CPU
# builds (Debian's python3-torch and python3-sklearn): each runs and writes records in
# ebm-bench's format, so a GPU call does not lose a row of issue 11's table to a Python
# error. Their GPU-only variants (torch.compile, CUDA graphs, bf16) run only there.
# usage: tests/peers_test.sh   (from the source tree; exit 77, skipped, without torch)
set -uo pipefail
py=/usr/bin/python3
$py -c "import torch, sklearn" 2>/dev/null || { echo "no torch or sklearn for $py: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
run() {  # NAME SCRIPT ARGS...: the script writes at least one record with a median time (KEY: another key)
  local name=$1 script=$2 key=median_ms
  shift 2
  [[ $name == *quality ]] && key=total_variation
  [[ $name == *ood ]] && key=images
  if ! (cd bench/peers && $py "$script" "$@" --json "$out/$name.json") > "$out/$name.log" 2>&1; then
    echo "FAIL: $name exited non-zero"; tail -5 "$out/$name.log"; fail=1; return
  fi
  if $py -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(not (r and all(x[sys.argv[2]] > 0 for x in r)))' \
      "$out/$name.json" "$key"; then
    echo "ok: $name"
  else
    echo "FAIL: $name wrote no records with a time"; fail=1
  fi
}
run logsumexp torch_logsumexp.py --shape 64x10 --reps 2
run mlp torch_mlp.py --widths 64-32-10 --ops score --rows 8 --reps 1
run langevin torch_langevin.py --widths 64-32-10 --chains 4 --steps 2 --reps 1
run rbm_gibbs torch_rbm.py --chains 4 --steps 2 --reps 1
run rbm_pcd torch_rbm.py --pcd-epoch --images 200 --reps 1
run jem torch_jem.py --batches 8 --reps 1
run score torch_score.py --batch 4 --reps 1
run score_quality torch_score.py --quality ring8 --loss dsm --epochs 1
run sklearn sklearn_rbm.py --hidden 4 --epochs 1 --out "$out/sk.safetensors"
if [ -n "${EBMKIT_PYTHON_PATH:-}" ] && [ -d "$EBMKIT_PYTHON_PATH/ebmkit" ]; then
  # The OOD baseline scores ebmkit's sets: the built package (ctest sets the path).
  PYTHONPATH=$EBMKIT_PYTHON_PATH run sklearn_ood sklearn_ood.py --train-limit 500 --epochs 1 --count 50 --reps 5
else
  echo "skip: sklearn_ood (no built ebmkit package: EBMKIT_PYTHON_PATH)"
fi
((fail)) && { echo "peers: FAILED"; exit 1; }
echo "peers: all ran"
