#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's logsumexp workload: torch.logsumexp over the rows of a
ROWS x COLS fp32 matrix, eager and torch.compile'd, with several copies of the input
so consecutive runs read beyond the L2 (as ebm-bench does), written in ebm-bench's
JSON format (bytes moved: the input once and one float per row).

    python3 bench/peers/torch_logsumexp.py --shape 65536x1000 4096x10 1048576x10 --json torch_logsumexp.json
"""
import argparse
import math

import torch

from peer_common import attempt, device, now, time_ms, variants, write_records


def lse(x):
    return torch.logsumexp(x, dim=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", nargs="+", default=["4096x10", "4096x1000", "1024x32768", "16x1048576"])
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--json", default="")
    a = p.parse_args()
    cuda, dev, device_name = device()
    records = []
    for variant, fn in variants(lse):
        for shape in a.shape:
            rows, cols = (int(v) for v in shape.split("x"))
            in_bytes = 4.0 * rows * cols
            copies = min(1024, math.ceil(256e6 / in_bytes)) if cuda else 1

            def run():
                torch.manual_seed(1)
                xs = [torch.rand(rows, cols, device=dev) * 20 - 10 for _ in range(copies)]
                turn = [0]

                def once():
                    turn[0] += 1
                    return fn(xs[turn[0] % copies])

                med, lo, hi = time_ms(once, a.reps, cuda, warmup=3)
                moved = in_bytes + 4.0 * rows
                records.append({
                    "workload": "logsumexp", "shape": f"{rows}x{cols}", "variant": variant, "device": device_name,
                    "torch": torch.__version__, "date": now(), "median_ms": med, "min_ms": lo, "max_ms": hi,
                    "rows_per_s": rows / (med * 1e-3), "achieved": moved / (med * 1e-3), "roofline": "bandwidth",
                })
                print(f"{variant:14s} logsumexp {rows}x{cols}: {med:9.4f} ms, {moved / (med * 1e-3) / 1e9:8.1f} GB/s")

            attempt(f"{variant} {shape}", run)
    write_records(a.json, records)


if __name__ == "__main__":
    main()
