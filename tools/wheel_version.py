"""The wheel's version, a scikit-build-core metadata provider (pyproject.toml): the
library's version (CMakeLists.txt's project VERSION, the same as ebm --version and
ebmkit.__version__) with a local label saying what the wheel holds, as PyTorch's wheels
do: +cu130 with CUDA kernels built by nvcc 13.0, +cpu without. CMakeLists.txt builds what
the label says (it reads SKBUILD_PROJECT_VERSION_FULL), so the name cannot lie.

CUDA is taken when an nvcc is found (CUDACXX, PATH, /usr/local/cuda/bin/nvcc), as the
CMake build's AUTO does; EBMKIT_CUDA=OFF in the environment builds without it, and
EBMKIT_CUDA=ON fails when no nvcc is found.
"""
import os
import pathlib
import re
import shutil
import subprocess

__all__ = ["dynamic_metadata"]

_root = pathlib.Path(__file__).resolve().parents[1]


def _library_version():
    text = (_root / "CMakeLists.txt").read_text()
    return re.search(r"project\(ebmkit VERSION ([0-9.]+)", text).group(1)


def _nvcc():
    for candidate in (os.environ.get("CUDACXX"), shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _label():
    choice = os.environ.get("EBMKIT_CUDA", "AUTO").upper()
    if choice == "OFF":
        return "cpu"
    nvcc = _nvcc()
    if nvcc is None:
        if choice == "ON":
            raise RuntimeError("EBMKIT_CUDA=ON but no nvcc was found (CUDACXX, PATH, /usr/local/cuda/bin)")
        return "cpu"
    out = subprocess.run([nvcc, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = re.search(r"release (\d+)\.(\d+)", out).groups()
    return f"cu{major}{minor}"  # 13.0: cu130, 12.4: cu124


def dynamic_metadata(field, settings=None):
    if field != "version":
        raise RuntimeError(f"wheel_version provides the version only, not {field}")
    return f"{_library_version()}+{_label()}"
