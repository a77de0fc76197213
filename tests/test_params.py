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
    ("kth.model.decoder=dcgan64", "kth.model: content_encoder and decoder must both be vgg16_unet"),
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
