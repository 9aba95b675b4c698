#!/usr/bin/python3
"""Train scikit-learn's BernoulliRBM on binarised Fashion-MNIST with the settings
`ebm rbm train` uses, and write it as an ebmkit checkpoint (safetensors: W [D, M],
b [D], c [M]) so `ebm rbm eval` scores both models with the same AIS code.

    bench/peers/sklearn_rbm.py --hidden 500 --epochs 5 --batch 100 --lr 0.05 --out sk.safetensors

scikit-learn's BernoulliRBM is PCD-1 with persistent chains of batch size, the
learning rate applied to the batch-mean gradient, no momentum, no weight decay:
compare with `ebm rbm train --pcd 1 --momentum 0 --weight-decay 0`.
Needs Debian's python3-sklearn (run with /usr/bin/python3).
"""
import argparse
import gzip
import json
import struct
import sys
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM


def load_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803:
        sys.exit(f"{path}: not an IDX image file")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols)


def save_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset, blobs = 0, []
    for name, array in tensors:
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="sklearn-rbm.safetensors")
    a = p.parse_args()

    x = (load_images(f"{a.data}/train-images-idx3-ubyte.gz") / 255.0 > 0.5).astype(np.float64)
    rbm = BernoulliRBM(n_components=a.hidden, learning_rate=a.lr, batch_size=a.batch, n_iter=a.epochs,
                       random_state=a.seed, verbose=0)
    start = time.perf_counter()
    rbm.fit(x)
    seconds = time.perf_counter() - start
    save_safetensors(a.out, [("W", rbm.components_.T), ("b", rbm.intercept_visible_), ("c", rbm.intercept_hidden_)],
                     {"format": "ebmkit-rbm", "binarize": "threshold", "trainer": "sklearn.BernoulliRBM",
                      "epochs": str(a.epochs)})
    print(json.dumps({"peer": "sklearn.BernoulliRBM", "hidden": a.hidden, "epochs": a.epochs, "batch": a.batch,
                      "lr": a.lr, "train_seconds": seconds, "model": a.out}))


if __name__ == "__main__":
    main()
