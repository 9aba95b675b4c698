#!/usr/bin/env python3
"""Static resource check of every CUDA kernel against sm_90's limits, without a GPU.

Reads ptxas's per-kernel report (nvcc --resource-usage, kept beside each object by
cmake/record-resource-usage.sh) and the launch sites in kernels/*.cu and *.cuh (kernels/launch.cuh's), and fails,
naming the kernel or the launch, when
  - registers x threads per block > 65,536 (the register file of an SM),
  - static shared memory > 48 KB,
  - a spill (local-memory stores or loads) exceeds 64 bytes,
  - a launch (<<< >>> or cudaLaunchKernelEx) with dynamic shared memory does not opt in with cudaFuncSetAttribute
    (needed above 48 KB; the requests themselves are held to 227 KB by the launch-shape
    tests, tests/launch_shape_test.cpp),
  - a kernel is missing from THREADS below, or THREADS names a kernel that is gone.

usage: kernel_resources_test.py BUILD_DIR KERNELS_DIR
"""
import pathlib
import re
import subprocess
import sys

# Threads per block each kernel is launched with (kernels/*.hpp launch shapes).
THREADS = {
    "activation_backward": 256, "bias_activation": 256, "energy_head_kernel": 256,  # mlp.cu
    "mlp_fused": 256, "langevin_chain_fused": 256, "langevin_chain_grid_fused": 256,  # block::threads
    "langevin_propose_kernel": 256, "langevin_clip_kernel": 256, "mala_accept_kernel": 256, "advance": 1,
    "logsumexp_rows_lanes": 128, "logsumexp_rows_block": 512, "logsumexp_backward_elements": 256,
    "momentum_ascent": 256, "optimizer_rule": 256,
    "column_partial_sums": 256, "column_finish_sums": 256,
    "rbm_gemm": 256, "rbm_gibbs_chain": 256, "rbm_gibbs_cluster": 256,
    "pseudo_log_likelihood_kernel": 256, "bias_dot_kernel": 256, "ais_visible_term_kernel": 256,
    "base_rate_kernel": 256, "configuration_bits_kernel": 256, "negate_kernel": 256, "repeat_rows_kernel": 256,
    "jem_head_kernel": 256, "jem_batch_sums_kernel": 256,
    "uniform_rows_kernel": 256, "replay_draw_kernel": 256, "replay_claim_kernel": 256, "replay_write_kernel": 256,
    "draw_classes_kernel": 256, "tempering_swap_kernel": 256, "tempering_chain_kernel": 256,
    "centering_offsets_kernel": 256, "centering_weights_kernel": 256, "centering_visible_bias_kernel": 256,
    "centering_hidden_bias_kernel": 256,
    "sample_momentum_kernel": 128, "sample_accept_kernel": 128,  # sample_steps.cu
    "sample_chains_kernel": 128,  # include/ebmkit/detail/sample_cuda.cuh, instantiated by host/sample_energies.cpp
    "sample_block_chains_kernel": 256,  # detail::block_threads, the same
    "denoising_score": 256,  # score_fused.cu: block::threads
    "perturbation": 256, "projections": 256, "subtract": 256,  # score.cu: score_threads
    "perturb": 256, "residual_rows": 256, "tangent_head_rows": 256, "tangent_delta": 256,  # score_unfused.cu
    "times_act_grad": 256, "restore_clamped_kernel": 256,  # sample_steps.cu
    "apply": 256, "sliced_pass": 256,  # score_sliced.cu: score_sliced::threads, block::threads
}
REGISTERS_PER_SM = 65536
STATIC_SHARED_LIMIT = 48 * 1024
SPILL_LIMIT = 64


def demangle(names):
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def base_name(demangled):
    name = demangled.replace("(anonymous namespace)::", "")
    name = re.split(r"[<(]", name, maxsplit=1)[0]  # drop template arguments and parameters
    return name.split("::")[-1].replace("void ", "")


def split_arguments(text):
    """Top-level comma-separated arguments (commas inside parentheses stay)."""
    args, depth, current = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    args.append(current.strip())
    return args


