"""Outputs never clobber inputs or files a stage did not write, and a stage's outputs are replaced as one unit."""

import hashlib
import json

import cv2
import numpy as np
import pytest

from drnet.data.video_folder import split_videos
from stages import chairs_meshes, mnist_build, norb_synth, paper_report, train_drnet, video_folder_ingest
from stages import figures as figures_stage
from stages.cli import is_output_flag, path_conflict
from stages.dag.registry import jobs

MNIST = ["--variant", "demo", "--set", "mnist.data.train_sequences=3", "--set", "mnist.data.test_sequences=3",
         "--set", "mnist.data.seq_len=16"]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error(capsys, *fragments):
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and all(f in errors[0] for f in fragments), err
    assert "Traceback" not in err
    return errors[0]


@pytest.fixture
def mnist_stores(tmp_path):
    outs = {"train": tmp_path / "train.h5", "test": tmp_path / "test.h5", "summary": tmp_path / "d.json"}
    assert mnist_build.main([*MNIST, "--train-out", str(outs["train"]), "--test-out", str(outs["test"]),
                             "--summary-out", str(outs["summary"])]) == 0
    return outs


def _write_video(path, n, size=48):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (size, size))
    for t in range(n):
        frame = np.full((size, size, 3), 40, np.uint8)
        frame[10:20, t % (size - 10):t % (size - 10) + 10] = 220
        writer.write(frame)
    writer.release()


def test_every_registry_output_is_an_output_flag_and_clobbers_no_input():
    for job in jobs():
        outs = {**job.outs(), **job.persist()}
        assert all(is_output_flag(flag) for flag in outs), job.name
        assert not any(is_output_flag(flag) for flag in job.deps()), job.name
        assert path_conflict(job.deps(), outs) is None, job.name


def test_path_conflict_rules(tmp_path):
    (tmp_path / "raw").mkdir()
    raw, out = str(tmp_path / "raw"), str(tmp_path / "paper")
    assert "lies inside the output --out" in path_conflict({}, {"--out": out, "--html-out": f"{out}/r.html"})
    assert path_conflict({}, {"--out": raw, "--manifest": f"{raw}/m.json"}, in_place=["--out"]) is None
    assert "lies inside the input folder --raw" in path_conflict({"--raw": raw}, {"--train-out": f"{raw}/t.h5"})
    assert "holds the input --raw" in path_conflict({"--raw": raw}, {"--out": str(tmp_path)})
    assert path_conflict({"--raw": raw}, {"--train-out": str(tmp_path / "raw2" / "t.h5")}) is None


