"""Safetensors between Python and C++: written by an independent Python writer (struct
+ json, as the format's spec says) and read by ebmkit, and the other way round."""
import json
import struct

import numpy as np

import ebmkit
from conftest import uniform


def write(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array).tobytes()
        dtype = {np.float32: "F32", np.int32: "I32"}[array.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        dtype = {"F32": np.float32, "I32": np.int32}[entry["dtype"]]
        out[name] = np.frombuffer(data[8 + n + start:8 + n + end], dtype).reshape(entry["shape"])
    return out, metadata


def test_python_written_files_load_in_cpp(rng, tmp_path, ctx):
    w0, b0, w1, b1 = uniform(rng, (6, 4)), uniform(rng, 6), uniform(rng, (3, 6)), uniform(rng, 3)
    path = str(tmp_path / "model.safetensors")
    write(path, {"layers.0.weight": w0, "layers.0.bias": b0, "layers.1.weight": w1, "layers.1.bias": b1},
          {"format": "ebmkit-mlp", "widths": "4,6,3", "activation": "tanh", "leaky_slope": "0.01"})
    model = ebmkit.MlpEnergy.load(path)
    assert model.widths == [4, 6, 3] and model.activation == "tanh"
    for mine, theirs in zip(ebmkit.parameters(model), [w0, b0, w1, b1]):
        assert np.array_equal(mine, theirs)
    tensors, metadata = ebmkit.load_safetensors(path)
    assert np.array_equal(tensors["layers.0.weight"], w0) and metadata["widths"] == "4,6,3"


def test_cpp_written_files_read_in_python(rng, tmp_path):
    model = ebmkit.MlpEnergy([5, 2], "elu")
    model.init_uniform(3)
    path = str(tmp_path / "saved.safetensors")
    model.save(path, {"note": "from C++ \"quoted\" caf\u00e9"})
    tensors, metadata = read(path)
    assert np.array_equal(tensors["layers.0.weight"], ebmkit.parameters(model)[0])
    assert metadata["note"] == "from C++ \"quoted\" caf\u00e9" and metadata["widths"] == "5,2"
    labels = np.array([3, -1, 7], np.int32)
    ebmkit.save_safetensors(path, {"labels": labels, "x": uniform(rng, (2, 2))}, {"k": "v"})
    tensors, metadata = read(path)
    assert np.array_equal(tensors["labels"], labels) and metadata == {"k": "v"}
    rbm = ebmkit.Rbm(4, 3)
    rbm.init_normal(2, 0.1)
    rbm.save(path)
    assert np.array_equal(read(path)[0]["W"], rbm.w())
    assert np.array_equal(ebmkit.Rbm.load(path).w(), rbm.w())
