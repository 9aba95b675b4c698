#!/usr/bin/env python3
"""bench/table.py, issue 11's table, against records whose ratios are known: the ratio
is the peer's median over ebmkit's, a target is met only with its roofline share, a
missing record is "not measured" and never a number, two runs mixed are refused, the
row furthest from its target is named; and it reads a real ebm-bench record.

usage: bench_table_test.py SOURCE_DIR EBM_BENCH
"""
import importlib.util
import json
import pathlib
import subprocess
import sys
import tempfile


def record(workload, shape, variant, ms, fraction=None):
    r = {"workload": workload, "shape": shape, "variant": variant, "median_ms": ms}
    if fraction is not None:
        r.update(roofline="bandwidth", roofline_rate=4.0e12, roofline_fraction=fraction)
    return r


def main(source, ebm_bench):
    spec = importlib.util.spec_from_file_location("table", pathlib.Path(source) / "bench" / "table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    failures = []

    def check(what, ok):
        print(("ok: " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)

    mlp = "784-256-256-10"
    records = [
        # 4x torch at 90% of bandwidth: met; 4x at 50%: missed on the roofline alone.
        record("logsumexp", "65536x1000", "cuda-fused", 1.0, 0.90), record("logsumexp", "65536x1000", "torch-eager", 4.0),
        record("logsumexp", "4096x10", "cuda-fused", 0.01, 0.50), record("logsumexp", "4096x10", "torch-eager", 0.04),
        # 5x of a 10x target: the furthest row.
        record("langevin", f"4096 chains x 60 steps, {mlp} fp32", "cuda-fused", 20.0),
        record("langevin", f"4096 chains x 60 steps, {mlp} fp32", "torch-eager", 100.0),
        # 6x of 3x.
        record("mlp_score", f"4096 rows, {mlp} bf16", "cuda-fused", 0.5),
        record("mlp_score", f"4096 rows, {mlp} bf16", "torch-compile", 3.0),
        # ebmkit without its peer, and a record of another variant: neither is a ratio.
        record("jem_iteration", f"batch 64, 20 SGLD steps, {mlp}", "cuda-fused", 2.0),
        record("rbm_gibbs", "1024 chains x 1000 steps, 784x500 fp32", "cuda-unfused", 9.0),
    ]
    rows = table.rows(records, "cuda-fused")
    by = {(r["shape"], r["peer"]): r for r in rows}
    lse = by[("65536x1000", "torch-eager")]
    check("LogSumExp 65536x1000: ratio 4, 90% of bandwidth, met",
          abs(lse["ratio"] - 4.0) < 1e-12 and abs(lse["fraction"] - 0.9) < 1e-12 and lse["met"] is True)
    check("LogSumExp 4096x10: ratio 4 but 50% of bandwidth, missed", by[("4096x10", "torch-eager")]["met"] is False)
    lang = by[(f"4096 chains x 60 steps, {mlp} fp32", "torch-eager")]
    check("Langevin: ratio 5 of 10, missed", abs(lang["ratio"] - 5.0) < 1e-12 and lang["met"] is False)
    check("score bf16 at 4096 against torch-compile: ratio 6, met",
          by[(f"4096 rows, {mlp} bf16", "torch-compile")]["met"] is True)
    jem = by[(f"batch 64, 20 SGLD steps, {mlp}", "torch-eager")]
    check("JEM without its peer: not measured", jem["ratio"] is None and jem["met"] is None and jem["peer_ms"] is None)
    gibbs = by[("1024 chains x 1000 steps, 784x500 fp32", "torch-eager")]
    check("Gibbs: another variant's record is not ebmkit's", gibbs["ours_ms"] is None and gibbs["ratio"] is None)
    worst = table.furthest(rows)
    check("the furthest row is the Langevin chain", worst is lang)
    # By default each row reads the variant MlpPath::Auto takes: the unfused path for the
    # MLP-based rows, the one CUDA variant (cuda-fused) for the others.
    defaults = {(r["shape"], r["peer"]): r for r in table.rows(records + [
        record("langevin", f"4096 chains x 60 steps, {mlp} fp32", "cuda-unfused", 11.0)])}
    check("by default the Langevin row reads the unfused record",
          defaults[(f"4096 chains x 60 steps, {mlp} fp32", "torch-eager")]["ours_ms"] == 11.0
          and defaults[(f"4096 chains x 60 steps, {mlp} fp32", "torch-eager")]["variant"] == "cuda-unfused")
    check("by default LogSumExp reads cuda-fused", defaults[("65536x1000", "torch-eager")]["ours_ms"] == 1.0)
    check("by default JEM reads no fused record", defaults[(f"batch 64, 20 SGLD steps, {mlp}", "torch-eager")]["ours_ms"] is None)
    md = table.markdown(rows)
    check("the Markdown has a line per row", md.count("\n") == len(table.ROWS) + 1)
    check("a missing time reads 'not measured'", "not measured" in md and "None" not in md)

    with tempfile.TemporaryDirectory() as tmp:
        mixed = pathlib.Path(tmp) / "mixed.json"
        mixed.write_text(json.dumps(records + [record("logsumexp", "65536x1000", "cuda-fused", 1.1, 0.8)]))
        run = subprocess.run([sys.executable, str(pathlib.Path(source) / "bench" / "table.py"), str(mixed)],
                             capture_output=True, text=True)
        check("two records of one row (two runs mixed) are refused", run.returncode != 0 and "give one run" in run.stderr)
        # ebm-bench's own record for a row's shape, read through the command line.
        real = pathlib.Path(tmp) / "real.json"
        subprocess.run([ebm_bench, "--variant", "cpu", "--workload", "logsumexp", "--shape", "4096x10", "--reps", "2",
                        "--json", str(real)], check=True, capture_output=True)
        peer = pathlib.Path(tmp) / "peer.json"
        ours = json.loads(real.read_text())[0]
        peer.write_text(json.dumps([record("logsumexp", "4096x10", "torch-eager", 3.0 * ours["median_ms"])]))
        run = subprocess.run([sys.executable, str(pathlib.Path(source) / "bench" / "table.py"), str(real), str(peer),
                              "--variant", "cpu-reference"], capture_output=True, text=True)
        line = [l for l in run.stdout.splitlines() if "| 4096x10 |" in l]
        check("an ebm-bench record fills its row (ratio 3.00x)", run.returncode == 0 and len(line) == 1
              and "| 3.00x |" in line[0])

    if failures:
        print(f"bench table checks: {len(failures)} FAILED")
        return 1
    print("bench table checks: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
