"""Fashion-MNIST from its IDX files (gzip) as NumPy arrays, for the examples."""
import gzip
import os

import numpy as np

DEFAULT = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def load(split, folder=DEFAULT, limit=0):
    """(images [N, 784] float32 in [0, 1], labels [N] int32); split is "train" or "t10k"."""
    with gzip.open(os.path.join(folder, f"{split}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    if limit:
        images, labels = images[:limit], labels[:limit]
    return images.astype(np.float32) / 255, labels.astype(np.int32)
