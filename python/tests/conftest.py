"""The Python suite: ebmkit from NumPy (and PyTorch where installed) against NumPy
references in double precision, central differences and enumeration. Run by
tools/test.sh as ``python -m pytest python/tests`` with the built package on the path."""
import os

import numpy as np
import pytest

import ebmkit


@pytest.fixture
def rng():
    """Fresh random inputs each run; EBMKIT_TEST_SEED=N replays one (the seed is printed on failure)."""
    seed = int(os.environ.get("EBMKIT_TEST_SEED", np.random.SeedSequence().entropy % (2**32)))
    print(f"EBMKIT_TEST_SEED={seed}")
    return np.random.default_rng(seed)


@pytest.fixture
def ctx():
    return ebmkit.Context("cpu", 7)


def uniform(rng, shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)
