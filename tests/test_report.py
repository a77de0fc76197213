"""The paper report's tables, stamps and figure helpers: one format per quantity, scale written on the images."""

import json

import numpy as np
import pandas as pd
import pytest

from drnet.eval.inception import motion
from drnet.report.annotate import annotate
from drnet.report.experiment_tables import LEAKAGE_FORMATS
from drnet.report.scale import scale_note, short_scale
from drnet.report.tables import format_cell, to_html, to_latex, to_markdown, write_table


@pytest.mark.parametrize("value, kind, text", [
    (0.783, "percent", "78.3%"), (200.0, "count", "200"), (200, "count", "200"), (1e-4, "weight", "1e-04"),
    (0.1, "weight", "1e-01"), (0.0, "weight", "0"), (2.5e-3, "weight", "2.5e-03"), (1.23456, "float", "1.235"),
    (float("nan"), "percent", "n/a"), ("kth", "text", "kth"),
])
def test_format_cell_one_format_per_kind(value, kind, text):
    assert format_cell(value, kind) == text


def _leakage_like():
    return pd.DataFrame({"model": ["mnist", "kth"], "adv weight": [0.1, 1e-4], "clip from pose": [0.25, 0.5],
                         "pose from content": [0.3, float("nan")], "clips": [200, 40]})


def test_markdown_latex_html_show_the_same_cells():
    df = _leakage_like()
    md, tex, html = to_markdown(df, LEAKAGE_FORMATS), to_latex(df, LEAKAGE_FORMATS), to_html(df, LEAKAGE_FORMATS)
    assert "| kth | 1e-04 | 50.0% | n/a | 40 |" in md
    assert "| mnist | 1e-01 | 25.0% | 30.0% | 200 |" in md
    assert r"kth & 1e-04 & 50.0\% & n/a & 40 \\" in tex
    for cell in ("1e-04", "1e-01", "50.0%", "30.0%", ">40<", ">200<"):
        assert cell in html, cell
    assert "| 10.0% |" not in md and "| 0.0% |" not in md and ">10.0%<" not in html, "a weight is no percent"
    assert "200.000" not in md + html, "counts are integers"


def test_report_embeds_each_stage_table_and_formats_json_by_quantity(tmp_path):
    from drnet.report.paper import build

    leak = tmp_path / "leakage.csv"
    write_table(_leakage_like(), leak, formats=LEAKAGE_FORMATS, caption="Leakage")
    table1 = tmp_path / "norb_classification.csv"
    write_table(pd.DataFrame({"Model": ["DrNet"], "Content": [0.783], "Pose": [0.2], "Chance": [0.2]}), table1,
                formats={"Content": "percent", "Pose": "percent", "Chance": "percent"})
    probe = tmp_path / "mnist_probe.json"
    probe.write_text(json.dumps({"content_identity_acc": 0.9, "pose_identity_acc": 0.1, "pose_position_acc": 0.8,
                                 "content_position_acc": 0.2, "identity_chance": 0.1, "position_chance": 0.0625,
                                 "n_train": 2000, "n_test": 200, "synthetic": True, "data_source": "x"}))
    classifier = tmp_path / "kth_classifier.json"
    classifier.write_text(json.dumps({"test_accuracy": 0.823, "chance": 1 / 6, "n_test": 300, "epochs": 4}))
    inception = tmp_path / "kth_inception.csv"
    pd.DataFrame({"model": ["drnet"], "offset": [0], "inception_score": [2.5], "std": [0.1], "n_samples": [400],
                  "motion": [0.0], "n_clips": [40], "synthetic": [True]}).to_csv(inception, index=False)
    fig = tmp_path / "inception.png"
    fig.write_bytes(b"\x89PNG fake")
    items = {"--leakage-table": leak, "--norb-table": table1, "--mnist-probe": probe, "--kth-classifier": classifier,
             "--kth-inception-csv": inception, "--kth-inception": fig}
    summaries = {"mnist": {"source": "sklearn_digits", "synthetic": True}, "kth": {"source": "synthetic",
                                                                                    "synthetic": True}}
    params = {"seed": 0, "mnist": {"train": {"steps": 6}, "model": {"width": 8}}}
    paper_params = {"mnist": {"train": {"steps": 60000}, "model": {"width": 64}}}
    single = tmp_path / "paper_report.html"
    out = build(items, summaries, params, tmp_path / "paper", paper=paper_params, html_out=single)
    md, html = (out / "index.md").read_text(), (out / "index.html").read_text()
    assert "78.3%" in md and "78.3%" in html and "0.783" not in html, "Table 1 reads the same in both"
    assert "| kth | 1e-04 |" in md and "1e-04" in html and "| 10.0% |" not in md.split("digit")[0]
    assert "| digit identity | 90.0% | 10.0% | n/a | n/a | n/a | 10.0% | 2000 | 200 |" in md
    assert "200.000" not in md + html and "n_test" not in md and "| 300 |" in md
    assert "test accuracy: 82.3%" in md, "the Inception network's accuracy is in Fig. 9's caption"
    assert "REDUCED SCALE: 6 steps (paper 60000), width 8 (paper 64)" in md
    assert (out / "tables" / "leakage-table.html").exists() and (out / "json" / "kth-classifier.json").exists()
    assert "| drnet | 0 | 2.500 | 0.100 | 400 | 0.000 | 40 | True |" in md and "| frames scored |" in md
    one_file = single.read_text()
    assert "src='data:image/png;base64," in one_file and "src='figures/" not in one_file


