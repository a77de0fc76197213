"""Training behaviour: losses fall, a killed run resumes to the same weights, checkpoints are safe."""

import numpy as np
import pandas as pd
import pytest
import torch

from drnet import checkpoint as ckpt
from drnet.checkpoint import load_model
from drnet.data.mnist.build import build_split
from drnet.errors import DrnetError
from drnet.params import Runtime, section
from drnet.runtime.context import Context
from drnet.train.drnet import train_drnet
from drnet.train.loop import Run
from drnet.train.lstm import train_lstm
from drnet.train.resume import key_mismatch, resume_key

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


def _run(store, out, prefix="", params=None, key="h", resume="auto"):
    return Run(store=store, model_out=out / f"{prefix}model.pt", checkpoint=out / f"{prefix}ckpt.pt",
               metrics_out=out / f"{prefix}m.csv", seed=0, params=params or {}, key=key, ctx=CTX, runtime=RUNTIME,
               resume=resume)


def _load_drnet(path):
    return load_model(path, kinds=("drnet",))


def _train(cfg, store, out, steps, resume="auto", ckpt_every=1000):
    train_cfg = cfg.train.model_copy(update={"steps": steps, "checkpoint_every": ckpt_every})
    return train_drnet(cfg.model, train_cfg, _run(store, out, params={"steps": steps}, resume=resume))


def test_losses_fall(mnist, tmp_path):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 40)
    metrics = pd.read_csv(tmp_path / "m.csv")
    assert list(metrics.columns) == ["step", "rec", "sim", "adv", "disc_loss", "disc_acc"]
    assert metrics["rec"].iloc[-1] < 0.6 * metrics["rec"].iloc[0]
    model, state = _load_drnet(tmp_path / "model.pt")
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


@pytest.mark.parametrize("standardize", [False, True])
def test_lstm_trains_and_loads(mnist, tmp_path, standardize):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 4)
    lstm_cfg = cfg.lstm.model_copy(update={"steps": 30, "log_every": 5})
    model_cfg = cfg.lstm_model.model_copy(update={"standardize": standardize})
    train_lstm(tmp_path / "model.pt", model_cfg, lstm_cfg, _run(store, tmp_path, prefix="l", key="x"))
    mse = pd.read_csv(tmp_path / "lm.csv")["mse"]
    if standardize:  # in standard units: a 4-step DrNet's poses are noise, the LSTM does no worse than their mean
        assert 0.5 < mse.iloc[-1] < 1.1
    else:
        assert mse.iloc[-1] < mse.iloc[0]
    lstm, state = load_model(tmp_path / "lmodel.pt", kinds=("lstm",))
    assert state["extra"]["n_past"] == cfg.lstm.n_past
    assert lstm.standardize == standardize
    if standardize:  # fitted to the DrNet's poses and saved with the weights
        assert float(lstm.pose_scale.min()) > 0 and float((lstm.pose_scale - 1).abs().max()) > 1e-3
    with pytest.raises(DrnetError, match="not a pose LSTM"):
        load_model(tmp_path / "model.pt", kinds=("lstm",))
    with pytest.raises(DrnetError, match="not a DrNet or autoencoder"):
        load_model(tmp_path / "lmodel.pt", kinds=("drnet", "ae"))
    with pytest.raises(DrnetError, match="is a resumable training checkpoint, not a DrNet model file"):
        load_model(tmp_path / "ckpt.pt", kinds=("drnet",))


@pytest.mark.parametrize("standardize", [False, True])
def test_lstm_on_codes_encoded_once_equals_encoding_every_step(mnist, tmp_path, standardize):
    """``lstm.encode_once`` reads the same poses and content as an encoder pass per step: the same LSTM."""
    cfg, store = mnist
    _train(cfg, store, tmp_path, 4)
    model_cfg = cfg.lstm_model.model_copy(update={"standardize": standardize})
    weights = {}
    for once in (False, True):
        lstm_cfg = cfg.lstm.model_copy(update={"steps": 6, "log_every": 3, "fresh_clips": False, "encode_once": once})
        train_lstm(tmp_path / "model.pt", model_cfg, lstm_cfg, _run(store, tmp_path, prefix=f"l{once}", key="x"))
        weights[once] = ckpt.load_checkpoint(tmp_path / f"l{once}model.pt")["modules"]["lstm"]
        load_model(tmp_path / f"l{once}model.pt", kinds=("lstm",))  # a model file like any other
    for key, value in weights[False].items():
        torch.testing.assert_close(value, weights[True][key], rtol=1e-4, atol=1e-5, msg=key)
    with pytest.raises(DrnetError, match="encode_once"):
        train_lstm(tmp_path / "model.pt", model_cfg,
                   cfg.lstm.model_copy(update={"steps": 2, "fresh_clips": True, "encode_once": True}),
                   _run(store, tmp_path, prefix="lx", key="x"))