def read_reports(build_dir):
    kernels = []  # dicts: mangled, file, registers, smem, spill
    # Every CUDA object: the kernels/ files, and the library sources nvcc compiles (host/sample_energies.cpp).
    for report in sorted(pathlib.Path(build_dir).rglob("*.o.resource-usage")):
        current = None
        for line in report.read_text().splitlines():
            m = re.search(r"Compiling entry function '([^']+)' for 'sm_(\d+)'", line)
            if m:
                current = {"mangled": m.group(1), "arch": m.group(2), "file": report.name.replace(".o.resource-usage", ""),
                           "registers": None, "smem": 0, "spill": 0}
                kernels.append(current)
                continue
            if current is None:
                continue
            m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
            if m:
                current["spill"] = max(int(m.group(1)), int(m.group(2)))
            m = re.search(r"Used (\d+) registers", line)
            if m:
                current["registers"] = int(m.group(1))
                s = re.search(r"(\d+) bytes smem", line)
                current["smem"] = int(s.group(1)) if s else 0
    return kernels


def launch_sites_without_opt_in(kernels_dir):
    """Launches whose third <<< >>> argument (dynamic shared memory) is not 0 and whose
    launcher function does not call cudaFuncSetAttribute before them."""
    problems = []
    sources = [*pathlib.Path(kernels_dir).glob("*.cu"), *pathlib.Path(kernels_dir).glob("*.cuh")]
    for source in sorted(sources):
        text = source.read_text()
        for m in re.finditer(r"<<<([^>]*)>>>", text):
            args = split_arguments(m.group(1))
            if len(args) < 3 or args[2] == "0":
                continue
            # The enclosing function: from the last line that opens a function at column 0.
            start = max(text.rfind("\n}\n", 0, m.start()), 0)
            if "cudaFuncSetAttribute" not in text[start:m.start()]:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{source.name}:{line}: a launch with dynamic shared memory ({args[2]}) "
                                "without cudaFuncSetAttribute(..., cudaFuncAttributeMaxDynamicSharedMemorySize, ...)")
        # Launches through cudaLaunchKernelEx (thread-block clusters) take their dynamic
        # shared memory from the config; they opt in the same way.
        for m in re.finditer(r"cudaLaunchKernelEx\(", text):
            start = max(text.rfind("\n}\n", 0, m.start()), 0)
            if "dynamicSmemBytes" in text[start:m.start()] and "cudaFuncSetAttribute" not in text[start:m.start()]:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{source.name}:{line}: a cudaLaunchKernelEx with dynamic shared memory without "
                                "cudaFuncSetAttribute(..., cudaFuncAttributeMaxDynamicSharedMemorySize, ...)")
    return problems


def main():
    build_dir, kernels_dir = sys.argv[1], sys.argv[2]
    kernels = read_reports(build_dir)
    if not kernels:
        print(f"FAIL: no ptxas resource reports under {build_dir} (built without --resource-usage?)")
        return 1
    failures = []
    seen = set()
    for k, demangled in zip(kernels, demangle([k["mangled"] for k in kernels])):
        name = base_name(demangled)
        seen.add(name)
        where = f"{k['file']}: {demangled[:160]} (sm_{k['arch']})"
        threads = THREADS.get(name)
        if threads is None:
            failures.append(f"{where}: unknown kernel '{name}': add its threads per block to THREADS")
            continue
        if k["registers"] is None:
            failures.append(f"{where}: no register count in the report")
            continue
        if k["registers"] * threads > REGISTERS_PER_SM:
            failures.append(f"{where}: {k['registers']} registers x {threads} threads = "
                            f"{k['registers'] * threads} > {REGISTERS_PER_SM}")
        if k["smem"] > STATIC_SHARED_LIMIT:
            failures.append(f"{where}: {k['smem']} bytes of static shared memory > {STATIC_SHARED_LIMIT}")
        if k["spill"] > SPILL_LIMIT:
            failures.append(f"{where}: {k['spill']} bytes of local-memory spill > {SPILL_LIMIT}")
    for name in sorted(set(THREADS) - seen):
        failures.append(f"THREADS names '{name}', which no report contains: remove it")
    failures += launch_sites_without_opt_in(kernels_dir)
    print(f"{len(kernels)} kernel instances in {len({k['file'] for k in kernels})} files; "
          f"most registers: {max(k['registers'] or 0 for k in kernels)}, most static shared memory: "
          f"{max(k['smem'] for k in kernels)} bytes, largest spill: {max(k['spill'] for k in kernels)} bytes")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
