"""Every evaluation stage runs on the device params' ``runtime.device`` resolves to, as training does: the helper
(``drnet.runtime.context.eval_context``), each stage's use of it, and the stages' declared params."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import torch

from drnet.errors import DrnetError
from drnet.runtime import context
from drnet.runtime.context import eval_context

ROOT = Path(__file__).resolve().parent.parent
# the stages that evaluate trained models (every stage command that loads a model file but the training ones)
EVAL_STAGES = {"figures", "generate", "kth_disentangle", "kth_fewshot", "kth_inception", "leakage",
               "mnist_disentangle", "mnist_probe", "norb_classification", "object_disentangle", "prediction"}




@pytest.fixture
def threads_restored():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_eval_context_resolves_runtime_device_like_training(no_cuda, monkeypatch):
    for section in ({"device": "cpu"}, {"device": "auto"}, {}, None):
        ctx = eval_context(section)
        assert ctx.device == torch.device("cpu") and not ctx.distributed
    with pytest.raises(DrnetError, match="runtime.device is 'cuda'"):
        eval_context({"device": "cuda"})
    # a machine with a GPU (no CUDA call is made: the device is only named)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    for device in ("auto", "cuda"):
        assert eval_context({"device": device}).device == torch.device("cuda", 0)
    assert eval_context({"device": "cpu"}).device == torch.device("cpu")


def test_eval_context_is_fp32_whatever_runtime_precision_says(no_cuda):
    for precision in ("auto", "bf16", "fp64", "fp32"):
        ctx = eval_context({"device": "cpu", "precision": precision})
        assert ctx.precision == "fp32" and ctx.autocast_dtype is None and ctx.dtype == torch.float32


def test_eval_context_sets_threads_only_when_asked(no_cuda, threads_restored):
    torch.set_num_threads(2)
    eval_context({"device": "cpu", "threads": 0, "num_workers": 2})  # no loader workers: torch's default stays
    assert torch.get_num_threads() == 2
    eval_context({"device": "cpu", "threads": 1})
    assert torch.get_num_threads() == 1


def _calls(module: str, name: str) -> list[ast.Call]:
    tree = ast.parse((ROOT / "stages" / f"{module}.py").read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def test_every_evaluation_stage_loads_its_models_on_the_resolved_device():
    """Source check over every stage module: the stages that load model files are the evaluation stages (and the
    training ones, which set up their own context); each calls ``eval_context`` and passes ``device=`` to every
    ``load_model``."""
    stage_modules = sorted(p.stem for p in (ROOT / "stages").glob("*.py") if p.stem not in {"__init__", "cli"})
    loading = {m for m in stage_modules if _calls(m, "load_model")}
    assert loading == EVAL_STAGES, "a new stage loads models: add it to EVAL_STAGES and give it eval_context"
    for module in sorted(EVAL_STAGES):
        assert _calls(module, "eval_context"), f"stages/{module}.py does not resolve runtime.device"
        for call in _calls(module, "load_model"):
            assert any(k.arg == "device" for k in call.keywords), f"stages/{module}.py:{call.lineno} loads on the CPU"


def test_evaluation_stages_declare_the_runtime_keys_they_read():
    """A changed runtime.device (or threads) re-runs every evaluation under DVC and Snakemake, and nothing else:
    the keys are declared by exactly the stages that call eval_context."""
    from stages.dag.registry import EVAL_RUNTIME, jobs

    assert EVAL_RUNTIME == ["runtime.device", "runtime.threads"]
    for job in jobs():
        module = job.stage.module.split(".")[-1]
        if module in EVAL_STAGES:
            assert set(EVAL_RUNTIME) <= set(job.stage.params), job.name
        elif "runtime" not in job.stage.params:
            assert not set(EVAL_RUNTIME) & set(job.stage.params), job.name




def _mnist_runs(tmp: Path, out: Path) -> dict[str, list]:
    """argv of each MNIST evaluation stage on the tiny models (``out``: where they write)."""
    models = ["--drnet", tmp / "drnet.pt"]
    return {
        "figures": [*models, "--test", tmp / "test.h5", "--reconstruction-out", out / "r.png", "--swap-out",
                    out / "s.png"],
        "generate": ["--dataset", "mnist", *models, "--lstm", tmp / "lstm.pt", "--test", tmp / "test.h5",
                     "--strip-out", out / "g.png", "--video-out", out / "g.gif", "--set", "mnist.generate.length=6"],
        "mnist_probe": [*models, "--train", tmp / "train.h5", "--test", tmp / "test.h5", "--out", out / "p.json",
                        "--set", "mnist.probe.n_train=30", "--set", "mnist.probe.max_iter=30"],
        "mnist_disentangle": [*models, "--lstm", tmp / "lstm.pt", "--train", tmp / "train.h5", "--test",
                              tmp / "test.h5", "--csv-out", out / "d.csv", "--md-out", out / "d.md", "--summary-out",
                              out / "d.json", "--set", "mnist.disentangle.reader_steps=4", "--set",
                              "mnist.disentangle.reader_batch=8", "--set", "mnist.disentangle.reader_width=4",
                              "--set", "mnist.disentangle.n_pairs=6", "--set", "mnist.disentangle.offsets=[2]",
                              "--set", "mnist.disentangle.n_clips=2"],
        "prediction": ["--dataset", "mnist", *models, "--lstm", tmp / "lstm.pt", "--test", tmp / "test.h5",
                       "--csv-out", out / "q.csv", "--md-out", out / "q.md", "--summary-out", out / "q.json",
                       "--manifest-out", out / "qm.json", "--plot-out", out / "q.png", "--set",
                       "prediction.windows=4"],
        "leakage": ["--mnist-model", tmp / "drnet.pt", "--mnist-store", tmp / "test.h5", "--csv-out", out / "l.csv",
                    "--summary-out", out / "l.json", "--set", "leakage.n_clips=8", "--set", "leakage.max_iter=30"],
    }


def test_mnist_evaluation_stages_run_their_models_on_the_context_device(mnist_tiny, tmp_path, monkeypatch):
    """Each MNIST evaluation stage, run with runtime.device=cpu: it resolves the context once and every model it
    loads (and the digit reader it trains) is put on that context's device."""
    for stage, argv in _mnist_runs(mnist_tiny[0], tmp_path).items():
        module = importlib.import_module(f"stages.{stage}")
        contexts, loads, placed, readers = [], [], [], []

        def resolve(runtime, _real=context.eval_context, _contexts=contexts):
            _contexts.append(_real(runtime))
            return _contexts[-1]

        def load(*args, _real=module.load_model, _loads=loads, _placed=placed, **kwargs):
            _loads.append(kwargs.get("device"))
            model, state = _real(*args, **kwargs)
            _placed.append({p.device for p in model.parameters()})
            return model, state

        monkeypatch.setattr(module, "eval_context", resolve)
        monkeypatch.setattr(module, "load_model", load)
        if stage == "mnist_disentangle":
            def reader(*args, _real=module.train_digit_reader, _readers=readers, **kwargs):
                _readers.append(kwargs.get("device"))
                return _real(*args, **kwargs)
            monkeypatch.setattr(module, "train_digit_reader", reader)
        rc = module.main([*map(str, argv), "--variant", "demo", "--set", "runtime.device=cpu"])
        assert rc == 0, stage
        assert len(contexts) == 1, stage
        device = contexts[0].device
        assert loads and all(d == device for d in loads), (stage, loads)
        assert all(p == {device} for p in placed), (stage, placed)
        if stage == "mnist_disentangle":
            assert readers == [device]


