import sys

import pytest

from drnet.errors import DrnetError
from drnet.params import apply_overrides, load_params, load_raw, section


def test_paper_defaults_match_the_authors(repo_root):
    p = load_params(repo_root / "params.yaml")
    m = section(p, "mnist")
    assert (m.train.lr, m.train.beta1, m.train.batch_size, m.train.steps) == (0.002, 0.9, 100, 120_000)
    assert m.train.fresh_clips and m.lstm.fresh_clips and (m.lstm.beta1, m.lstm.steps) == (0.9, 120_000)
    assert (m.model.content_dim, m.model.pose_dim, m.model.disc_hidden, m.train.adv_weight) == (128, 10, 100, 0.1)
    assert (m.lstm_model.hidden, m.lstm_model.layers, m.lstm.n_past, m.lstm.n_future) == (256, 2, 5, 10)
    k = section(p, "kth")
    assert (k.model.pose_dim, k.lstm.n_past, k.lstm.n_future, k.train.adv_weight) == (24, 10, 10, 1e-4)
    assert k.train.max_step is None  # authors' KTH loader: any two frames of the subsequence
    assert k.data.train_persons == list(range(1, 17)) and k.data.test_persons == list(range(17, 26))


def test_demo_overlay_changes_only_what_it_names(repo_root):
    paper, demo = load_params(repo_root / "params.yaml"), load_params(repo_root / "params.yaml", "demo")
    assert demo["mnist"]["data"]["source"] == "sklearn_digits" and paper["mnist"]["data"]["source"] == "idx"
    assert demo["mnist"]["train"]["lr"] == paper["mnist"]["train"]["lr"]
    assert "demo" not in demo


@pytest.mark.parametrize("override, message", [
    ("mnist.train.lr=-1", "mnist.train.lr: Input should be greater than 0 (got -1)"),
    ("mnist.train.lrr=1", "unknown key mnist.train.lrr; allowed here:"),
    ("mnist.data.source=foo", "mnist.data.source: Input should be 'idx' or 'sklearn_digits'"),
    ("mnist.train.max_step=30", "train.max_step (30) must be < data.seq_len (25)"),
    ("kth.model.decoder=dcgan64", "kth.model: a U-Net content encoder and decoder come as a pair"),
    ("kth.data.test_persons=[1]", "train_persons and test_persons overlap"),
    ("mnist.train.steps", "is not of the form section.key=value"),
])
def test_bad_values_give_one_line_naming_the_key(repo_root, override, message):
    with pytest.raises(DrnetError) as err:
        load_params(repo_root / "params.yaml", overrides=[override])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_typo_in_file_is_refused(tmp_path, repo_root):
    text = (repo_root / "params.yaml").read_text().replace("    max_speed: 4", "    max_sped: 4")
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(DrnetError, match="unknown key mnist.data.max_sped"):
        load_params(tmp_path / "params.yaml")


