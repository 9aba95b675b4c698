#!/usr/bin/env bash
# Installs the Debian packages ebmkit needs (only those missing), then configures
# and builds into build/ (Release; the CUDA backend when nvcc is present), the
# Python module included (build/python/ebmkit, with build/venv's nanobind).
# Usage: tools/setup.sh [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build ccache g++ libgtest-dev zlib1g-dev git python3 dataset-fashion-mnist
          libcli11-dev nlohmann-json3-dev libstb-dev gnuplot-nox
          python3-dev python3-venv python3-numpy python3-pytest libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if [ -z "${CUDACXX:-}" ] && ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi
# The Python module's build tools in a venv over Debian's python3 (whose numpy, and
# torch where installed, the venv sees): nanobind and scikit-build-core from PyPI.
venv=build/venv
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -c "import nanobind" 2>/dev/null ||
  "$venv/bin/pip" install -q "nanobind==2.15.0" "scikit-build-core>=0.10"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE="$PWD/$venv/bin/python" "$@"
cmake --build build