def test_clip_groups_are_near_equal_and_cover_every_clip():
    from drnet.eval.generate import clip_groups

    for n in (1, 2, 15, 16, 17, 33, 200):
        groups = clip_groups(n, 16)
        sizes = [g.stop - g.start for g in groups]
        assert groups[0].start == 0 and groups[-1].stop == n and max(sizes) <= 16 and max(sizes) - min(sizes) <= 1
        assert all(a.stop == b.start for a, b in zip(groups, groups[1:]))
        assert n == 1 or min(sizes) > 1  # no batch of one beside larger ones


def test_generation_on_the_cpu_ignores_clips_per_pass():
    """On the CPU every clip is generated at once, as before (a grouped LSTM would move the floats by ~1e-8)."""
    from drnet.eval.generate import generate
    from drnet.models import DrNet
    from drnet.models.lstm import PoseLSTM
    from drnet.params import DrnetModel

    torch.manual_seed(0)
    model = DrNet(DrnetModel(width=4, content_dim=8, pose_dim=4, disc_hidden=8), 1, 64).eval()
    lstm = PoseLSTM(4, 8, 16, 1).eval()
    observed = torch.rand(5, 3, 1, 64, 64)
    assert torch.equal(generate(model, lstm, observed, 4, clips_per_pass=2), generate(model, lstm, observed, 4))