def test_unknown_section_and_bad_yaml(tmp_path):
    (tmp_path / "a.yaml").write_text("mnistt: {}\n")
    with pytest.raises(DrnetError, match="unknown section 'mnistt'"):
        load_params(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("mnist: [\n")
    with pytest.raises(DrnetError, match="not valid YAML"):
        load_params(tmp_path / "b.yaml")
    with pytest.raises(DrnetError, match="not found"):
        load_params(tmp_path / "missing.yaml")


def test_overrides_are_typed(repo_root):
    raw = apply_overrides(load_raw(repo_root / "params.yaml"), ["mnist.train.steps=7", "kth.data.train_persons=[1, 2]"])
    assert raw["mnist"]["train"]["steps"] == 7 and raw["kth"]["data"]["train_persons"] == [1, 2]


@pytest.mark.parametrize("override, message", [
    ("mnist.train.lr=[", "override 'mnist.train.lr=[': the value is not valid YAML at line 1"),
    ("seed=4294967296", "seed: Input should be less than or equal to 4294967295"),
    ("seed=99999999999999999999999", "seed: Input should be less than or equal to 4294967295"),
    ("kth.synthetic.seed=-1", "kth.synthetic.seed: Input should be greater than or equal to 0"),
    ("mnist.train.lr=.nan", "mnist.train.lr: Input should be a finite number"),
    ("mnist.train.adv_weight=.inf", "mnist.train.adv_weight: Input should be a finite number (got inf)"),
    ("mnist.train.sim_weight=.nan", "mnist.train.sim_weight: Input should be a finite number"),
    ("kth.download.timeout_s=.inf", "kth.download.timeout_s: Input should be a finite number"),
    ("chairs.data.elevations=[10.0, .nan]", "chairs.data.elevations.1: Input should be a finite number"),
    ("mnist.train.steps=[&a [1, 1], *a]", "uses a YAML alias (alias *a)"),
])
def test_hostile_values_give_one_short_line(repo_root, override, message):
    with pytest.raises(DrnetError) as err:
        load_params(repo_root / "params.yaml", overrides=[override])
    assert message in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_validated_values_are_returned_not_the_raw_ones(repo_root):
    """`seed: '7'` passes validation (coerced); the stages must then get the int 7, not the string."""
    p = load_params(repo_root / "params.yaml", overrides=["seed='7'", "mnist.train.lr=1e-3"])
    assert p["seed"] == 7 and isinstance(p["seed"], int)
    assert p["mnist"]["train"]["lr"] == 0.001  # YAML 1.1 reads 1e-3 as a string; the schema makes it a float
    assert isinstance(p["kth"]["train"]["lr"], float)


def test_alias_bomb_is_refused_in_one_short_line(tmp_path, repo_root):
    laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefg", "bcdefgh"):
        laughs.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    bomb = "\n".join(laughs) + "\n"
    (tmp_path / "bomb.yaml").write_text(bomb)
    with pytest.raises(DrnetError) as err:
        load_params(tmp_path / "bomb.yaml")
    assert "uses a YAML alias (alias *a) at line 2" in str(err.value) and len(str(err.value)) < 400
    text = (repo_root / "params.yaml").read_text().replace("seed: 0", "seed: *h")
    (tmp_path / "params.yaml").write_text(bomb + text)
    with pytest.raises(DrnetError, match="YAML alias") as err:
        load_params(tmp_path / "params.yaml")
    assert len(str(err.value)) < 400


def test_echoed_values_are_truncated():
    from drnet.params import validate

    nested = ["lol"] * 9
    for _ in range(7):
        nested = [nested] * 9  # shared references: 9**8 leaves, as PyYAML builds an alias bomb
    with pytest.raises(DrnetError) as err:
        validate({"seed": nested})
    assert "seed: Input should be a valid integer (got [[[" in str(err.value) and len(str(err.value)) < 400
    with pytest.raises(DrnetError) as err:
        load_params(overrides=["mnist.train.steps=" + "x" * 100_000])
    assert len(str(err.value)) < 400


@pytest.mark.parametrize("override, message", [
    ("mnist.train.steps=9223372036854775808", "mnist.train.steps: integers must lie within +-2147483647"),
    ("kth.data.train_persons=[1, 99999999999999]", "kth.data.train_persons: integers must lie within"),
    ("norb.classifier.max_test_frames=99999999999999", "norb.classifier.max_test_frames: integers must lie within"),
    ("kth.baseline.latent_dim=100000000", "kth.baseline.latent_dim: Input should be less than or equal to 4096"),
    ("mnist.generate.length=1000000000", "mnist.generate.length: Input should be less than or equal to 100000"),
])
def test_huge_integers_are_refused(repo_root, override, message):
    with pytest.raises(DrnetError) as err:
        load_params(repo_root / "params.yaml", overrides=[override])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_seeds_take_the_whole_seeding_range(repo_root):
    p = load_params(repo_root / "params.yaml", overrides=["seed=4294967295", "chairs.data.seed=3000000000"])
    assert p["seed"] == 2**32 - 1 and p["chairs"]["data"]["seed"] == 3_000_000_000


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe\x00seed: 0\n", "is not UTF-8 text"),
    (b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n", "nests YAML too deeply"),
    (b"seed: 0\nseed: 1\n", "at line 2 (key 'seed' is given twice)"),
    (b"mnist:\n  train: {lr: 1}\n  train: {lr: 2}\n", "key 'train' is given twice"),
])
def test_unreadable_params_files_give_one_line(tmp_path, content, message):
    (tmp_path / "p.yaml").write_bytes(content)
    with pytest.raises(DrnetError) as err:
        load_params(tmp_path / "p.yaml")
    assert message in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DrnetError, match="cannot read .*Is a directory"):
        load_params(tmp_path)


@pytest.mark.parametrize("cli, message", [
    ({"demo": [1]}, "demo must be a mapping of sections (the overlay), got [1]"),
    ({"mnist": {"train": {"lr": ".inf"}}}, "mnist.train.lr: Input should be a valid number"),
    ({"seed": "99999999999"}, "seed: Input should be less than or equal to 4294967295"),
])
def test_snakemake_config_is_refused_in_one_line(repo_root, cli, message):
    """What `snakemake --config` hands the Snakefile (strings, via YAML's BaseLoader) merged over params.yaml."""
    from stages.dag.support import check_config, merged_config

    with pytest.raises(DrnetError) as err:
        check_config(merged_config(cli, str(repo_root / "params.yaml")))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_schema_types_every_section_of_the_file(repo_root):
    from drnet.params import DATASETS, VARIANTS
    from drnet.params.schema import SECTIONS, Params

    assert set(load_raw(repo_root / "params.yaml")) == set(Params.model_fields)
    assert set(VARIANTS[1:]) <= set(Params.model_fields) and not set(VARIANTS) & set(SECTIONS)
    assert {*DATASETS, "leakage", "ablation", "runtime"} <= set(SECTIONS)
    assert set(DATASETS) == {name for name, model in SECTIONS.items() if "data" in model.model_fields}
    import drnet.params
    from drnet.params import schema

    types = {n for n, v in vars(schema).items() if isinstance(v, type) and v.__module__ == schema.__name__}
    assert types - {"Strict"} <= set(drnet.params.__all__), "import every schema type from drnet.params"


