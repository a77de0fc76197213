"""Kill -9 at a random point of each kind of stage (render, ingest, LSTM training, evaluation), then re-run:
whatever the killed run left is either absent or complete, and the re-run's artifacts equal an unbroken run's."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from drnet import checkpoint as ckpt
from drnet.data.render import available

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SEEDED = random.Random(int(os.environ.get("DRNET_KILL_SEED", "0")))  # DRNET_KILL_SEED=n to explore other points


def _run(argv: list[str], **kw) -> float:
    start = time.time()
    out = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, **kw)
    assert out.returncode == 0, out.stderr[-2000:]
    return time.time() - start


def _fingerprint(path: Path):
    """What must be equal between an unbroken and a killed-then-resumed run (bytes where bytes are stable)."""
    if path.suffix == ".h5":
        with h5py.File(path, "r") as f:
            return (f.attrs["frames_sha256"], int(f.attrs["num_sequences"]),
                    {k: f["meta"][k][()].tolist() for k in f["meta"]})
    if path.suffix == ".pt":
        state = ckpt.load_checkpoint(path)
        return {f"{m}.{k}": v.tolist() for m, t in state["modules"].items() for k, v in t.items()}
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        timing = {"seconds", "steps_run", "steps_per_s", "render_ms_per_frame", "decode_ms_per_video",
                  "seconds_per_video", "read_ms_per_frame"}  # how long this process took, and how much it ran
        return {k: v for k, v in data.items() if k not in timing}
    return path.read_bytes()


def _kill_and_rerun(make_argv, outs: list[str], tmp_path: Path):
    """make_argv(folder) -> argv writing ``outs`` (names) into folder."""
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    duration = _run(make_argv(straight))
    proc = subprocess.Popen([sys.executable, "-m", *make_argv(killed)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    delay = SEEDED.uniform(0.3, 0.95) * duration
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for name in outs:  # what the killed run left is absent or complete, never half-written
        if (killed / name).exists():
            assert _fingerprint(killed / name) == _fingerprint(straight / name), f"{name} after kill at {delay:.2f}s"
    _run(make_argv(killed))
    for name in outs:
        assert _fingerprint(killed / name) == _fingerprint(straight / name), f"{name} differs after re-run"
    assert not list(killed.glob(".tmp-*")), "the re-run removes the killed run's temporaries"
    return delay


@pytest.mark.skipif(not available()[0], reason=f"no EGL OpenGL context: {available()[1]}")
def test_kill_during_chair_render_then_rerun(tmp_path):
    meshes = tmp_path / "meshes"
    sets = ["--set", "chairs.data.procedural_models=24", "--set", "chairs.data.elevations=[20.0,40.0]"]
    _run(["stages.chairs_meshes", "--variant", "demo", "--out", str(meshes), *sets])
    outs = ["train.h5", "test.h5", "s.json"]
    _kill_and_rerun(lambda d: ["stages.chairs_build", "--variant", "demo", "--procedural-dir", str(meshes),
                               "--train-out", str(d / outs[0]), "--test-out", str(d / outs[1]), "--summary-out",
                               str(d / outs[2]), *sets], outs, tmp_path)


def test_kill_during_kth_build_then_rerun(tmp_path):
    raw = tmp_path / "raw"
    sets = ["--set", "kth.synthetic.persons=3", "--set", "kth.synthetic.scenarios=1",
            "--set", "kth.data.train_persons=[1,2]", "--set", "kth.data.test_persons=[3]"]
    _run(["stages.kth_synth", "--variant", "demo", "--out", str(raw), *sets])
    outs = ["train.h5", "test.h5", "s.json"]
    _kill_and_rerun(lambda d: ["stages.kth_build", "--variant", "demo", "--raw", str(raw), "--train-out",
                               str(d / outs[0]), "--test-out", str(d / outs[1]), "--summary-out", str(d / outs[2]),
                               *sets], outs, tmp_path)


@pytest.fixture(scope="module")
def mnist_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mnist")
    sets = ["--set", "mnist.data.train_sequences=40", "--set", "mnist.data.test_sequences=12", "--set",
            "mnist.model.width=8", "--set", "mnist.train.steps=6", "--set", "mnist.train.batch_size=8",
            "--set", "runtime.num_workers=0"]
    _run(["stages.mnist_build", "--variant", "demo", "--train-out", str(tmp / "train.h5"), "--test-out",
          str(tmp / "test.h5"), "--summary-out", str(tmp / "d.json"), *sets])
    _run(["stages.train_drnet", "--variant", "demo", "--dataset", "mnist", "--train", str(tmp / "train.h5"),
          "--model-out", str(tmp / "drnet.pt"), "--checkpoint", str(tmp / "c.pt"), "--metrics-out",
          str(tmp / "m.csv"), "--summary-out", str(tmp / "s.json"), *sets])
    return tmp, sets


def test_kill_during_lstm_training_then_rerun(tmp_path, mnist_model):
    src, sets = mnist_model
    sets = sets + ["--set", "mnist.lstm.steps=60", "--set", "mnist.lstm.checkpoint_every=5", "--set",
                   "mnist.lstm.log_every=5", "--set", "mnist.lstm.batch_size=8", "--set", "mnist.lstm_model.hidden=16",
                   "--set", "runtime.threads=1"]
    outs = ["lstm.pt", "m.csv", "s.json"]
    _kill_and_rerun(lambda d: ["stages.train_lstm", "--variant", "demo", "--dataset", "mnist", "--drnet",
                               str(src / "drnet.pt"), "--train", str(src / "train.h5"), "--model-out",
                               str(d / outs[0]), "--checkpoint", str(d / "ckpt.pt"), "--metrics-out",
                               str(d / outs[1]), "--summary-out", str(d / outs[2]), *sets], outs, tmp_path)


def test_kill_during_evaluation_then_rerun(tmp_path, mnist_model):
    src, sets = mnist_model
    outs = ["leakage.csv", "leakage.md", "leakage.tex", "leakage.json", "leakage.html"]
    _kill_and_rerun(lambda d: ["stages.leakage", "--variant", "demo", "--mnist-model", str(src / "drnet.pt"),
                               "--mnist-store", str(src / "test.h5"), "--csv-out", str(d / outs[0]),
                               "--summary-out", str(d / outs[3]), "--set", "leakage.n_clips=12",
                               "--set", "leakage.max_iter=200"], outs, tmp_path)
