"""The examples the documentation shows run, as a user would run them."""
import os
import pathlib
import subprocess
import sys

import pytest

examples = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name, says", [("quickstart.py", "loss"), ("checkpoint_torch.py", "agree")])
def test_example_runs(name, says):
    pytest.importorskip("torch")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    run = subprocess.run([sys.executable, str(examples / name)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert says in run.stdout
