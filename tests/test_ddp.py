"""Training under torchrun with 2 CPU processes (gloo)."""

import subprocess
import sys

import pytest
import torch

from drnet.data.mnist import build_split
from drnet.params import load_params, section
from drnet.train import checkpoint as ckpt

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
def test_lstm_ddp_equals_single_process(trained, repo_root):
    outs = {}
    for nproc in (1, 2):
        d = trained / f"lstm{nproc}"
        _run(repo_root, "stages.train_lstm", ["--dataset", "mnist", "--drnet", str(trained / "drnet.pt"),
             "--train", str(trained / "train.h5"), "--model-out", str(d / "lstm.pt"), "--checkpoint",
             str(d / "ck.pt"), "--metrics-out", str(d / "m.csv"), "--summary-out", str(d / "s.json")], nproc)
        outs[nproc] = ckpt.load_checkpoint(d / "lstm.pt")
    one, two = outs[1]["modules"]["lstm"], outs[2]["modules"]["lstm"]
    for key in one:
        torch.testing.assert_close(one[key], two[key], rtol=1e-4, atol=1e-6, msg=key)
    assert [r["mse"] for r in outs[1]["extra"]["metrics"]] == pytest.approx(
        [r["mse"] for r in outs[2]["extra"]["metrics"]], rel=1e-4)
