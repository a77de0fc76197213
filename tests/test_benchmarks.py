"""Benchmarks: the A/B harness's bookkeeping, the reference step's extra work, RESULTS.md sections, and tiny runs of
every benchmark script (no timed assertions: timings are results, not tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from benchmarks import bench_eval, bench_ingest, bench_loader, bench_train_step, bench_under_load, common
from benchmarks.common import ISA_ENV, ISA_FLAGS, interleaved, write_section
from benchmarks.steps import CHANNELS, count_flops, make_batch, our_step, reference_step, spec
from drnet.params import load_params
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


def test_limit_isa_reexecs_with_the_caps_unless_they_are_set(monkeypatch):
    calls = []
    monkeypatch.setattr(common.os, "execve", lambda exe, argv, env: calls.append((exe, argv, env)))
    for var in ISA_ENV:
        monkeypatch.delenv(var, raising=False)
    common.limit_isa("native")
    assert calls == []
    common.limit_isa("avx2")
    (exe, argv, env), = calls
    assert exe == sys.executable and argv == [sys.executable, *sys.orig_argv[1:]]
    assert {k: env[k] for k in ISA_ENV} == {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2",
                                           "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
    for var, value in env.items():  # what the re-executed process finds: nothing more to do
        monkeypatch.setenv(var, value)
    common.limit_isa("avx2")
    assert len(calls) == 1
    with pytest.raises(ValueError):
        common.limit_isa("sse2")


def test_machine_records_isa_flags_caps_and_measured_rates_once(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    m = common.machine(rates=False)
    assert set(m["cpu_features"]["flags"]) <= set(ISA_FLAGS)
    limits = m["cpu_features"]["limits"]
    assert limits["ONEDNN_MAX_CPU_ISA"] == "AVX2" and set(limits) == set(ISA_ENV)
    assert m["aten_capability"] and m["matmul_gflops"] is None
    rates = common.matmul_gflops(threads=1, seconds=0.05)
    assert rates["matmul_gflops"] > 0 and rates["conv_gflops"] > 0 and rates["rate_threads"] == 1
    assert common.matmul_gflops(threads=1) == rates  # cached: measured once per process and thread count
    assert "ONEDNN_MAX_CPU_ISA=AVX2" in common.isa_note(m)


@pytest.mark.parametrize("dataset", sorted(CHANNELS))
def test_spec_reads_each_datasets_frames_model_and_batch_from_params(dataset):
    cfg = load_params()[dataset]
    s = spec(dataset)
    assert s.image_size == cfg["data"]["image_size"] and s.batch_size == cfg["train"]["batch_size"]
    assert s.model.content_encoder == cfg["model"]["content_encoder"] and s.channels in (1, 3)


@pytest.mark.parametrize("dataset", sorted(CHANNELS))
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


def test_eval_benchmark_retries_generation_on_halves_of_the_clips_when_out_of_memory(monkeypatch):
    clips = bench_eval.continuations(4, n_past=2, max_offset=3, every=1, n_splits=1, size=8, channels=1)
    seen = []

    def generate(self, drnet, lstm, device=None):
        seen.append(len(self.observed_u8))
        if len(self.observed_u8) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80 GiB")
        return np.zeros((1, self.max_offset, 8, 8, 1), np.uint8)

    monkeypatch.setattr(bench_eval.Continuations, "generate", generate)
    failures = []
    out, clip_batch = bench_eval.generate_fitting(clips, None, None, torch.device("cpu"), 4, failures)
    assert out.shape == (4, 3, 8, 8, 1) and clip_batch == 1 and seen == [4, 2, 1, 1, 1, 1]
    assert len(failures) == 2 and "clip_batch 4" in failures[0]


def run_gpu_check(repo_root, out, results, **env):
    env = {**os.environ, "PYTHON": sys.executable, **env}  # the venv python, activated or not
    return subprocess.run(["bash", str(repo_root / "benchmarks" / "gpu_check.sh"), str(out), str(results)], env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(torch.cuda.is_available(), reason="torch has CUDA here: the script would measure the GPU")
def test_gpu_check_says_in_one_line_that_torch_has_no_cuda_and_falls_back_to_the_dry_mode(tmp_path, repo_root):
    run = run_gpu_check(repo_root, tmp_path, tmp_path / "RESULTS.md", GPU_CHECK_PARTS="none")
    assert run.returncode == 0, run.stdout + run.stderr
    (line,) = [x for x in run.stdout.splitlines() if "NO GPU MEASURED" in x]
    assert "has no CUDA" in line and "dry mode" in line
    assert json.loads((tmp_path / "gpu_check.json").read_text())["dry"] is True


def test_gpu_check_dry_mode_runs_every_part_end_to_end(tmp_path, repo_root):
    """Every part of the GPU check at tiny sizes on the CPU (``GPU_CHECK_DRY=1``): the same code paths as on the GPU,
    each part's JSON with its keys and its RESULTS section. No timed assertions."""
    subprocess.run(["bash", "-n", str(repo_root / "benchmarks" / "gpu_check.sh")], check=True)
    results = tmp_path / "RESULTS.md"
    shutil.copy(repo_root / "benchmarks" / "RESULTS.md", results)
    before = results.read_text()
    run = run_gpu_check(repo_root, tmp_path, results, GPU_CHECK_DRY="1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "failed or timed out" not in run.stdout, run.stdout

    def saved(name):
        return json.loads((tmp_path / f"{name}.json").read_text())

    for name in ("train_step", "train_step_compile"):
        r = saved(name)
        assert [x["dataset"] for x in r["results"]][:1] == ["mnist"] and not r.get("partial")
        assert {x["dataset"] for x in r["results"]} == {"mnist", "norb", "chairs", "kth"}
        assert "gpu_peak_tflops" in r and r["gpu_peak_tflops"] is None  # the CPU has no peak in PEAK_TFLOPS
        assert r["machine"]["matmul_gflops"] > 0 and r["machine"]["conv_gflops"] > 0
        assert set(r["machine"]["cpu_features"]) == {"flags", "limits"} and r["machine"]["aten_capability"]
        for x in r["results"]:
            assert all(v["flops_per_step"] > 0 and v["achieved_tflops"] > 0 for v in x["variants"].values()), x
    assert "ours_compile" in saved("train_step_compile")["results"][0]["variants"]
    ev = saved("eval_inception")
    assert set(ev["parts"]) == {"generate", "score"} and "gpu_peak_tflops" in ev
    assert all(p["flops"] > 0 and p["items_per_s"] > 0 and p["gflops_per_s"] > 0 for p in ev["parts"].values())
    assert {r["model"] for r in ev["inception_rows"]} == {"drnet", "ground_truth"}
    rows = saved("loader")["rows"]
    assert [r["dataset"] for r in rows] == ["mnist", "kth"]
    assert all(r["loader_pairs_per_s"] > 0 and r["step_pairs_per_s"] > 0 and r["fastest_variant"] for r in rows)
    for name in ("train_slice_fp32", "train_slice_fast"):
        s = saved(name)
        assert s["seconds_per_step"] > 0 and s["projected_full_s"] > 0 and s["model"]["width"] == 8
    assert saved("train_slice_fp32")["runtime"]["precision"] == "fp32"
    assert saved("train_slice_fast")["runtime"]["precision"] == "bf16"
    summary = saved("gpu_check")
    assert summary["dry"] is True and summary["budget_s"] > 0
    assert set(summary["parts"]) == {"step_ab", "eval", "loader", "slice_fp32", "step_compile", "slice_fast"}
    assert all(p["status"] == "ok" and p["json"] for p in summary["parts"].values()), summary["parts"]
    assert any("GFLOP/s" in line and "matmul rate" in line for line in summary["lines"])
    assert "gpu_check: budget: the parts took" in run.stdout
    text = results.read_text()
    for title in ("Train step A/B, every dataset", "KTH Inception-curve work", "Loader vs the GPU check's train step",
                  "MNIST training slice, fp32", "Train step A/B with torch.compile",
                  "MNIST training slice, bf16 + compile", "GPU check summary"):
        assert f"## {title} (" in text and text.count(f"<!-- begin {title}") == 1, title
    assert text.count("[dry run] -->") == 14  # 7 sections, begin and end markers: none of the real ones replaced
    assert text.startswith(before.rstrip("\n"))


def test_profile_step_splits_the_step_by_kind_and_phase(tmp_path):
    """benchmarks.profile_step: one profiled step per variant; its kinds and phases each add up to the profiled
    self time, the convolutions are found, and achieved GFLOP/s are set against the measured matmul rate."""
    from benchmarks.profile_step import KINDS, main

    result = main(["--datasets", "mnist", "--batch", "4", "--width", "8", "--warmup", "1", "--out-dir",
                   str(tmp_path), "--results", str(tmp_path / "R.md")])
    assert [r["variant"] for r in result["results"]] == ["reference", "ours_convs", "ours"]
    assert result["rates"]["matmul_gflops"] > 0
    for r in result["results"]:
        kinds, phases = r["by_kind"], r["by_phase"]
        assert set(kinds) == set(KINDS) and kinds["conv forward"] > 0 and kinds["conv backward"] > 0
        assert sum(kinds.values()) == pytest.approx(r["profiled_s"]) == pytest.approx(sum(phases.values()))
        assert phases["backward"] > 0 and r["flops_per_step"] > 0 and r["percent_of_matmul"] > 0
    assert "| mnist, 4 | ours |" in (tmp_path / "R.md").read_text()


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
