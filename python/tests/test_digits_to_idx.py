"""tools/digits_to_idx.py: scikit-learn's digits as 28x28 IDX files (issue 30's MNIST proxy):
the headers, and every image its 8x8 digit as 3x3 blocks in a 2-pixel border."""
import gzip
import pathlib
import struct
import subprocess
import sys

import numpy as np
import pytest

datasets = pytest.importorskip("sklearn.datasets")

TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "digits_to_idx.py"


def test_digits_become_idx_images(tmp_path):
    subprocess.run([sys.executable, str(TOOL), str(tmp_path)], check=True, capture_output=True)
    with gzip.open(tmp_path / "digits-images-idx3-ubyte.gz") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    assert (magic, n, rows, cols) == (0x803, 1797, 28, 28)
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 28, 28)
    with gzip.open(tmp_path / "digits-labels-idx1-ubyte.gz") as f:
        labels = f.read()
    assert struct.unpack(">II", labels[:8]) == (0x801, 1797)
    digits = datasets.load_digits()
    np.testing.assert_array_equal(np.frombuffer(labels, dtype=np.uint8, offset=8), digits.target)
    assert not images[:, :2].any() and not images[:, 26:].any() and not images[:, :, :2].any()
    blocks = images[:, 2:26, 2:26].reshape(n, 8, 3, 8, 3)
    np.testing.assert_array_equal(blocks.min((2, 4)), blocks.max((2, 4)))  # constant 3x3 blocks
    np.testing.assert_array_equal(blocks[:, :, 0, :, 0], np.round(digits.images / 16 * 255).astype(np.uint8))