@pytest.mark.parametrize("variant", ["paper", "demo", "proof"])
def test_noadv_ablation_changes_only_the_adversarial_weight(repo_root, variant):
    from drnet.params import with_ablation

    params = load_params(repo_root / "params.yaml", variant)
    for dataset in ("norb", "chairs"):
        ablated = with_ablation(params, dataset, "noadv")
        assert ablated[dataset]["train"].pop("adv_weight") == 0.0 and params[dataset]["train"]["adv_weight"] > 0
        params[dataset]["train"].pop("adv_weight")
        assert ablated == params


def test_training_stages_hash_the_keys_the_registry_lists(repo_root):
    """The resume key hashes exactly the registry's params keys: the same values as the hand-made dicts before."""
    from drnet.params import tracked_params, training_keys
    from stages.dag.registry import registry

    p = load_params(repo_root / "params.yaml", "demo")
    kth = section(p, "kth")
    assert tracked_params(p, training_keys("drnet", "norb")) == {"seed": 0, "model": p["norb"]["model"],
                                                                  "train": p["norb"]["train"]}
    assert tracked_params(p, training_keys("lstm", "mnist")) == {"seed": 0, "lstm_model": p["mnist"]["lstm_model"],
                                                                  "lstm": p["mnist"]["lstm"]}
    assert tracked_params(p, training_keys("ae", "kth")) == {"seed": 0, "baseline": p["kth"]["baseline"],
                                                             "width": kth.model.width, "max_step": kth.train.max_step}
    kinds = {"stages.train_drnet": "drnet", "stages.train_lstm": "lstm", "stages.train_ae": "ae"}
    training = [s for s in registry() if s.module in kinds]
    assert len(training) == 10
    for stage in training:
        dataset = stage.args[stage.args.index("--dataset") + 1] if "--dataset" in stage.args else "kth"
        extra = ["ablation.noadv"] if stage.name.endswith("_noadv") else []
        assert stage.params == [*training_keys(kinds[stage.module], dataset), *extra, "runtime"], stage.name


def test_resume_hash_changes_with_a_tracked_key_only(repo_root):
    from drnet.params import params_hash, tracked_params, training_keys, with_ablation

    def key(*overrides, ablation=None):
        p = load_params(repo_root / "params.yaml", "demo", list(overrides))
        return params_hash(tracked_params(with_ablation(p, "norb", ablation) if ablation else p,
                                          training_keys("drnet", "norb")))

    base = key()
    assert key("norb.disentangle.n_pairs=3") == base  # read by another stage
    assert key("demo.norb.train.steps=7") != base and key("seed=1") != base and key("norb.model.pose_dim=3") != base
    assert key(ablation="noadv") != base != key("ablation.noadv.adv_weight=0.5", ablation="noadv")


def test_tracked_values_left_out_of_the_file_are_the_schema_defaults(repo_root):
    from drnet.params import tracked_params

    p = load_params(repo_root / "params.yaml")
    name = next(iter(tracked_params(p, ["kth.model"])))
    assert name is sys.intern("model"), "pickled like the literal key: model files keep their bytes"
    del p["kth"]["model"]["width"]
    assert tracked_params(p, ["kth.model.width"]) == {"width": 64}
    with pytest.raises(ValueError, match="name 'width' twice"):
        tracked_params(p, ["kth.model.width", "kth.classifier.width"])


def test_runtime_compile_is_read_by_drnet_training(tmp_path, monkeypatch):
    """`runtime.compile: true` compiles Ec, Ep and D of the DrNet loop (checked here with a recording stand-in for
    torch.compile; a real compile on the CPU takes minutes and gives the same losses)."""
    import torch

    from stages import mnist_build, train_drnet

    sizes = ["--variant", "demo", "--set", "mnist.data.train_sequences=8", "--set", "mnist.data.test_sequences=2",
             "--set", "mnist.model.width=4", "--set", "mnist.train.steps=1", "--set", "mnist.train.batch_size=4",
             "--set", "runtime.num_workers=0"]
    assert mnist_build.main([*sizes, "--train-out", str(tmp_path / "train.h5"), "--test-out",
                             str(tmp_path / "test.h5"), "--summary-out", str(tmp_path / "data.json")]) == 0
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda module, **kw: compiled.append(type(module).__name__) or module)
    outs = [f"--{flag}={tmp_path / flag}" for flag in ("model-out", "checkpoint", "metrics-out", "summary-out")]
    for value, calls in (("false", 0), ("true", 3)):
        compiled.clear()
        assert train_drnet.main(["--dataset", "mnist", "--train", str(tmp_path / "train.h5"), *sizes, "--set",
                     f"runtime.compile={value}", "--resume", "no", *outs]) == 0
        assert len(compiled) == calls, compiled