def test_checkpoints_are_refused_cleanly(mnist, tmp_path):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 2)
    state = ckpt.load_checkpoint(tmp_path / "model.pt")
    other = _load_drnet(tmp_path / "model.pt")[0]
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


# --- hostile resumes and checkpoint files -------------------------------------------------------------------------

STAGE_SETS = ["mnist.data.train_sequences=40", "mnist.model.width=8", "mnist.train.batch_size=8",
              "mnist.train.steps=4", "mnist.train.log_every=2", "mnist.train.checkpoint_every=2",
              "mnist.lstm_model.hidden=8", "mnist.lstm.batch_size=8", "mnist.lstm.steps=4", "mnist.lstm.log_every=2",
              "mnist.lstm.checkpoint_every=2", "runtime.num_workers=0"]


def _stage(module, out, *extra, sets=()):
    import importlib

    argv = ["--variant", "demo", *extra, "--metrics-out", str(out / f"{module}.csv"),
            "--summary-out", str(out / f"{module}.json")]
    for s in [*STAGE_SETS, *sets]:
        argv += ["--set", s]
    return importlib.import_module(f"stages.{module}").main(argv)


def _drnet_stage(out, store, *extra, sets=()):
    return _stage("train_drnet", out, "--dataset", "mnist", "--train", str(store), "--model-out",
                  str(out / "drnet.pt"), "--checkpoint", str(out / "drnet_ckpt.pt"), *extra, sets=sets)


def _lstm_stage(out, store, *extra):
    return _stage("train_lstm", out, "--dataset", "mnist", "--drnet", str(out / "drnet.pt"), "--train", str(store),
                  "--model-out", str(out / "lstm.pt"), "--checkpoint", str(out / "lstm_ckpt.pt"), *extra)


def _weights(path):
    return ckpt.load_checkpoint(path)["modules"]


def _same(a, b):
    return all(torch.equal(t, b[m][k]) for m in a for k, t in a[m].items())


def _build(path, max_speed):
    from drnet.params import load_params

    params = load_params(variant="demo", overrides=[*STAGE_SETS, f"mnist.data.max_speed={max_speed}"])
    build_split(path, "train", section(params, "mnist").data, seed=0)


def test_training_summary_says_how_fast_and_on_what(tmp_path):
    """Every training summary records the seconds its steps took, steps/s over their second half, and the machine
    facts the timing belongs to (kernels' ISA, native bf16, precision, threads)."""
    import json

    store = tmp_path / "train.h5"
    _build(store, 4)
    assert _drnet_stage(tmp_path, store) == 0
    summary = json.loads((tmp_path / "train_drnet.json").read_text())
    assert summary["steps"] == summary["steps_run"] == 4 and summary["seconds"] > 0 and summary["steps_per_s"] > 0
    facts = summary["machine"]
    assert facts["device"] == "cpu" and facts["precision"] == summary["precision"] and facts["threads"] >= 1
    assert isinstance(facts["cpu_bf16"], bool) and facts["isa"] and facts["cpu"]


def test_rebuilt_store_is_not_resumed_stale(tmp_path, caplog, capsys):
    """`dvc exp run -S mnist.data.max_speed=1` rebuilds the store, then re-runs training with the old checkpoint:
    it must train afresh on the new data, not "resume" at the last step and write the old weights."""
    store = tmp_path / "train.h5"
    _build(store, 4)
    assert _drnet_stage(tmp_path, store) == 0
    old = _weights(tmp_path / "drnet.pt")
    _build(store, 1)  # other data, same params
    caplog.set_level("INFO", logger="drnet")
    assert _drnet_stage(tmp_path, store) == 0
    assert not _same(old, _weights(tmp_path / "drnet.pt")), "stale resume: the old weights were written again"
    assert "starting fresh, not resuming" in caplog.text and "from other training data" in caplog.text
    assert "resumed from" not in caplog.text
    _build(store, 4)  # back to the first data: the checkpoint now is of max_speed=1 -> --resume yes refuses
    capsys.readouterr()
    assert _drnet_stage(tmp_path, store, "--resume", "yes") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --resume yes but") and "from other training data" in err and "\n" not in err


