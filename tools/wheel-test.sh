#!/usr/bin/env bash
# Builds the wheel as a user would (pip wheel .), installs it into a fresh virtual
# environment away from the source tree, and runs a smoke test there: the import, the
# version, NumPy in and out, an RBM trained and scored, a JEM step. The wheel's name says
# whether it has CUDA kernels (+cu130, +cpu: tools/wheel_version.py); the test checks it
# against the build the module reports.
# Usage: tools/wheel-test.sh   (EBMKIT_CUDA=OFF for a CPU wheel where nvcc is installed)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/wheelhouse
rm -rf "$out"
mkdir -p "$out"
# build/venv (tools/setup.sh) has the build requirements, scikit-build-core and nanobind.
build/venv/bin/pip wheel . --quiet --no-deps --no-build-isolation --wheel-dir "$out"
wheel=$(ls "$out"/ebmkit_kernels-*.whl)
echo "wheel-test: built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"  # Debian's NumPy
"$work/venv/bin/pip" install --quiet --no-deps "$wheel"
cd "$work"
EBMKIT_WHEEL=$(basename "$wheel") "$work/venv/bin/python" - <<'PY'
import os
import re

import numpy as np

import ebmkit

wheel = os.environ["EBMKIT_WHEEL"]
assert "site-packages" in ebmkit.__file__, ebmkit.__file__  # the installed package, not a source tree
version = re.match(r"ebmkit_kernels-([^-]+)-", wheel).group(1)
base, label = version.split("+")
assert base == ebmkit.__version__, (base, ebmkit.__version__)
summary = ebmkit.build_summary()
assert ("CPU only" in summary) == (label == "cpu"), (label, summary)

ctx = ebmkit.Context("cpu", 1)
x = np.random.default_rng(0).standard_normal((64, 10), dtype=np.float32)
lse = ebmkit.logsumexp(ctx, x)
want = np.log(np.exp(x.astype(np.float64)).sum(axis=1))
assert np.allclose(lse, want, atol=1e-5)

data = (np.random.default_rng(1).random((200, 16)) < 0.3).astype(np.float32)
rbm = ebmkit.Rbm(16, 8)
rbm.init_normal(2)
trainer = ebmkit.RbmTrainer(ctx, rbm, ebmkit.RbmTrainOptions())
trainer.train_epoch(data)
log_z = ebmkit.log_partition_exact(ctx, rbm)
assert np.isfinite(log_z)

model = ebmkit.MlpEnergy([16, 32, 4], "elu")
model.init_uniform(3)
jem = ebmkit.JemTrainer(ctx, model, ebmkit.JemTrainOptions())
images = np.random.default_rng(2).uniform(-1, 1, (64, 16)).astype(np.float32)
labels = np.random.default_rng(3).integers(0, 4, 64).astype(np.int32)
stats = jem.step(images, labels)
print(f"wheel-test: {wheel} imports and runs: {summary}; RBM log Z {log_z:.3f}, JEM loss {stats['loss']:.4f}")
PY
