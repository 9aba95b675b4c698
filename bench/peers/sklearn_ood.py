#!/usr/bin/env python3
"""The plain-classifier baseline of issue 30's OOD table: scikit-learn's MLPClassifier
(two 256-unit ReLU layers) trained on Fashion-MNIST, scored on its test images against
the same out-of-distribution sets `ebm jem ood` uses (ebmkit.make_ood_set, the same
seed), by its maximum softmax and by its energy score logsumexp of its logits (Liu et
al. 2020), with ebmkit's metrics and bootstrap intervals, written as `ebm jem ood
--json` writes its records. Needs the ebmkit package on PYTHONPATH (build/python).

    PYTHONPATH=build/python python3 bench/peers/sklearn_ood.py --json sklearn_ood.json
"""
import argparse
import json

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.neural_network import MLPClassifier

import ebmkit
from fashion_mnist import load_images


def load_labels(path):
    import gzip
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)


def logits(clf, x):
    h = x
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        h = h @ w + b
        if i + 1 < len(clf.coefs_):
            h = np.maximum(h, 0)
    return h


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--train-limit", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--digits", default="", help="a folder of tools/digits_to_idx.py's IDX files: one set more")
    p.add_argument("--json", default="")
    a = p.parse_args()
    x = load_images(f"{a.data}/train-images-idx3-ubyte.gz") / 255.0
    y = load_labels(f"{a.data}/train-labels-idx1-ubyte.gz")
    if a.train_limit:
        x, y = x[:a.train_limit], y[:a.train_limit]
    clf = MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=a.epochs, random_state=a.seed)
    clf.fit(x, y)
    test = (load_images(f"{a.data}/t10k-images-idx3-ubyte.gz") / 255.0).astype(np.float32)
    test_y = load_labels(f"{a.data}/t10k-labels-idx1-ubyte.gz")
    accuracy = float((clf.predict(test) == test_y).mean())
    images = np.ascontiguousarray(test[:a.count])

    def scores(batch):
        f = logits(clf, batch.astype(np.float64))
        return {"max_softmax": softmax(f, axis=1).max(1).astype(np.float32),
                "energy": logsumexp(f, axis=1).astype(np.float32)}

    inside = scores(images)
    records = []
    sets = ["uniform", "gaussian", "constant", "flip", "invert", "permute"] + (["digits"] if a.digits else [])
    for name in sets:
        if name == "digits":
            digits = (load_images(f"{a.digits}/digits-images-idx3-ubyte.gz") / 255.0).astype(np.float32)
            outside = scores(digits[:a.count])
        else:
            outside = scores(ebmkit.make_ood_set(name, images, 28, 28, a.seed))
        for score in inside:
            m = ebmkit.ood_metrics(inside[score], outside[score], a.reps, a.seed)
            rec = {"command": "sklearn ood", "model": "MLPClassifier 784-256-256-10", "test_accuracy": accuracy,
                   "set": name, "score": score, "images": len(images)}
            for metric in ("auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"):
                rec[metric] = dict(zip(("value", "low", "high"), m[metric]))
            records.append(rec)
            print(f"{name:9s} {score:12s} AUROC {m['auroc'][0]:.3f} [{m['auroc'][1]:.3f}, {m['auroc'][2]:.3f}]"
                  f"  FPR@95 {m['fpr_at_95_tpr'][0]:.3f}")
    print(f"test accuracy {accuracy:.4f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
