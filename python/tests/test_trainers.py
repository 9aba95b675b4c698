"""The trainers from Python: they train, and Ctrl-C stops an epoch between batches with
KeyboardInterrupt, leaving a trainer that continues the epoch bit for bit."""
import os
import signal
import threading

import numpy as np
import pytest

import ebmkit


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
