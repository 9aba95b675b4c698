#!/usr/bin/env python3
"""An MNIST-like out-of-distribution set from what is installed: scikit-learn's bundled
handwritten digits (load_digits, 1,797 8x8 images, 17 grey levels) upsampled to MNIST's
28x28 (each pixel a 3x3 block, centred in a 2-pixel border, as MNIST centres its digits
in a 20x20 box) and written once as gzip IDX files, the format ebmkit reads:
    OUT/digits-images-idx3-ubyte.gz, OUT/digits-labels-idx1-ubyte.gz
A proxy for MNIST (not MNIST: coarser strokes, 1,797 images), for `ebm jem ood
--digits OUT` and `ebm rbm ood --digits OUT`.

usage: tools/digits_to_idx.py OUT
"""
import gzip
import pathlib
import struct
import sys

import numpy as np
from sklearn.datasets import load_digits


def main(out):
    digits = load_digits()
    small = digits.images  # [N, 8, 8], 0 .. 16
    n = len(small)
    big = np.zeros((n, 28, 28), dtype=np.float64)
    big[:, 2:26, 2:26] = np.kron(small, np.ones((3, 3)))
    pixels = np.round(big / 16.0 * 255.0).astype(np.uint8)
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "digits-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + pixels.tobytes())
    with gzip.open(folder / "digits-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + digits.target.astype(np.uint8).tobytes())
    print(f"{n} digits, 28x28, written to {folder}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1])
