"""Training under torchrun with 2 CPU processes (gloo)."""

import subprocess
import sys

import pytest
import torch

from drnet import checkpoint as ckpt
from drnet.data.mnist.build import build_split
from drnet.params import load_params, section

TINY = ["mnist.data.train_sequences=32", "mnist.model.width=8", "mnist.train.batch_size=8", "mnist.train.steps=4",
        "mnist.train.log_every=2", "mnist.lstm.batch_size=8", "mnist.lstm.steps=6", "mnist.lstm.log_every=2",
        "mnist.lstm_model.hidden=16", "runtime.num_workers=0", "runtime.threads=1"]


def _sets():
    return [a for o in TINY for a in ("--set", o)]


def _run(repo_root, module, args, nproc):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
                "-m"] if nproc > 1 else [sys.executable, "-m"]
    out = subprocess.run([*launcher, module, "--variant", "demo", *args, *_sets()], cwd=repo_root,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory, repo_root):
    tmp = tmp_path_factory.mktemp("ddp")
    cfg = section(load_params(repo_root / "params.yaml", "demo", TINY), "mnist")
    build_split(tmp / "train.h5", "train", cfg.data, seed=0)
    _run(repo_root, "stages.train_drnet", ["--dataset", "mnist", "--train", str(tmp / "train.h5"), "--model-out",
         str(tmp / "drnet.pt"), "--checkpoint", str(tmp / "ck.pt"), "--metrics-out", str(tmp / "m.csv"),
         "--summary-out", str(tmp / "s.json")], nproc=2)
    return tmp


@pytest.mark.slow
def test_drnet_trains_under_torchrun(trained):
    state = ckpt.load_checkpoint(trained / "drnet.pt")
    assert state["step"] == 4 and len(state["extra"]["metrics"]) == 2
    assert not list(trained.glob(".tmp-*"))


@pytest.mark.slow
def test_drnet_ddp_equals_single_process(trained, repo_root):
    """2 gloo ranks with half the batch each = 1 process with the whole batch: batch norm statistics span the
    global batch (GlobalBatchNorm) and the scene discriminator's negatives are paired over the global batch.

    Checked in float64 (runtime.precision=fp64): in float32, DDP's different summation order is rounding noise
    that Adam's normalization blows up wherever a gradient is ~0 (C at chance), so fp32 weights drift apart
    while the losses agree; float64 pushes that noise below Adam's eps and makes the check exact to ~1e-10.
    With per-rank batch norm this check fails by ~1e-2."""
    outs = {}
    for nproc in (1, 2):
        d = trained / f"fp64-{nproc}"
        _run(repo_root, "stages.train_drnet", ["--dataset", "mnist", "--train", str(trained / "train.h5"),
             "--model-out", str(d / "drnet.pt"), "--checkpoint", str(d / "ck.pt"), "--metrics-out", str(d / "m.csv"),
             "--summary-out", str(d / "s.json"), "--set", "runtime.precision=fp64"], nproc)
        outs[nproc] = ckpt.load_checkpoint(d / "drnet.pt")
    one, two = outs[1], outs[2]
    for module in one["modules"]:
        for key, value in one["modules"][module].items():
            assert value.dtype != torch.float32, "fp64 run must keep float64 weights"
            torch.testing.assert_close(two["modules"][module][key], value, rtol=1e-7, atol=1e-8,
                                       msg=f"{module}.{key}")
    for a, b in zip(one["extra"]["metrics"], two["extra"]["metrics"], strict=True):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-7)


@pytest.mark.slow
def test_lstm_ddp_equals_single_process(trained, repo_root):
    outs = {}
    for nproc in (1, 2):
        d = trained / f"lstm{nproc}"
        _run(repo_root, "stages.train_lstm", ["--dataset", "mnist", "--drnet", str(trained / "drnet.pt"),
             "--train", str(trained / "train.h5"), "--model-out", str(d / "lstm.pt"), "--checkpoint",
             str(d / "ck.pt"), "--metrics-out", str(d / "m.csv"), "--summary-out", str(d / "s.json"),
             "--set", "runtime.precision=fp32"], nproc)  # DDP vs 1 process, not bf16 rounding, is under test
        outs[nproc] = ckpt.load_checkpoint(d / "lstm.pt")
    one, two = outs[1]["modules"]["lstm"], outs[2]["modules"]["lstm"]
    for key in one:
        torch.testing.assert_close(one[key], two[key], rtol=1e-4, atol=1e-6, msg=key)
    assert [r["mse"] for r in outs[1]["extra"]["metrics"]] == pytest.approx(
        [r["mse"] for r in outs[2]["extra"]["metrics"]], rel=1e-4)


@pytest.mark.slow
def test_classifier_ddp_equals_single_process(tmp_path, repo_root):
    """fit_classifier (the KTH action classifier's loop) under torchrun: same weights and validation curve as
    one process (float64, dropout off; batch norm over the global batch, loss scaled to the global mean)."""
    outs = {}
    for nproc in (1, 2):
        launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)] if nproc > 1 else []
        out = subprocess.run([sys.executable, *launcher, "tests/ddp_classifier_worker.py",
                              str(tmp_path / f"{nproc}.pt")], cwd=repo_root, capture_output=True, text=True,
                             timeout=180)
        assert out.returncode == 0, out.stderr[-3000:]
        outs[nproc] = torch.load(tmp_path / f"{nproc}.pt", weights_only=True)
    for key, value in outs[1]["state"].items():
        torch.testing.assert_close(outs[2]["state"][key], value, rtol=1e-7, atol=1e-9, msg=key)
    assert [h["val_loss"] for h in outs[1]["history"]] == pytest.approx(
        [h["val_loss"] for h in outs[2]["history"]], rel=1e-9)
    assert outs[1]["history"][-1]["val_loss"] < outs[1]["history"][0]["val_loss"], "the classifier must learn"
