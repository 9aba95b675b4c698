"""The trainers from Python: they train, and Ctrl-C stops an epoch between batches with
KeyboardInterrupt, leaving a trainer that continues the epoch bit for bit."""
import os
import signal
import threading

import numpy as np
import pytest

import ebmkit
from conftest import uniform


def test_jem_trainer_learns_two_stripes(rng):
    ctx = ebmkit.Context("cpu", 2)
    model = ebmkit.MlpEnergy([16, 8, 2], "elu")
    model.init_uniform(2)
    labels = (np.arange(400) % 2).astype(np.int32)
    images = np.where((np.arange(16)[None, :] % 2) == labels[:, None], 0.9, -0.9).astype(np.float32)
    images += rng.normal(0, 0.2, images.shape).astype(np.float32)
    o = ebmkit.JemTrainOptions()
    o.batch, o.lr, o.sgld_steps, o.buffer = 20, 0.01, 3, 50
    trainer = ebmkit.JemTrainer(ctx, model, o)
    for _ in range(3):
        stats = trainer.train_epoch(images, labels)
    assert trainer.iterations == 60 and np.isfinite(stats["loss"])
    assert trainer.evaluate(images, labels)["accuracy"] > 0.9


def test_ctrl_c_stops_an_epoch_between_batches(rng, tmp_path):
    # About half a second an epoch here: the interrupt at 20 ms lands well inside it.
    data = (rng.random((3000, 784)) < 0.3).astype(np.float32)
    o = ebmkit.RbmTrainOptions()
    o.batch = 5

    def trainer():
        rbm = ebmkit.Rbm(784, 100)
        rbm.init_normal(3)
        return rbm, ebmkit.RbmTrainer(ebmkit.Context("cpu", 5), rbm, o)

    rbm, interrupted = trainer()
    timer = threading.Timer(0.02, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        interrupted.train_epoch(data)
    timer.join()
    stopped_at = interrupted.batch_in_epoch
    assert 0 < stopped_at < len(data) // o.batch, "the interrupt did not land inside the epoch"
    path = str(tmp_path / "stopped.safetensors")
    interrupted.save(path)
    resumed_rbm, resumed = trainer()
    resumed.load(path)
    resumed.train_epoch(data)
    whole_rbm, whole = trainer()
    whole.train_epoch(data)
    assert resumed.epoch == whole.epoch == 1
    assert np.array_equal(resumed_rbm.w(), whole_rbm.w())
    interrupted.train_epoch(data)  # the interrupted trainer itself finishes the epoch the same way
    assert np.array_equal(rbm.w(), whole_rbm.w())


def test_jem_options_and_single_steps(rng):
    o = ebmkit.JemTrainOptions()
    assert (o.max_energy_gap, o.snapshot_every, o.sampler.steps, o.sampler.start) == (1e4, 100, 20, "replay_buffer")
    o.batch, o.sgld_steps, o.buffer, o.snapshot_every = 8, 2, 16, 3
    o.sampler.reinit = 0.5  # the sampler's fields and the flat ones are the same options
    assert (o.sampler.steps, o.reinit, o.sampler.buffer_size) == (2, 0.5, 16)
    o.max_energy_gap = 1e-6  # every iteration now looks divergent: the guard rolls back
    model = ebmkit.MlpEnergy([4, 8, 2], "elu")
    model.init_uniform(3)
    before = [p.copy() for p in ebmkit.parameters(model)]
    trainer = ebmkit.JemTrainer(ebmkit.Context("cpu", 4), model, o)
    x = uniform(rng, (8, 4))
    y = (np.arange(8) % 2).astype(np.int32)
    stats = trainer.step(x, y)
    assert stats["rolled_back"] and np.isfinite(stats["loss"])
    assert all(np.array_equal(a, b) for a, b in zip(before, ebmkit.parameters(model)))
    o.max_energy_gap = 1e4
    trainer = ebmkit.JemTrainer(ebmkit.Context("cpu", 4), model, o)
    stats = trainer.step(x, y)
    assert not stats["rolled_back"] and trainer.iterations == 1
    assert not all(np.array_equal(a, b) for a, b in zip(before, ebmkit.parameters(model)))


def test_parallel_tempering_and_centred_training_from_python(rng):
    betas = ebmkit.geometric_betas(3, 0.25)
    assert np.allclose(betas, [0.25, 0.5, 1.0])
    ctx = ebmkit.Context("cpu", 6)
    rbm = ebmkit.Rbm(10, 4)
    rbm.init_normal(1, 0.5)
    pt = ebmkit.ParallelTempering(ctx, 10, 4, 7, betas)
    start = (rng.random((7, 10)) < 0.5).astype(np.float32)
    pt.reset(start)
    assert np.array_equal(pt.states()[:7], start) and np.array_equal(pt.states()[14:], start)
    pt.run(rbm, 6)
    assert pt.sweeps == 6 and pt.swaps_attempted() == [21, 21]  # 3 sweeps of each parity, 7 chains
    assert pt.samples().shape == (7, 10) and set(np.unique(pt.samples())) <= {0.0, 1.0}
    assert all(0 <= r <= 1 for r in pt.swap_rates())
    o = ebmkit.RbmTrainOptions()
    o.batch, o.tempering_replicas, o.centered = 10, 3, True
    data = (rng.random((40, 10)) < 0.3).astype(np.float32)
    stats = ebmkit.RbmTrainer(ebmkit.Context("cpu", 2), rbm, o).train_epoch(data)
    assert stats["updates"] == 4 and len(stats["swap_rates"]) == 2


# Where each option of the ebm train commands lives in Python: an attribute of the
# trainer's options, or what a Python caller does itself (the model it builds, the data
# it passes, the loop it runs, the file it saves), named.
_CALLER = {"--help", "--data", "--epochs", "--train-limit", "--seed", "--backend", "--out", "--resume", "--log",
           "--json", "--config", "--config-from", "--curves", "--valid", "--patience"}
_HOMES = {
    "rbm train": ("RbmTrainOptions", {
        "--hidden": "Rbm(visible, hidden)", "--cd": "persistent = False, k", "--pcd": "k", "--batch": "batch",
        "--lr": "lr", "--lr-decay": "lr_decay", "--momentum": "momentum", "--weight-decay": "weight_decay",
        "--chains": "chains", "--pt": "tempering_replicas", "--pt-beta-min": "tempering_beta_min",
        "--centered": "centered", "--binarize": "the data passed (binary)"}),
    "jem train": ("JemTrainOptions", {
        "--widths": "MlpEnergy(widths)", "--activation": "MlpEnergy(activation)", "--batch": "batch",
        "--optimizer": "optimizer", "--lr": "lr", "--weight-decay": "weight_decay", "--sgld-steps": "sgld_steps",
        "--sgld-alpha": "sgld_alpha", "--sgld-sigma": "sgld_sigma", "--buffer": "buffer", "--reinit": "reinit",
        "--clf-weight": "classifier_weight", "--gen-weight": "generative_weight", "--energy-l2": "energy_l2",
        "--class-conditional": "class_conditional", "--classes": "the data passed (ebmkit rows of classes)"}),
    "score train": ("ScoreTrainOptions", {
        "--dataset": "the data passed", "--samples": "the data passed", "--widths": "MlpEnergy(widths)",
        "--activation": "MlpEnergy(activation)", "--loss": "loss", "--sigma-max": "sigmas", "--sigma-min": "sigmas",
        "--levels": "sigmas", "--conditioning": "conditioning", "--no-sigma-weight": "sigma_squared_weight",
        "--projection": "projection", "--batch": "batch", "--optimizer": "optimizer", "--lr": "lr"}),
}


@pytest.mark.parametrize("command", sorted(_HOMES))
def test_every_train_option_of_the_command_has_a_python_home(command):
    """The trainers' Python options cover every option the ebm command's train commands
    have: each maps to an attribute of the options (which must exist) or to what the
    caller does itself."""
    import pathlib
    import re
    import subprocess

    ebm = pathlib.Path(__file__).resolve().parents[2] / "build" / "bin" / "ebm"
    if not ebm.exists():
        pytest.skip("no build/bin/ebm beside this test (an installed wheel)")
    text = subprocess.run([str(ebm), *command.split(), "--help"], capture_output=True, text=True, check=True).stdout
    options = set(re.findall(r"^  (?:-\w,)?(--[a-z0-9-]+)", text, re.M))
    cls, homes = _HOMES[command]
    fields = set(dir(getattr(ebmkit, cls)()))
    missing = sorted(options - _CALLER - set(homes))
    assert not missing, f"ebm {command} options with no Python home: {missing}"
    for option, home in homes.items():
        assert option in options, f"ebm {command} has no {option} any more"
        if home.startswith("the ") or "(" in home:
            continue  # the caller's: the data or the model
        for part in home.split(","):
            name = part.split("=")[0].strip()
            assert name in fields, f"{cls} has no {name} (for {option})"
