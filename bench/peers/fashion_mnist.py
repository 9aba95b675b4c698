"""Binarised Fashion-MNIST training images for the peers, as ebmkit reads them (the IDX
files of Debian's dataset-fashion-mnist, gzip; a pixel is on above half intensity).
NumPy only, so the scikit-learn peer needs no torch."""
import gzip
import struct
import sys

import numpy as np


def load_images(path):
    """The uint8 images of an IDX image file, one row each."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803:
        sys.exit(f"{path}: not an IDX image file")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols)


def binarised_train_images(folder):
    """[60000, 784] float64 zeros and ones: ebm's --binarize threshold."""
    return (load_images(f"{folder}/train-images-idx3-ubyte.gz") / 255.0 > 0.5).astype(np.float64)
