#!/usr/bin/python3
"""Train scikit-learn's BernoulliRBM on binarised Fashion-MNIST with the settings
`ebm rbm train` uses, and write it as an ebmkit checkpoint (safetensors: W [D, M],
b [D], c [M]) so `ebm rbm eval` scores both models with the same AIS code.

    bench/peers/sklearn_rbm.py --hidden 500 --epochs 5 --batch 100 --lr 0.05 --out sk.safetensors
    bench/peers/sklearn_rbm.py --epochs 1 --json sklearn_rbm.json   (an epoch's time as an ebm-bench record)

scikit-learn's BernoulliRBM is PCD-1 with persistent chains of batch size, the
learning rate applied to the batch-mean gradient, no momentum, no weight decay:
compare with `ebm rbm train --pcd 1 --momentum 0 --weight-decay 0`.
Needs Debian's python3-sklearn (run with /usr/bin/python3).
"""
import argparse
import datetime
import json
import os
import struct
import time

import numpy as np
import sklearn
from sklearn.neural_network import BernoulliRBM

from fashion_mnist import binarised_train_images


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
    p.add_argument("--json", default="", help="also write the mean epoch time as an ebm-bench record")
    a = p.parse_args()

    x = binarised_train_images(a.data)
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
    if a.json:
        epoch_ms = 1e3 * seconds / a.epochs
        record = {"workload": "rbm_pcd_epoch", "shape": f"{x.shape[0]} images, batch {a.batch}, {x.shape[1]}x{a.hidden}, PCD-1",
                  "variant": "sklearn-cpu", "device": f"cpu ({os.cpu_count()} threads)", "sklearn": sklearn.__version__,
                  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "median_ms": epoch_ms, "min_ms": epoch_ms, "max_ms": epoch_ms, "epochs": a.epochs,
                  "images_per_s": x.shape[0] / (epoch_ms * 1e-3)}
        with open(a.json, "w") as f:
            json.dump([record], f, indent=1)


if __name__ == "__main__":
    main()