def test_scale_note_empty_only_at_paper_scale_on_real_data():
    paper = {"train": {"steps": 60000}, "model": {"width": 64}}
    assert scale_note(paper, paper, "idx", False) == ""
    note = scale_note({"train": {"steps": 6}, "model": {"width": 64}}, paper, "sklearn_digits", True)
    assert note.startswith("REDUCED SCALE: 6 steps (paper 60000)") and "width" not in note
    assert "SYNTHETIC" in note and "sklearn_digits" in note
    short = short_scale({"train": {"steps": 6}, "model": {"width": 8}}, paper, True)
    assert short == "6/60000 steps, width 8/64, SYNTHETIC"


def test_annotate_writes_the_stamp_on_the_image():
    grid = np.zeros((2 + 3 * 18, 2 + 3 * 18, 3), np.uint8)
    plain = annotate(grid, title="swap", cell=16, col_labels=["", "pose 1", "pose 2"])
    stamped = annotate(grid, title="swap", cell=16, col_labels=["", "pose 1", "pose 2"], stamp="REDUCED SCALE: x")
    assert stamped.dtype == np.uint8 and stamped.shape[0] > plain.shape[0]
    red = (stamped[..., 0] > 150) & (stamped[..., 1] < 80) & (stamped[..., 2] < 80)
    assert red.sum() > 20, "the stamp is drawn in red on the image"


def test_motion_is_zero_for_a_frozen_clip():
    frozen = np.repeat(np.full((1, 1, 8, 8, 1), 100, np.uint8), 5, axis=1)
    assert motion(frozen) == 0.0
    moving = frozen.copy()
    moving[:, 1::2] = 151
    assert motion(moving) == pytest.approx(51 / 255)


def test_inception_clips_long_enough_for_every_offset_come_first():
    from drnet.eval.inception_curve import pick_clips

    lengths = np.array([30, 200, 150, 20, 120])
    assert list(pick_clips(lengths, n_past=10, max_offset=100, n_clips=5, seed=0)) == [1, 2, 4]
    assert list(pick_clips(np.array([30, 25, 40]), n_past=10, max_offset=100, n_clips=2, seed=0)) == [0, 2]


