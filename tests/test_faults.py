"""Faults: kill -9 mid-stage and re-run; unwritable outputs; each error is one line through the real CLI."""

import os
import signal
import subprocess
import sys
import time

import pytest

from drnet import checkpoint as ckpt
from drnet.data.mnist.build import build_split
from drnet.params import load_params, section

TINY = ["mnist.data.train_sequences=40", "mnist.model.width=8", "mnist.train.batch_size=8", "mnist.train.steps=40",
        "mnist.train.log_every=5", "mnist.train.checkpoint_every=5", "runtime.num_workers=0", "runtime.threads=1"]


def _cmd(tmp, out):
    args = [sys.executable, "-m", "stages.train_drnet", "--variant", "demo", "--dataset", "mnist",
            "--train", str(tmp / "train.h5"), "--model-out", str(out / "model.pt"), "--checkpoint",
            str(out / "ckpt.pt"), "--metrics-out", str(out / "m.csv"), "--summary-out", str(out / "s.json")]
    return args + [a for o in TINY for a in ("--set", o)]


@pytest.mark.slow
def test_kill_9_during_training_then_rerun_equals_unbroken(tmp_path, repo_root):
    cfg = section(load_params(repo_root / "params.yaml", "demo", TINY), "mnist")
    build_split(tmp_path / "train.h5", "train", cfg.data, seed=0)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(_cmd(tmp_path, straight), cwd=repo_root, check=True, capture_output=True)
    proc = subprocess.Popen(_cmd(tmp_path, killed), cwd=repo_root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (killed / "ckpt.pt").exists():
        time.sleep(0.05)
    time.sleep(0.3)  # land somewhere after the first checkpoint, maybe mid-write of a later one
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "model.pt").exists(), "a killed run must not leave a final model"
    partial = ckpt.load_checkpoint(killed / "ckpt.pt")  # whatever checkpoint exists is complete
    assert 0 < partial["step"] <= 40
    subprocess.run(_cmd(tmp_path, killed), cwd=repo_root, check=True, capture_output=True)
    a, b = ckpt.load_checkpoint(straight / "model.pt"), ckpt.load_checkpoint(killed / "model.pt")
    for name, tensors in a["modules"].items():
        for key, value in tensors.items():
            assert (value == b["modules"][name][key]).all(), f"{name}.{key}"
    assert (straight / "m.csv").read_text() == (killed / "m.csv").read_text()


@pytest.mark.slow
def test_kill_9_during_store_build_leaves_no_store(tmp_path, repo_root):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "stages.mnist_build", "--variant", "demo", "--train-out",
                             str(out / "train.h5"), "--test-out", str(out / "test.h5"), "--summary-out",
                             str(out / "s.json"), "--set", "demo.mnist.data.train_sequences=5000"], cwd=repo_root)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob(".tmp-train*")):
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "train.h5").exists() and not (out / "s.json").exists()


@pytest.mark.parametrize("argv, message", [
    (["stages.mnist_build", "--variant", "demo", "--train-out", "{file}/train.h5", "--test-out", "{tmp}/t.h5",
      "--summary-out", "{tmp}/s.json"], "cannot create output folder"),
    (["stages.train_drnet", "--dataset", "mnist", "--train", "{tmp}/missing.h5", "--model-out", "{tmp}/m.pt",
      "--checkpoint", "{tmp}/c.pt", "--metrics-out", "{tmp}/m.csv", "--summary-out", "{tmp}/s.json"],
     "video store {tmp}/missing.h5 not found"),
    (["stages.train_lstm", "--dataset", "mnist", "--drnet", "{file}", "--train", "{tmp}/x.h5", "--model-out",
      "{tmp}/l.pt", "--checkpoint", "{tmp}/c.pt", "--metrics-out", "{tmp}/m.csv", "--summary-out", "{tmp}/s.json"],
     "video store {tmp}/x.h5 not found"),
    (["stages.mnist_probe", "--drnet", "{file}", "--train", "{tmp}/a.h5", "--test", "{tmp}/b.h5", "--out",
      "{tmp}/p.json"], "cannot be loaded safely"),
    (["stages.mnist_build", "--set", "mnist.train.lrr=1", "--train-out", "a", "--test-out", "b", "--summary-out", "c"],
     "unknown key mnist.train.lrr"),
])
def test_cli_errors_are_one_line(tmp_path, repo_root, argv, message):
    (tmp_path / "file").write_text("not a directory, not a checkpoint")
    fill = {"file": str(tmp_path / "file"), "tmp": str(tmp_path)}
    argv = [a.format(**fill) for a in argv]
    out = subprocess.run([sys.executable, "-m", *argv], cwd=repo_root, capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message.format(**fill) in errors[0], out.stderr
    assert "Traceback" not in out.stderr


def _file_size_limit(limit: int):
    """In the child: writes beyond ``limit`` bytes fail with EFBIG, as on a full disk (SIGXFSZ ignored)."""
    import resource

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("kind", ["store", "checkpoint"])
def test_disk_full_is_one_line_and_leaves_nothing(tmp_path, repo_root, kind):
    out = tmp_path / "out"
    if kind == "store":
        argv = [sys.executable, "-m", "stages.mnist_build", "--variant", "demo", "--train-out", str(out / "train.h5"),
                "--test-out", str(out / "test.h5"), "--summary-out", str(out / "s.json")]
    else:
        cfg = section(load_params(repo_root / "params.yaml", "demo", TINY), "mnist")
        build_split(tmp_path / "train.h5", "train", cfg.data, seed=0)
        argv = _cmd(tmp_path, out)
    proc = subprocess.run(argv, cwd=repo_root, capture_output=True, text=True, preexec_fn=_file_size_limit(100_000))
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower() or "Traceback" in line]
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(errors) == 1 and "out of disk space" in errors[0], proc.stderr[-2000:]
    assert not out.exists() or list(out.iterdir()) == [], "a failed write must leave no (partial) file behind"
