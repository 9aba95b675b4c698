"""Independent NumPy references in double precision."""
import numpy as np

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "tanh": np.tanh,
    "softplus": lambda z: np.logaddexp(0, z),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
}


def logsumexp(x):
    m = x.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]


def mlp_logits(params, activation, x):
    h = np.asarray(x, np.float64)
    act = ACTIVATIONS[activation]
    for layer in range(0, len(params), 2):
        h = h @ np.asarray(params[layer], np.float64).T + np.asarray(params[layer + 1], np.float64)
        if layer + 2 < len(params):
            h = act(h)
    return h


def energy(params, activation, x, labels=None):
    f = mlp_logits(params, activation, x)
    return -logsumexp(f) if labels is None else -f[np.arange(len(x)), labels]


def rbm_free_energy(w, b, c, v):
    v = np.asarray(v, np.float64)
    return -(v @ b) - np.logaddexp(0, v @ w + c).sum(axis=1)


def rbm_log_z(w, b, c):
    """By enumerating the visible layer."""
    d = w.shape[0]
    states = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(np.float64)
    return logsumexp(-rbm_free_energy(w, b, c, states)[None, :])[0]
