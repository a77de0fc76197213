"""Benchmarks: the A/B harness's bookkeeping, the reference step's extra work, RESULTS.md sections, and tiny runs of
every benchmark script (no timed assertions: timings are results, not tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from benchmarks import bench_ingest, bench_loader, bench_train_step, bench_under_load
from benchmarks.common import interleaved, write_section
from benchmarks.steps import count_flops, make_batch, our_step, reference_step, spec
from drnet.runtime.context import Context


def test_interleaved_rotates_order_and_pairs_ratios_by_round():
    calls = []
    variants = {name: (lambda n=name: calls.append(n)) for name in ("a", "b", "c")}
    out = interleaved(variants, rounds=3, steps=2, warmup=1, baseline="a")
    assert calls[:3] == ["a", "b", "c"]  # warm-up
    rounds = [calls[3 + 6 * r: 3 + 6 * (r + 1)][::2] for r in range(3)]
    assert rounds == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    for v in out["variants"].values():
        s = v["seconds_per_step"]
        assert len(s["rounds"]) == 3 and s["min"] <= s["median"] <= s["max"]
        r = v["ratio_vs_baseline"]
        assert r["min"] <= r["median"] <= r["max"]
    assert out["variants"]["a"]["ratio_vs_baseline"] == {"median": 1.0, "min": 1.0, "max": 1.0}


def test_write_section_replaces_its_own_block_only(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nhand-written notes\n")
    write_section("A", "first", results)
    write_section("B", "other", results)
    write_section("A", "second", results)
    text = results.read_text()
    assert "hand-written notes" in text and "second" in text and "other" in text and "first" not in text
    assert text.count("## A") == 1 and text.index("## A") < text.index("## B")


@pytest.mark.parametrize("dataset", ["mnist", "kth"])
def test_reference_step_does_the_authors_extra_work_and_updates_all_four_nets(dataset):
    s = spec(dataset, width=4)
    batch = make_batch(s, 4)
    cpu = torch.device("cpu")
    ref_model, ref = reference_step(s, cpu)
    _, ours = our_step(s, Context(device=cpu, channels_last=True))
    before = {n: [p.detach().clone() for p in m.parameters()] for n, m in ref_model.named_children()}
    ref_flops, our_flops = count_flops(ref, batch), count_flops(ours, batch)
    assert ref_flops > our_flops > 0  # two more pose-encoder passes (and C's gradient)
    for name, module in ref_model.named_children():
        assert any(not torch.equal(a, b) for a, b in zip(before[name], module.parameters())), name


def test_train_step_benchmark_tiny(tmp_path):
    results = tmp_path / "RESULTS.md"
    out = bench_train_step.main(["--batch", "2", "--width", "4", "--rounds", "2", "--steps", "1",
                                 "--variants", "reference,ours", "--out-dir", str(tmp_path), "--results", str(results)])
    assert {r["dataset"] for r in out["results"]} == {"mnist", "kth"}
    saved = json.loads((tmp_path / "train_step.json").read_text())
    assert saved["machine"]["cpu_model"] and saved["command"].startswith("python") and saved["loadavg_before"]
    assert "| mnist, 2 | ours |" in results.read_text()


def test_loader_benchmark_tiny(tmp_path):
    out = bench_loader.main(["--kth-sequences", "8", "--kth-length", "12", "--seconds", "0.2", "--batch", "4",
                             "--workers", "0", "--cache", str(tmp_path), "--step-json", str(tmp_path / "none.json"),
                             "--out-dir", str(tmp_path), "--section", ""])
    assert [r["dataset"] for r in out["rows"]] == ["mnist", "kth"]
    assert all(r["loader_pairs_per_s"] > 0 and r["ratio"] > 0 for r in out["rows"])


def test_under_load_benchmark_tiny_without_competitor(tmp_path):
    out = bench_under_load.main(["--competitor", "none", "--threads", "auto", "--workers", "0", "--seconds", "0.2",
                                 "--batch", "4", "--width", "4", "--out-dir", str(tmp_path), "--section", ""])
    (row,) = out["rows"]
    assert row["torch_threads"] >= 1 and row["steps"] >= 3


def test_ingest_benchmark_tiny(tmp_path):
    out = bench_ingest.main(["--lengths", "12", "--out-dir", str(tmp_path), "--section", ""])
    assert out["videos"][0]["frames"] == 12 and out["projected_599_s"] > 0


def test_gpu_check_script_parses_and_its_cpu_fallback_runs(tmp_path, repo_root):
    script = repo_root / "benchmarks" / "gpu_check.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    results = tmp_path / "RESULTS.md"
    shutil.copy(repo_root / "benchmarks" / "RESULTS.md", results)
    env = {**os.environ, "GPU_CHECK_TINY": "1", "PYTHON": sys.executable}  # the venv python, activated or not
    run = subprocess.run(["bash", str(script), str(tmp_path), str(results)], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "failed or timed out" not in run.stdout, run.stdout
    for name in ("train_step", "train_slice_fp32", "train_slice_fast"):
        assert json.loads((tmp_path / f"{name}.json").read_text())["benchmark"] == name
    text = results.read_text()
    assert "## Train step A/B" in text and "## MNIST training slice, default runtime" in text


def test_eval_flops_covers_every_evaluation_stage(tmp_path):
    """benchmarks.eval_flops: a row per evaluation stage of the registry (the stages that read runtime.device),
    FLOPs counted (no timing without --measure-cpu), times = FLOPs / the stated rates."""
    from benchmarks import eval_flops
    from stages.dag.registry import EVAL_RUNTIME, registry

    result = eval_flops.main(["--out-dir", str(tmp_path)])
    assert json.loads((tmp_path / "eval_flops.json").read_text())["total_flops"] == result["total_flops"]
    rows = result["stages"]
    evaluating = {s.name.removesuffix("_noadv") for s in registry() if set(EVAL_RUNTIME) <= set(s.params)}
    assert evaluating == {name.split(" ")[0] for name in rows}
    assert result["measured_cpu_gflops"] is None
    for name, row in rows.items():
        assert row["flops"] > 0, name
        for rate, seconds in row["seconds"].items():
            assert seconds == pytest.approx(row["flops"] / result["rates_flop_per_s"][rate]), (name, rate)
    units = result["unit_flops"]
    assert units["kth.D"] > units["kth.Ep"] > units["kth.reader_read"] > 0  # the VGG decoder is the big one
    assert result["total_flops"] == pytest.approx(sum(r["flops"] for r in rows.values()))
