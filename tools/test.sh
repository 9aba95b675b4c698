#!/usr/bin/env bash
# Builds (tools/setup.sh), the documentation site (tools/docs.sh, every Doxygen and
# Sphinx warning an error) and a wheel (tools/wheel-test.sh: installed into a fresh
# virtual environment and smoke-tested), runs the emulated kernel suites under ThreadSanitizer
# (tools/emulated-racecheck.sh, where the CUDA headers are present), the CPU suite under
# AddressSanitizer and UBSan (tools/sanitized-tests.sh), the fuzzers (tools/fuzz.sh),
# then the whole CTest suite and the Python suite (pytest, python/tests).
# GPU tests (label gpu) skip where no device is present; their reasons are printed
# before the run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# The Python suite's torch checks and the peers' smoke test (tests/peers_test.sh) need
# torch and scikit-learn: Debian's CPU builds, for the tests only.
if ! dpkg -s python3-torch python3-sklearn >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch python3-sklearn
fi
tools/docs.sh
# The wheel a user builds with pip, installed away from the tree and smoke-tested: a
# CPU wheel here (+cpu), which builds in a minute or two with ccache; with the CUDA
# kernels the same command names it +cu130 and compiles them all.
EBMKIT_CUDA=OFF tools/wheel-test.sh
reasons=$(ctest --test-dir build -L gpu --verbose 2>&1 | grep -E '^[0-9]+: no CUDA device' | sed 's/^[0-9]*: /  /' |
          sort | uniq -c || true)
if [ -n "$reasons" ]; then
  echo "GPU tests that skip on this machine say:"
  echo "$reasons"
fi
if [ -x "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" ]; then
  tools/emulated-racecheck.sh
fi
tools/sanitized-tests.sh
tools/fuzz.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
PYTHONPATH=build/python build/venv/bin/python -m pytest -q python/tests
