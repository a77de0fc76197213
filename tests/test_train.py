"""Training behaviour: losses fall, a killed run resumes to the same weights, checkpoints are safe."""

import numpy as np
import pandas as pd
import pytest
import torch

from drnet.data.mnist import build_split
from drnet.errors import DrnetError
from drnet.params import Runtime, section
from drnet.train import checkpoint as ckpt
from drnet.train.drnet_loop import load_drnet, train_drnet
from drnet.train.lstm_loop import load_lstm, train_lstm
from drnet.train.runtime import Context

CTX = Context(device=torch.device("cpu"))
RUNTIME = Runtime(num_workers=0, channels_last=False)


@pytest.fixture(scope="module")
def mnist(tmp_path_factory, ):
    from drnet.params import load_params

    params = load_params(variant="demo", overrides=[
        "mnist.data.train_sequences=64", "mnist.data.test_sequences=8", "mnist.model.width=8",
        "mnist.train.batch_size=16", "mnist.train.log_every=5", "mnist.lstm.batch_size=8",
        "mnist.lstm_model.hidden=16"])
    cfg = section(params, "mnist")
    path = tmp_path_factory.mktemp("mnist") / "train.h5"
    build_split(path, "train", cfg.data, seed=0)
    return cfg, path


def _train(cfg, store, out, steps, resume="auto", ckpt_every=1000):
    train_cfg = cfg.train.model_copy(update={"steps": steps, "checkpoint_every": ckpt_every})
    return train_drnet(model_cfg=cfg.model, train_cfg=train_cfg, runtime=RUNTIME, store_path=store,
                       model_out=out / "model.pt", checkpoint_path=out / "ckpt.pt", metrics_out=out / "m.csv",
                       seed=0, params={"steps": steps}, params_hash="h", ctx=CTX, resume=resume)


def test_losses_fall(mnist, tmp_path):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 40)
    metrics = pd.read_csv(tmp_path / "m.csv")
    assert list(metrics.columns) == ["step", "rec", "sim", "adv", "disc_loss", "disc_acc"]
    assert metrics["rec"].iloc[-1] < 0.6 * metrics["rec"].iloc[0]
    model, state = load_drnet(tmp_path / "model.pt")
    assert state["extra"]["data"]["synthetic"] is True and not model.training


def test_resume_equals_unbroken_run(mnist, tmp_path):
    cfg, store = mnist
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    _train(cfg, store, straight, 20)
    _train(cfg, store, broken, 10)  # "killed" after 10 steps: its checkpoint says step 10
    state = ckpt.load_checkpoint(broken / "ckpt.pt")
    assert state["step"] == 10
    (broken / "model.pt").unlink()
    _train(cfg, store, broken, 20, resume="yes")
    a, b = ckpt.load_checkpoint(straight / "model.pt"), ckpt.load_checkpoint(broken / "model.pt")
    for name in a["modules"]:
        for key, value in a["modules"][name].items():
            torch.testing.assert_close(value, b["modules"][name][key], rtol=0, atol=0, msg=f"{name}.{key}")
    pd.testing.assert_frame_equal(pd.read_csv(straight / "m.csv"), pd.read_csv(broken / "m.csv"))


def test_resume_yes_without_checkpoint_fails(mnist, tmp_path):
    cfg, store = mnist
    with pytest.raises(DrnetError, match="no checkpoint"):
        _train(cfg, store, tmp_path, 2, resume="yes")


def test_lstm_trains_and_loads(mnist, tmp_path):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 4)
    lstm_cfg = cfg.lstm.model_copy(update={"steps": 30, "log_every": 5})
    train_lstm(drnet_path=tmp_path / "model.pt", lstm_model_cfg=cfg.lstm_model, lstm_cfg=lstm_cfg, runtime=RUNTIME,
               store_path=store, model_out=tmp_path / "lstm.pt", checkpoint_path=tmp_path / "lckpt.pt",
               metrics_out=tmp_path / "lm.csv", seed=0, params={}, params_hash="x", ctx=CTX)
    mse = pd.read_csv(tmp_path / "lm.csv")["mse"]
    assert mse.iloc[-1] < mse.iloc[0]
    lstm, state = load_lstm(tmp_path / "lstm.pt")
    assert state["extra"]["n_past"] == cfg.lstm.n_past
    with pytest.raises(DrnetError, match="not a pose LSTM"):
        load_lstm(tmp_path / "model.pt")
    with pytest.raises(DrnetError, match="not a DrNet"):
        load_drnet(tmp_path / "lstm.pt")


def test_checkpoints_are_refused_cleanly(mnist, tmp_path):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 2)
    state = ckpt.load_checkpoint(tmp_path / "model.pt")
    other = load_drnet(tmp_path / "model.pt")[0]
    wide = type(other)(cfg.model.model_copy(update={"width": 16}), channels=3, image_size=64)
    with pytest.raises(DrnetError, match="do not fit this architecture"):
        ckpt.restore_modules(state, {"content_encoder": wide.content_encoder}, "model.pt")
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(DrnetError, match="cannot be loaded safely"):
        ckpt.load_checkpoint(tmp_path / "bad.pt")

    class Evil:
        def __reduce__(self):
            return (print, ("executed",))

    torch.save({"format": "drnet-checkpoint-v1", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(DrnetError, match="cannot be loaded safely"):
        ckpt.load_checkpoint(tmp_path / "evil.pt")  # weights_only=True: no code runs on load


def test_partner_seed_is_per_step_so_batches_are_reproducible():
    from drnet.data.sampling import pair_plan

    lengths = np.full(50, 20)
    assert not np.array_equal(pair_plan(lengths, 8, 5, 0, 1), pair_plan(lengths, 8, 5, 0, 2))
