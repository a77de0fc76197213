"""Classification experiments (Table 1, Figure 8), leakage probes, paper tables and the report folder."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from drnet.data.store import VideoStore, VideoStoreWriter
from drnet.errors import DrnetError
from drnet.eval.experiments import fewshot_curve, frame_items, leakage, mlp_accuracy, object_classification
from drnet.report.tables import to_latex, to_markdown, write_table


class FactorModel(torch.nn.Module):
    """A stand-in for a trained DrNet with known factors: content = the frame's mean brightness per channel
    (the object), pose = a one-hot of the column of its brightest pixel (where the dot is)."""

    def encode_content(self, x):
        return x.mean(dim=(2, 3)) * torch.ones(1, 4), None

    def encode_pose(self, x):
        col = x.amax(dim=(1, 2)).argmax(dim=1)
        return torch.nn.functional.one_hot(col, x.shape[-1]).float()


def _object_store(path, split, n_classes=3, per_class=4, length=8, size=16, seed=0, **extra_meta):
    """Clips whose brightness encodes the class (content) and a white dot moving right (pose = column)."""
    rng = np.random.default_rng(seed)
    with VideoStoreWriter(path, dataset="norb", split=split, source="synthetic", synthetic=True,
                          frame_shape=(size, size, 1)) as w:
        for k in range(n_classes):
            for i in range(per_class):
                frames = np.full((length, size, size, 1), 40 + 50 * k + rng.integers(0, 5), np.uint8)
                start = rng.integers(0, size - length)
                for t in range(length):
                    frames[t, size // 2, start + t] = 255
                az = (np.arange(length) * 20 + 20 * start) % 360
                meta = {key: fn(k, i) for key, fn in extra_meta.items()}
                w.add(frames, frame_meta={"azimuth": az}, category=k, **meta)
    return VideoStore(path)


def test_frame_items_all_and_sampled(tmp_path):
    store = _object_store(tmp_path / "s.h5", "train")
    items = frame_items(store, None, 0)
    assert len(items) == store.length.sum() and (items[:8, 0] == 0).all() and (items[:8, 1] == np.arange(8)).all()
    sample = frame_items(store, 10, 0)
    assert len(sample) == 10 and np.array_equal(sample, frame_items(store, 10, 0))


def test_mlp_learns_separable_data_and_not_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    x = np.eye(3)[y] * 3 + rng.normal(size=(300, 3)) * 0.3
    kw = dict(n_classes=3, hidden=32, dropout=0.1, max_epochs=40, patience=5, val_fraction=0.2, seed=0)
    acc, _ = mlp_accuracy(x[:200], y[:200], x[200:], y[200:], **kw)
    assert acc > 0.95
    noise = rng.normal(size=(300, 3))
    acc_noise, _ = mlp_accuracy(noise[:200], y[:200], noise[200:], y[200:], **kw)
    assert acc_noise < 0.6


def test_object_classification_reads_category_from_content_not_pose(tmp_path):
    train = _object_store(tmp_path / "train.h5", "train", seed=1)
    test = _object_store(tmp_path / "test.h5", "test", seed=2)
    cfg = SimpleNamespace(max_train_frames=None, max_test_frames=None, hidden=32, dropout=0.1, max_epochs=60,
                          patience=10, val_fraction=0.2)
    df = object_classification({"adv": FactorModel()}, train, test, label="category", cfg=cfg, seed=0)
    acc = df.set_index("features").accuracy
    assert set(df.columns) >= {"model", "features", "accuracy", "chance", "n_train", "n_test"}
    assert acc["content"] > 0.9
    assert acc["pose"] < 0.7
    assert df.chance.iloc[0] == pytest.approx(1 / 3)


def test_fewshot_curve_rows_and_persons(tmp_path):
    kw = dict(action=lambda k, i: ["boxing", "running", "walking"][k], person=lambda k, i: i + 1)
    train = _object_store(tmp_path / "train.h5", "train", per_class=4, length=12, seed=1, **kw)
    test = _object_store(tmp_path / "test.h5", "test", per_class=2, length=12, seed=2, **kw)
    cfg = SimpleNamespace(seq_len=4, subjects=[1, 2, 4, 9], hidden=16, dropout=0.1, epochs=20, patience=5,
                          repeats=2)
    df = fewshot_curve({"drnet": FactorModel()}, train, test, cfg=cfg, seed=0)
    assert sorted(df.subjects.unique()) == [1, 2, 4]  # 9 > the 4 training persons: dropped
    assert len(df) == 3 * 2
    assert (df[df.subjects == 1].persons.str.split().str.len() == 1).all()
    assert (df.n_test_windows == 3 * 2 * 3).all()  # 6 test clips of 12 frames -> 3 windows of 4 each
    # 2 subjects drawn twice with different seeds per repeat
    assert df[df.subjects == 2].persons.nunique() >= 1
    assert df.accuracy.between(0, 1).all()


def test_leakage_probes_separate_clip_identity_and_pose(tmp_path):
    store = _object_store(tmp_path / "test.h5", "test", n_classes=4, per_class=3, length=12, size=32, seed=3)
    r = leakage(FactorModel(), store, n_clips=12, frames_per_clip=12, max_iter=500, seed=0)
    assert r["n_clips"] == 12 and r["n_frames"] == 144
    assert r["pose_factor"].startswith("azimuth")
    assert r["pose_from_pose"] > r["pose_from_content"]
    assert r["clip_from_content"] > r["clip_from_pose"]


def test_write_table_csv_markdown_latex_agree(tmp_path):
    df = pd.DataFrame({"Model": ["DrNet (beta=0.1)", "no_adv & more"], "Content": [0.933, 0.5],
                       "Pose": [0.2, float("nan")]})
    paths = write_table(df, tmp_path / "t.csv", formats={"Content": "percent", "Pose": "percent"},
                        caption="Table 1: 20% chance", label="tab:x")
    assert [p.suffix for p in paths] == [".csv", ".md", ".tex", ".html"]
    assert pd.read_csv(paths[0]).Content.tolist() == [0.933, 0.5]
    md = paths[1].read_text()
    assert "| DrNet (beta=0.1) | 93.3% | 20.0% |" in md and "n/a" in md
    tex = paths[2].read_text()
    assert r"no\_adv \& more & 50.0\% & n/a \\" in tex and r"20\% chance" in tex and r"\label{tab:x}" in tex
    assert to_markdown(df).count("\n") == 4 and to_latex(df).startswith(r"\begin{table}")
    assert "<td style='text-align:right'>93.3%</td>" in paths[3].read_text()


def test_paper_report_folder_lists_items_with_provenance(tmp_path):
    import json

    import cv2

    from drnet.report import paper

    fig = tmp_path / "swap.png"
    cv2.imwrite(str(fig), np.zeros((8, 8, 3), np.uint8))
    table = tmp_path / "norb_classification.csv"
    write_table(pd.DataFrame({"Model": ["DrNet"], "Content": [0.9], "Pose": [0.25]}), table,
                formats={"Content": "percent", "Pose": "percent"})
    items = {"--norb-swap": fig, "--norb-table": table}
    summaries = {"norb": {"source": "synthetic", "synthetic": True}, "kth": {"source": "official", "synthetic": False}}
    out = tmp_path / "paper"
    paper.build({**items, "--mnist-swap": fig}, summaries, {"seed": 0}, out)
    assert (out / "figures" / "mnist-swap.png").exists()
    paper.build(items, summaries, {"seed": 0}, out)
    md = (out / "index.md").read_text()
    assert "Table 1" in md and "Fig. 4 (left)" in md and "SYNTHETIC DATA for norb" in md
    assert "| kth | official (real) | paper scale |" in md and "90.0%" in md
    assert (out / "figures" / "norb-swap.png").exists() and (out / "tables" / "norb-table.tex").exists()
    assert "<img src='figures/norb-swap.png'" in (out / "index.html").read_text()
    prov = json.loads((out / "provenance.json").read_text())
    assert len(prov["params_hash"]) == 12 and prov["data"]["norb"] == "synthetic (SYNTHETIC)"
    assert not (out / "figures" / "mnist-swap.png").exists(), "the report folder is replaced as a whole"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    (out / "my-notes.txt").write_text("a user's file")
    with pytest.raises(DrnetError, match="my-notes.txt"):
        paper.build(items, summaries, {"seed": 0}, out)
    assert (out / "my-notes.txt").exists() and (out / "index.md").read_text() == md


def test_paper_report_refuses_missing_input(tmp_path, capsys):
    from stages import paper_report

    rc = paper_report.main(["--variant", "demo", "--norb-swap", str(tmp_path / "nope.png"),
                            "--out", str(tmp_path / "paper")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.png does not exist" in err[0]