def test_checkpoint_of_another_model_size_starts_fresh(tmp_path, caplog, capsys):
    """`dvc exp run -S norb.model.pose_dim=2` over a run of pose size 10: the old checkpoint's shapes do not fit,
    and that is what a changed key says: 'auto' trains afresh (one line saying why), 'yes' refuses in one line."""
    store = tmp_path / "train.h5"
    _build(store, 4)
    assert _drnet_stage(tmp_path, store, sets=["mnist.model.pose_dim=10"]) == 0
    caplog.set_level("INFO", logger="drnet")
    capsys.readouterr()
    assert _drnet_stage(tmp_path, store, "--resume", "yes", sets=["mnist.model.pose_dim=3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --resume yes but") and "with other params" in err and "\n" not in err
    assert _drnet_stage(tmp_path, store, sets=["mnist.model.pose_dim=3"]) == 0
    assert "starting fresh, not resuming" in caplog.text and "with other params" in caplog.text
    assert _weights(tmp_path / "drnet.pt")["pose_encoder"]["head.conv.weight"].shape[0] == 3


def test_lstm_retrains_when_its_drnet_changes(tmp_path, caplog):
    store = tmp_path / "train.h5"
    _build(store, 4)
    assert _drnet_stage(tmp_path, store) == 0
    assert _lstm_stage(tmp_path, store) == 0
    old = _weights(tmp_path / "lstm.pt")
    assert _drnet_stage(tmp_path, store, sets=["seed=1"]) == 0  # a retrained DrNet
    caplog.set_level("INFO", logger="drnet")
    assert _lstm_stage(tmp_path, store) == 0
    assert "from another drnet model file" in caplog.text
    fitted = _weights(tmp_path / "lstm.pt")
    assert not _same(old, fitted), "the LSTM fitted to the old DrNet was resumed"
    assert _lstm_stage(tmp_path, store, "--resume", "no") == 0
    assert _same(fitted, _weights(tmp_path / "lstm.pt")), "retraining must equal a fresh run on the new DrNet"


def _mutate_optimizer_shapes(state):
    opt = state["optimizers"]["generator"]["state"]
    first = next(iter(opt))
    opt[first]["exp_avg"] = torch.zeros(3, 3)


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.pop("optimizers"), "'optimizers' must be a dict (no such key)"),
    (lambda s: s.pop("rng"), "'rng' must be a dict (no such key)"),
    (lambda s: s.update(step="7"), "'step' must be a int (found str)"),
    (lambda s: s["modules"]["decoder"].pop(next(iter(s["modules"]["decoder"]))), "'decoder' weights do not fit"),
    (lambda s: s["optimizers"].pop("discriminator"), "has no 'discriminator' optimizer state"),
    (_mutate_optimizer_shapes, "the 'generator' optimizer state 'exp_avg' of parameter"),
    (lambda s: s["optimizers"]["generator"]["param_groups"][0]["params"].pop(), "parameter groups of sizes"),
    (lambda s: s["rng"].update(torch=torch.zeros(3)), "torch RNG state is missing or malformed"),
])
def test_malformed_checkpoint_is_refused_in_one_line(mnist, tmp_path, mutate, message):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 2, ckpt_every=2)
    state = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    mutate(state)
    torch.save(state, tmp_path / "ckpt.pt")
    for mode in ("auto", "yes"):
        with pytest.raises(DrnetError, match="ckpt.pt") as err:
            _train(cfg, store, tmp_path, 4, resume=mode)
        assert message in str(err.value) and "\n" not in str(err.value)


def test_final_model_file_as_checkpoint_is_refused(mnist, tmp_path):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 2)
    (tmp_path / "ckpt.pt").write_bytes((tmp_path / "model.pt").read_bytes())  # same params: the key matches
    with pytest.raises(DrnetError, match="is a final drnet model file .* not a resumable training checkpoint"):
        _train(cfg, store, tmp_path, 4)


