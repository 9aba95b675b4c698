#!/usr/bin/env python3
"""Issue 11's table from one run's records: ebmkit's time, the peer's, the ratio (the
peer's time over ebmkit's: how many times faster ebmkit is), its target, and ebmkit's
fraction of the measured roofline (copy bandwidth, or the measured GEMM rate of the
precision), as Markdown for bench/RESULTS.md. Then the row furthest from its target,
the one to profile first.

    bench/table.py RECORDS.json... [--variant VARIANT]

ebmkit's time is the variant a user gets by default: on a GPU, the MLP-based rows
(score, Langevin, JEM) take the unfused path (MlpPath::Auto, measured faster on an
H200), the others have one CUDA variant (cuda-fused). --variant takes one for every row
(cpu-reference: a CPU run; cuda-fused: the fused kernels, MlpPath::Fused).

RECORDS: ebm-bench --json files and the peers' (bench/peers/*.py --json), from the same
run on the same device. A row whose records are missing says "not measured"; nothing
is guessed. Standard library only.
"""
import argparse
import json
import sys

MLP = "784-256-256-10"

# (what, ebmkit's workload, shape, peer variant, target ratio, roofline target or None)
ROWS = [("LogSumExp fp32", "logsumexp", shape, "torch-eager", 3.0, 0.85)
        for shape in ("65536x1000", "4096x10", "1048576x10")]
ROWS += [(f"score grad_x E, {MLP}", "mlp_score", f"{rows} rows, {MLP} {precision}", peer, target, None)
         for precision in ("fp32", "tf32", "bf16") for rows, target in ((4096, 3.0), (65536, 1.5))
         for peer in ("torch-eager", "torch-compile")]
ROWS += [(f"Langevin chain, {MLP}", "langevin", f"4096 chains x 60 steps, {MLP} fp32", "torch-eager", 10.0, None),
         (f"Langevin chain, {MLP}", "langevin", f"4096 chains x 60 steps, {MLP} fp32", "torch-compile-graph", 3.0,
          None),
         ("RBM block Gibbs 784x500", "rbm_gibbs", "1024 chains x 1000 steps, 784x500 fp32", "torch-eager", 5.0, None),
         ("PCD-1 epoch, Fashion-MNIST", "rbm_pcd_epoch", "60000 images, batch 100, 784x500, PCD-1", "sklearn-cpu",
          50.0, None),
         ("PCD-1 epoch, Fashion-MNIST", "rbm_pcd_epoch", "60000 images, batch 100, 784x500, PCD-1", "torch-eager",
          3.0, None),
         ("JEM iteration", "jem_iteration", f"batch 64, 20 SGLD steps, {MLP}", "torch-eager", 10.0, None)]


def load(paths):
    """The records of ebm-bench's and the peers' files (JSON arrays) and of the files
    bench/record_run.py keeps in bench/results/ (their "records")."""
    records = []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        records += data if isinstance(data, list) else data.get("records", [data])
    return records


def find(records, workload, shape, variant):
    """The one record of (workload, shape, variant), or None; two are an error (two runs mixed)."""
    found = [r for r in records if r.get("workload") == workload and r.get("shape") == shape
             and r.get("variant") == variant and "median_ms" in r]
    if len(found) > 1:
        sys.exit(f"table.py: {len(found)} records of {workload} / {shape} / {variant}: give one run's files")
    return found[0] if found else None


# The variant MlpPath::Auto takes on a GPU, per ebm-bench workload (else cuda-fused).
DEFAULT_VARIANTS = {"mlp_score": "cuda-unfused", "langevin": "cuda-unfused", "jem_iteration": "cuda-unfused"}


def default_variant(workload):
    return DEFAULT_VARIANTS.get(workload, "cuda-fused")


def rows(records, variant=None):
    """One dict per table row: the records found and what follows from them; ebmkit's
    record is of `variant`, or of the row's default variant when None."""
    out = []
    for what, workload, shape, peer, target, roof_target in ROWS:
        ours_variant = variant or default_variant(workload)
        ours, theirs = find(records, workload, shape, ours_variant), find(records, workload, shape, peer)
        row = {"what": what, "shape": shape, "variant": ours_variant, "peer": peer, "target": target,
               "roof_target": roof_target,
               "ours_ms": ours["median_ms"] if ours else None, "peer_ms": theirs["median_ms"] if theirs else None,
               "roofline": ours.get("roofline") if ours else None,
               "fraction": ours.get("roofline_fraction") if ours and ours.get("roofline_rate") else None}
        row["ratio"] = row["peer_ms"] / row["ours_ms"] if ours and theirs and row["ours_ms"] > 0 else None
        row["met"] = None if row["ratio"] is None else (
            row["ratio"] >= target and (roof_target is None or (row["fraction"] or 0) >= roof_target))
        out.append(row)
    return out


def markdown(table):
    def ms(v):
        return "not measured" if v is None else f"{v:.4g}"
    lines = ["| workload | shape | ebmkit | ebmkit ms | peer | peer ms | ratio | target | roofline | met |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table:
        target = f">= {r['target']:g}x" + (f", >= {100 * r['roof_target']:.0f}% of bandwidth" if r["roof_target"] else "")
        roof = "n/a" if r["fraction"] is None else f"{100 * r['fraction']:.0f}% of {r['roofline']}"
        ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        met = {None: "n/a", True: "yes", False: "**no**"}[r["met"]]
        lines.append(f"| {r['what']} | {r['shape']} | {r['variant']} | {ms(r['ours_ms'])} | {r['peer']} | {ms(r['peer_ms'])} | {ratio} "
                     f"| {target} | {roof} | {met} |")
    return "\n".join(lines)


def furthest(table):
    """The measured row with the smallest ratio over its target (below 1: missed)."""
    measured = [r for r in table if r["ratio"] is not None]
    return min(measured, key=lambda r: r["ratio"] / r["target"]) if measured else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("records", nargs="+")
    p.add_argument("--variant", default=None,
                   help="ebmkit's variant for every row (default: each row's default path; cpu-reference: a CPU run)")
    a = p.parse_args()
    table = rows(load(a.records), a.variant)
    print(markdown(table))
    worst = furthest(table)
    if worst:
        print(f"\nfurthest from its target: {worst['what']}, {worst['shape']} against {worst['peer']}: "
              f"{worst['ratio']:.2f}x of {worst['target']:g}x")
    missing = sum(r["ratio"] is None for r in table)
    if missing:
        print(f"\n{missing} of {len(table)} rows not measured")


if __name__ == "__main__":
    main()