def test_snakemake_config_of_the_ablation_reaches_only_the_ablated_rules(repo_root):
    from stages.dag.registry import registry
    from stages.dag.support import merged_config, overrides

    config = merged_config({"ablation": {"noadv": {"adv_weight": "0.01"}}}, str(repo_root / "params.yaml"))
    flags = {s.name: overrides(config, s.params, str(repo_root / "params.yaml")) for s in registry()}
    assert {name for name, flag in flags.items() if flag} == {"norb_train_noadv", "chairs_train_noadv"}
    assert flags["norb_train_noadv"] == "--set ablation.noadv.adv_weight=0.01"


def _schema_fields(model, tree, prefix=""):
    """(dotted key, pydantic field, value in ``tree`` or KeyError) for every leaf field of ``model`` (no overlays)."""
    from pydantic import BaseModel

    for name, info in model.model_fields.items():
        if name in ("demo", "proof"):
            continue
        ann, key = info.annotation, f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _schema_fields(ann, tree.get(name, {}), key + ".")
        else:
            yield key, model, name, info, tree.get(name, KeyError)


def test_params_yaml_sets_every_schema_field(repo_root):
    """Every knob is in params.yaml, so that `--set`/`--config`/`-S` can reach it (they refuse absent keys)."""
    from drnet.params.schema import Params

    raw = load_raw(repo_root / "params.yaml")
    missing = [key for key, _, _, _, value in _schema_fields(Params, raw) if value is KeyError]
    assert not missing, f"schema fields absent from params.yaml: {missing}"


def test_schema_defaults_are_values_params_yaml_gives(repo_root):
    """A default is the value of at least one section of params.yaml that uses it (shared models such as
    DrnetModel have per-dataset values); a default no section holds is a stale second copy (beta1 was 0.5 in
    the schema, 0.9 in the file and in both author codes)."""
    from pydantic_core import PydanticUndefined

    from drnet.params.schema import Params

    raw = load_raw(repo_root / "params.yaml")
    values: dict[tuple[type, str], list] = {}
    for _, model, name, info, value in _schema_fields(Params, raw):
        values.setdefault((model, name), [info.get_default(call_default_factory=True)]).append(value)
    stale = [f"{model.__name__}.{name}={seen[0]!r} (file: {seen[1:]})" for (model, name), seen in values.items()
             if seen[0] is not PydanticUndefined and seen[0] not in seen[1:]]
    assert not stale, f"schema defaults that no section of params.yaml holds: {stale}"


@pytest.mark.parametrize("key", ["mnist.model.normalize_content", "kth.train.fresh_clips", "kth.lstm.fresh_clips",
                                 "norb.model.normalize_content"])
def test_documented_knobs_are_settable(repo_root, key):
    """The README's knobs take `--set` (stage CLI) and `--config` (Snakemake, passed on as --set)."""
    from drnet.params import lookup
    from stages.dag.support import merged_config, overrides

    path = repo_root / "params.yaml"
    for value in (True, False):
        assert lookup(load_params(path, overrides=[f"{key}={str(value).lower()}"]), key) is value
    flipped = str(not lookup(load_raw(path), key)).lower()
    dataset, part, name = key.split(".")
    config = merged_config({dataset: {part: {name: flipped}}}, str(path))
    assert overrides(config, [f"{dataset}.{part}"], str(path)) == f"--set {key}={flipped}"


@pytest.mark.parametrize("override", ["mnist.train.steps=true", "mnist.train.adv_weight=off", "norb.data.camera=yes",
                                      "kth.data.train_persons=[1, on]", "mnist.train.max_step=no", "seed=true"])
def test_yaml_booleans_are_not_numbers(repo_root, override):
    """`--set mnist.train.steps=true` trained 1 step and `adv_weight=off` gave 0.0: a boolean is refused in one
    line wherever a number is expected; boolean knobs still take yes/no/on/off."""
    with pytest.raises(DrnetError) as err:
        load_params(repo_root / "params.yaml", overrides=[override])
    assert f"{override.split('=')[0]}: a YAML boolean" in str(err.value) and "\n" not in str(err.value)
    assert load_params(repo_root / "params.yaml", overrides=["mnist.model.normalize=off"])["mnist"]["model"][
        "normalize"] is False