@pytest.mark.parametrize("case", ["model_on_train", "model_on_metrics", "train_on_test"])
def test_an_output_on_an_input_or_on_another_output_is_refused_before_any_work(case, mnist_stores, tmp_path, capsys):
    train, test = mnist_stores["train"], mnist_stores["test"]
    before = {p: _digest(p) for p in mnist_stores.values()}
    if case == "train_on_test":
        rc = mnist_build.main([*MNIST, "--train-out", str(test), "--test-out", str(test),
                               "--summary-out", str(tmp_path / "d.json")])
        fragments = ("--train-out and --test-out are both", "nothing was written")
    else:
        model = train if case == "model_on_train" else tmp_path / "m.csv"
        rc = train_drnet.main([*MNIST, "--dataset", "mnist", "--train", str(train), "--model-out", str(model),
                               "--checkpoint", str(tmp_path / "c.pt"), "--metrics-out", str(tmp_path / "m.csv"),
                               "--summary-out", str(tmp_path / "s.json")])
        fragments = ("is also the input --train",) if case == "model_on_train" else ("are both",)
    assert rc == 2
    _one_error(capsys, *fragments)
    assert {p: _digest(p) for p in mnist_stores.values()} == before
    assert not (tmp_path / "c.pt").exists() and not (tmp_path / "m.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_ingest_output_onto_a_source_video_is_refused(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(2):
        _write_video(videos / f"v{i}.avi", 12)
    before = _digest(videos / "v0.avi")
    rc = video_folder_ingest.main(["--folder", str(videos), "--train-out", str(videos / "v0.avi"),
                                   "--test-out", str(tmp_path / "test.h5"), "--min-length", "4"])
    assert rc == 2
    _one_error(capsys, "lies inside the input folder --folder")
    assert _digest(videos / "v0.avi") == before and sorted(p.name for p in videos.iterdir()) == ["v0.avi", "v1.avi"]


def test_paper_report_refuses_a_folder_holding_files_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "x"
    fig = tmp_path / "swap.png"
    cv2.imwrite(str(fig), np.zeros((8, 8, 3), np.uint8))
    assert paper_report.main(["--variant", "demo", "--mnist-swap", str(fig), "--out", str(out)]) == 0
    assert paper_report.main(["--variant", "demo", "--mnist-swap", str(fig), "--out", str(out)]) == 0  # a re-run
    (out / "thesis.tex").write_text("a user's file")
    assert paper_report.main(["--variant", "demo", "--mnist-swap", str(fig), "--out", str(out)]) == 2
    _one_error(capsys, "thesis.tex", "which no stage wrote there")
    assert (out / "thesis.tex").read_text() == "a user's file" and (out / "index.md").exists()
    assert paper_report.main(["--variant", "demo", "--mnist-swap", str(fig), "--out", str(tmp_path)]) == 2
    _one_error(capsys, "holds the input --mnist-swap")
    assert fig.exists()


def test_synthetic_sources_refuse_a_folder_with_user_files(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("a user's file")
    sets = ["--variant", "demo", "--set", "chairs.data.procedural_models=2"]
    assert chairs_meshes.main([*sets, "--out", str(mine)]) == 2
    _one_error(capsys, "keep.txt")
    assert sorted(p.name for p in mine.iterdir()) == ["keep.txt"]
    meshes = tmp_path / "meshes"
    assert chairs_meshes.main([*sets, "--out", str(meshes)]) == 0
    assert chairs_meshes.main([*sets, "--out", str(meshes)]) == 0  # its own folder: replaced
    (meshes / "notes.txt").write_text("added by hand")
    assert norb_synth.main(["--variant", "demo", "--out", str(meshes)]) == 2
    _one_error(capsys, "notes.txt")
    assert (meshes / "notes.txt").exists()


def test_a_bad_summary_out_keeps_the_previous_stores(mnist_stores, tmp_path, capsys):
    before = {p: _digest(p) for p in mnist_stores.values()}
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.md").write_text("a user's file")
    rc = mnist_build.main([*MNIST, "--set", "mnist.data.train_sequences=5", "--train-out", str(mnist_stores["train"]),
                           "--test-out", str(mnist_stores["test"]), "--summary-out", str(folder)])
    assert rc == 2
    _one_error(capsys, "notes.md")
    assert {p: _digest(p) for p in mnist_stores.values()} == before and (folder / "notes.md").exists()


def test_a_failed_video_ingest_keeps_both_previous_stores(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    names = [videos / f"v{i}.avi" for i in range(3)]
    _, test_videos = split_videos(names, 0.2, 0)
    for path in names:
        _write_video(path, 8 if path in test_videos else 16)
    train, test, summary = tmp_path / "train.h5", tmp_path / "test.h5", tmp_path / "own.json"
    argv = ["--folder", str(videos), "--train-out", str(train), "--test-out", str(test), "--summary-out",
            str(summary), "--test-fraction", "0.2", "--max-length", "16"]
    assert video_folder_ingest.main([*argv, "--min-length", "4"]) == 0
    before = {p: _digest(p) for p in (train, test, summary)}
    # at another size and a min-length the test video misses: the train split succeeds, the test split fails
    assert video_folder_ingest.main([*argv, "--min-length", "12", "--image-size", "128"]) == 2
    _one_error(capsys, "no test video has 12 frames")
    assert {p: _digest(p) for p in (train, test, summary)} == before
    assert json.loads(summary.read_text())["image_size"] == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["own.json", "test.h5", "train.h5", "videos"]


def test_training_and_figures_replace_all_their_outputs_or_none(mnist_stores, tmp_path, capsys):
    train, test = str(mnist_stores["train"]), str(mnist_stores["test"])
    model, metrics, summary = tmp_path / "drnet.pt", tmp_path / "m.csv", tmp_path / "s.json"
    tiny = [*MNIST, "--set", "mnist.model.width=8", "--set", "mnist.train.batch_size=2", "--set",
            "runtime.num_workers=0", "--dataset", "mnist", "--train", train, "--checkpoint", str(tmp_path / "c.pt"),
            "--model-out", str(model), "--metrics-out", str(metrics)]
    assert train_drnet.main([*tiny, "--set", "mnist.train.steps=2", "--summary-out", str(summary)]) == 0
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.md").write_text("a user's file")
    before = {p: _digest(p) for p in (model, metrics, summary)}
    assert train_drnet.main([*tiny, "--set", "mnist.train.steps=3", "--summary-out", str(folder)]) == 2
    _one_error(capsys, "notes.md")
    assert {p: _digest(p) for p in (model, metrics, summary)} == before
    recon, swap = tmp_path / "recon.png", tmp_path / "swap.png"
    figures = ["--variant", "demo", "--drnet", str(model), "--test", test, "--n", "2", "--reconstruction-out",
               str(recon)]
    assert figures_stage.main([*figures, "--swap-out", str(swap)]) == 0
    recon_before = _digest(recon)
    assert figures_stage.main([*figures, "--swap-out", str(folder)]) == 2
    _one_error(capsys, "notes.md")
    assert _digest(recon) == recon_before and (folder / "notes.md").exists()