def test_animations_carry_the_stamp_too():
    from drnet.report.annotate import stamp_frames

    frames = np.zeros((3, 64, 128, 3), np.uint8)
    assert stamp_frames(frames, "") is frames
    stamped = stamp_frames(frames, "REDUCED SCALE: 4 steps (paper 60000); data: SYNTHETIC stand-in")
    assert stamped.shape[0] == 3 and stamped.shape[1] > 64 and stamped.shape[2] == 128
    banner = stamped[0, : stamped.shape[1] - 64]
    assert ((banner[..., 0] > 120) & (banner[..., 2] < 100)).sum() > 20, "red text on the banner"


def test_older_percent_columns_form_still_renders():
    df = pd.DataFrame({"Model": ["DrNet"], "Content": [0.9]})
    assert "| DrNet | 90.0% |" in to_markdown(df, {"Content"})


def test_dvc_plots_page_loads_vega_from_the_venv_not_a_cdn(repo_root):
    import configparser
    import re
    import sys
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(repo_root / ".dvc" / "config")
    template = (repo_root / ".dvc" / config["plots"]["html_template"].strip()).resolve()
    page = template.read_text()
    assert "{plot_divs}" in page and "http" not in page
    scripts = re.findall(r'<script src="\.\./\.venv/([^"]+)"', page)
    assert len(scripts) == 3
    for script in scripts:
        assert (Path(sys.prefix) / script).exists(), f"{script} is not in this venv"
    assert "dvc_plots/" in (repo_root / ".gitignore").read_text().split()


def test_real_continuations_start_at_the_last_observed_frame(tmp_path):
    from drnet.data.store import VideoStore, VideoStoreWriter
    from drnet.eval.inception_curve import real_continuations

    with VideoStoreWriter(tmp_path / "t.h5", dataset="kth", split="test", source="x", synthetic=True,
                          frame_shape=(4, 4, 1)) as writer:
        for length in (20, 8):
            writer.add(np.arange(length, dtype=np.uint8)[:, None, None, None].repeat(4, 1).repeat(4, 2))
    real = real_continuations(VideoStore(tmp_path / "t.h5"), np.array([0, 1]), n_past=4, length=10)
    assert real.shape == (2, 11, 4, 4, 1)
    assert list(real[0, :, 0, 0, 0]) == list(range(3, 14))
    assert list(real[1, :, 0, 0, 0]) == [3, 4, 5, 6, 7] + [0] * 6, "short clip: zero-padded, never scored"


@pytest.mark.parametrize("flag, text, message", [
    ("--mnist-data", None, "--mnist-data summary {path} not found"),
    ("--kth-data", "{not json", "--kth-data summary {path} is not valid JSON (Expecting property name"),
    ("--mnist-probe", "[1, 2]", "--mnist-probe JSON {path} holds a JSON list, not an object"),
    ("--mnist-probe", '{"n_train": 3}', "--mnist-probe JSON {path} lacks 'content_identity_acc'"),
    ("--kth-classifier", "\xff\xfe", "--kth-classifier JSON {path} is not valid JSON"),
    ("--kth-inception-csv", 'a,b\n1,2,3,"\n', "{path} is not a readable CSV"),
    ("--kth-inception-csv", "a,b\n1,2\n", "{path} lacks the column(s) model, offset, inception_score"),
    ("--norb-table", "x,y\n", "--norb-table {path} comes without its rendering"),
])
def test_paper_report_inputs_missing_or_malformed_are_one_line(tmp_path, capsys, flag, text, message):
    from stages import paper_report

    path = tmp_path / ("in.csv" if flag in ("--kth-inception-csv", "--norb-table") else "in.json")
    if text is not None:
        path.write_bytes(text.encode("latin-1"))
    assert paper_report.main([flag, str(path), "--out", str(tmp_path / "paper")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message.format(path=path)) and err.count("\n") == 1, err
    assert not (tmp_path / "paper").exists()
