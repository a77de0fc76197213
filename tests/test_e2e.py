"""The whole demo DAG, tiny, through Snakemake in a temporary copy of the repository."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from drnet.data.store import VideoStore
from stages.dag.registry import targets

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL_SKIP = {".venv", ".git", "data", "results", "logs", ".snakemake", ".pytest_cache", ".ruff_cache"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = TOP_LEVEL_SKIP if Path(folder) == ROOT else set()
    return {n for n in names if n in skip or n == "__pycache__" or n.endswith(".egg-info")}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("repo") / "drnet"
    shutil.copytree(ROOT, work, ignore=_ignore)
    return work


def _snakemake(work, *args):
    return subprocess.run([sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile",
                           "tests/tiny.yaml"], cwd=work, capture_output=True, text=True)


@pytest.mark.slow
def test_demo_dag_end_to_end(workdir):
    run = _snakemake(workdir, "demo")
    assert run.returncode == 0, run.stderr[-3000:]
    for target in targets("demo"):
        assert (workdir / target).stat().st_size > 0, target
    leftovers = [p for p in workdir.rglob(".tmp-*")]
    assert not leftovers, leftovers
    probe = json.loads((workdir / "results/demo/mnist_probe.json").read_text())
    assert probe["synthetic"] is True and probe["data_source"] == "sklearn_digits"
    assert 0 <= probe["content_identity_acc"] <= 1
    assert VideoStore(workdir / "data/demo/processed/mnist/test.h5").synthetic
    inception = pd.read_csv(workdir / "results/demo/kth_inception.csv")
    assert list(inception.columns) == ["model", "offset", "inception_score", "std", "n_samples", "motion", "n_clips",
                                       "synthetic"]
    per_offset = inception.groupby("offset")
    assert (per_offset.n_clips.nunique() == 1).all(), "every model is scored on the same clips at each offset"
    assert set(inception["model"]) == {"drnet", "ae_lstm", "ground_truth"}
    assert (inception["inception_score"] >= 1 - 1e-9).all() and inception["synthetic"].all()
    assert VideoStore(workdir / "data/demo/processed/kth/train.h5").synthetic
    table1 = pd.read_csv(workdir / "results/demo/norb_classification.csv")
    assert list(table1.columns) == ["Model", "Content", "Pose", "Chance"] and len(table1) == 2
    assert table1.Chance.eq(0.2).all() and table1[["Content", "Pose"]].stack().between(0, 1).all()
    assert (workdir / "results/demo/norb_classification.tex").read_text().count(r"\\") >= 3
    assert VideoStore(workdir / "data/demo/processed/norb/test.h5").synthetic
    fewshot = pd.read_csv(workdir / "results/demo/kth_fewshot.csv")
    assert set(fewshot.model) == {"drnet", "ae"} and set(fewshot.subjects) == {1, 2}
    for ds, models in (("kth", {"copy_last", "ae_lstm", "drnet", "ground_truth"}),
                       ("mnist", {"copy_last", "drnet", "ground_truth"})):
        prediction = pd.read_csv(workdir / f"results/demo/{ds}_prediction.csv")
        assert set(prediction.model) == models and prediction.n.eq(8).all()
        assert prediction.differs_from_protocol.str.contains("SYNTHETIC").all()
        manifest = json.loads((workdir / f"results/demo/{ds}_prediction_manifest.json").read_text())
        summary = json.loads((workdir / f"results/demo/{ds}_prediction.json").read_text())
        assert summary["manifest_sha256"] == manifest["sha256"] and len(manifest["windows"]) == 8
    leak = pd.read_csv(workdir / "results/demo/leakage.csv")
    assert set(leak.model) == {"mnist", "norb", "norb-noadv", "chairs", "chairs-noadv", "kth"}
    index = (workdir / "results/demo/paper/index.md").read_text()
    for needle in ("Table 1", "Fig. 4 (centre)", "Fig. 5", "Fig. 8", "Fig. 9", "SYNTHETIC DATA", "params hash",
                   "KTH: prediction metrics", "THIS RUN DIFFERS"):
        assert needle in index, needle
    figures = {p.name for p in (workdir / "results/demo/paper/figures").iterdir()}
    assert {"norb-swap.png", "norb-swap-noadv.png", "chairs-swap.png", "kth-fewshot.png", "kth-prediction-plot.png",
            "mnist-prediction-plot.png"} <= figures
    again = _snakemake(workdir, "demo", "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    report = _snakemake(workdir, "demo", "--report", "report.html")
    assert report.returncode == 0, report.stderr[-3000:]
    html = (workdir / "report.html").read_text(errors="replace")
    assert "NORB" in html and "CHAIRS" in html


@pytest.mark.slow
def test_changed_param_reruns_only_downstream(workdir):
    run = _snakemake(workdir, "demo", "-n", "--config", "demo={mnist: {generate: {length: 13}}}")
    text = run.stdout + run.stderr
    assert "demo_mnist_generate" in text and "demo_mnist_train " not in text and "demo_mnist_build" not in text