@pytest.mark.parametrize("mutate, message", [
    (lambda e: e.pop("model"), "not a valid 'drnet' model file: 'model' must be a dict (no such key)"),
    (lambda e: e.update(image_size="64"), "'image_size' must be a int (found str)"),
    (lambda e: e.update(channels=10**9), "records channels=1000000000, outside 0..65536"),
    (lambda e: e["model"].update(width="wide"), "the model description is invalid (width: Input should be"),
    (lambda e: e.update(kind="gan"), "holds a model of unknown kind 'gan'"),
])
def test_model_file_with_a_bad_description_is_refused(mnist, tmp_path, mutate, message):
    cfg, store = mnist
    _train(cfg, store, tmp_path, 2)
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    mutate(state["extra"])
    torch.save(state, tmp_path / "model.pt")
    with pytest.raises(DrnetError) as err:
        _load_drnet(tmp_path / "model.pt")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_classifier_file_goes_through_the_guarded_loader(tmp_path):
    from drnet.models.classifiers import ActionClassifier

    model = ActionClassifier(1, 6, 4, 1, 16)
    sizes = {"channels": 1, "width": 4, "clip_len": 1, "image_size": 16, "classes": list("abcdef")}
    ckpt.save_checkpoint(tmp_path / "new.pt", modules={"classifier": model}, optimizers={}, step=3, params={},
                         params_hash="h", extra={"kind": "classifier", **sizes})
    good = {"state_dict": model.state_dict(), **sizes}  # the file format before the classifier was a checkpoint
    ckpt.save_torch(good, tmp_path / "c.pt")
    for name in ("new.pt", "c.pt"):  # both formats load
        loaded, _ = load_model(tmp_path / name, kinds=("classifier",))
        assert isinstance(loaded, ActionClassifier) and not loaded.training
        assert all(torch.equal(v, model.state_dict()[k]) for k, v in loaded.state_dict().items())

    class Evil:
        def __reduce__(self):
            return (print, ("executed",))

    torch.save({**good, "width": Evil()}, tmp_path / "evil.pt")
    data = (tmp_path / "c.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    torch.save({k: v for k, v in good.items() if k != "classes"}, tmp_path / "nokey.pt")
    torch.save({**good, "width": 8}, tmp_path / "wide.pt")
    wide = torch.load(tmp_path / "new.pt", weights_only=True)
    wide["extra"]["width"] = 8
    torch.save(wide, tmp_path / "wide_new.pt")
    for name, message in [("evil.pt", "cannot be loaded safely"), ("cut.pt", "cannot be loaded safely"),
                          ("nokey.pt", "'classes' must be a list (no such key)"),
                          ("wide.pt", "the action classifier's weights do not fit"),
                          ("wide_new.pt", "the action classifier's weights do not fit"),
                          ("missing.pt", "action classifier file"), ("missing.pt", "not found")]:
        with pytest.raises(DrnetError) as err:
            load_model(tmp_path / name, kinds=("classifier",))
        assert message in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DrnetError, match="holds a 'classifier' model, not a DrNet"):
        load_model(tmp_path / "new.pt", kinds=("drnet",))


@pytest.mark.parametrize("value", [".nan", ".inf", "-1"])
def test_ablation_value_is_validated_like_a_param(tmp_path, capsys, value):
    from stages.train_drnet import main

    rc = main(["--dataset", "norb", "--ablation", "noadv", "--set", f"ablation.noadv.adv_weight={value}", "--train",
               str(tmp_path / "x.h5"), "--model-out", str(tmp_path / "m.pt"), "--checkpoint", str(tmp_path / "c.pt"),
               "--metrics-out", str(tmp_path / "m.csv"), "--summary-out", str(tmp_path / "s.json")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("error: params.yaml: ablation.noadv.adv_weight: Input should be") \
        and "\n" not in err


def test_resume_key_names_what_changed(mnist, tmp_path):
    _, store = mnist
    (tmp_path / "up.pt").write_bytes(b"model one")
    key = resume_key("abc", data=store, upstream={"drnet": tmp_path / "up.pt"})
    assert key_mismatch(key, key) is None
    assert "other params" in key_mismatch(key.replace("params=abc", "params=abd"), key)
    assert "before its data identity was recorded" in key_mismatch("abc", key)  # a pre-key checkpoint
    (tmp_path / "up.pt").write_bytes(b"model two")
    changed = resume_key("abc", data=store, upstream={"drnet": tmp_path / "up.pt"})
    assert "from another drnet model file" in key_mismatch(key, changed)
    assert key_mismatch("abc", "abc") is None  # a bare params hash still works as a key
    with pytest.raises(DrnetError, match="cannot read .*Is a directory"):
        resume_key("abc", data=store, upstream={"drnet": tmp_path})


@pytest.fixture
def code_copy(tmp_path, monkeypatch):
    """A copy of the repository's drnet/ and stages/ sources that the stages' code digest reads instead of the
    checkout: editing it is editing the code the training stages run, without touching the checkout."""
    import shutil

    from stages.dag import sources

    root = tmp_path / "code"
    for package in ("drnet", "stages"):
        shutil.copytree(sources.ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sources, "ROOT", root)
    return root


def test_edited_training_code_trains_afresh(tmp_path, code_copy, caplog, capsys, monkeypatch):
    """A comment added to drnet/models/dcgan.py re-runs training (both front doors see the file change); the
    finished checkpoint of the old code must not be "resumed" at its last step and its weights written again."""
    store = tmp_path / "train.h5"
    _build(store, 4)
    assert _drnet_stage(tmp_path, store) == 0
    old = _weights(tmp_path / "drnet.pt")
    caplog.set_level("INFO", logger="drnet")
    assert _drnet_stage(tmp_path, store) == 0  # same code: the finished run is resumed, nothing retrained
    assert "resumed from" in caplog.text and _same(old, _weights(tmp_path / "drnet.pt"))
    with open(code_copy / "drnet/models/dcgan.py", "a") as fh:
        fh.write("# a comment\n")
    caplog.clear()
    capsys.readouterr()
    assert _drnet_stage(tmp_path, store, "--resume", "yes") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --resume yes but") and "with other code" in err and "\n" not in err
    assert _drnet_stage(tmp_path, store, sets=["seed=1"]) == 0  # other weights for the store, so that a stale
    retrained = _weights(tmp_path / "drnet.pt")                 # resume below would be seen
    with open(code_copy / "drnet/train/drnet.py", "a") as fh:
        fh.write("# another comment\n")
    caplog.clear()
    assert _drnet_stage(tmp_path, store, sets=["seed=1"]) == 0
    assert "starting fresh, not resuming" in caplog.text and "with other code" in caplog.text
    assert "resumed from" not in caplog.text
    assert _same(retrained, _weights(tmp_path / "drnet.pt")), "a fresh run of unchanged maths: the same weights"
    with open(code_copy / "drnet/models/dcgan.py", "a") as fh:
        fh.write("# an unrelated edit\n")
    monkeypatch.setenv("DRNET_RESUME_ACROSS_CODE", "1")  # the opt-in: keep the run across the edit
    caplog.clear()
    kept = (tmp_path / "drnet.pt").read_bytes()
    assert _drnet_stage(tmp_path, store, sets=["seed=1"]) == 0
    assert "DRNET_RESUME_ACROSS_CODE=1: resuming" in caplog.text and "resumed from" in caplog.text
    assert (tmp_path / "drnet.pt").read_bytes() == kept, "the kept run rewrites its own file: no LSTM retrain"
    caplog.clear()
    assert _drnet_stage(tmp_path, store, sets=["seed=2"]) == 0  # the opt-in never covers other params
    assert "starting fresh, not resuming" in caplog.text and "with other params" in caplog.text


def test_lstm_and_ae_keys_hold_their_code(code_copy):
    from stages.dag.sources import code_digest

    before = {m: code_digest(m) for m in ("stages.train_lstm", "stages.train_ae", "stages.train_drnet")}
    with open(code_copy / "drnet/models/lstm.py", "a") as fh:
        fh.write("# a comment\n")
    after = {m: code_digest(m) for m in before}
    assert after["stages.train_lstm"] != before["stages.train_lstm"]
    key = resume_key("abc", code=before["stages.train_lstm"])
    assert "with other code" in key_mismatch(key, resume_key("abc", code=after["stages.train_lstm"]))
    assert key_mismatch(key, resume_key("abc", code=after["stages.train_lstm"]), ignore={"code"}) is None
    assert "before its code identity was recorded" in key_mismatch("params=abc", key)


def test_runtime_settings_that_change_results_are_in_the_key(tmp_path, caplog):
    """fp64 over an fp32 checkpoint trains afresh (other numbers); another thread count (DVC and Snakemake re-run
    training for it: a declared param) resumes the same run."""
    store = tmp_path / "train.h5"
    _build(store, 4)
    assert _drnet_stage(tmp_path, store, sets=["runtime.precision=fp32", "runtime.threads=1"]) == 0
    model = (tmp_path / "drnet.pt").read_bytes()
    caplog.set_level("INFO", logger="drnet")
    assert _drnet_stage(tmp_path, store, sets=["runtime.precision=fp32", "runtime.threads=2"]) == 0
    assert "resumed from" in caplog.text
    # the finished run, written again, is the same file: the LSTM built on it is not retrained (its key holds the
    # file's sha256; the RNG state a loader consumed and unshared metric names made other bytes)
    assert (tmp_path / "drnet.pt").read_bytes() == model
    caplog.clear()
    assert _drnet_stage(tmp_path, store, sets=["runtime.precision=fp64", "runtime.threads=2"]) == 0
    assert "starting fresh, not resuming" in caplog.text and "with other runtime settings" in caplog.text
    assert "precision:fp32" in caplog.text and "precision:fp64" in caplog.text
