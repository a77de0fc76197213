"""Shared helpers for benchmarks: machine facts, an interleaved A/B timer, JSON results and RESULTS.md sections.

Timings on a shared machine drift (other jobs, thermal, page cache), so variants are never timed one after the
other: ``interleaved`` runs A, B, A, B, ... for several rounds and reports per-variant min/median/max plus the
*paired* ratio per round (each round's A against the same round's B), whose median and range say how far the
comparison can be trusted. Benchmarks record the load average before and after and the exact command.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
RESULTS = ROOT / "RESULTS.md"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores_owned() -> int:
    """CPUs this process may run on (its affinity mask), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine() -> dict:
    from drnet.runtime.context import cpu_bf16_supported

    return {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "cores_owned": cores_owned(),
            "torch_threads": torch.get_num_threads(), "torch": torch.__version__, "cpu_bf16": cpu_bf16_supported(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "platform": platform.platform(), "python": platform.python_version()}


def loadavg() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def command() -> str:
    """The command line this process was started with (python's own argv, -m included)."""
    return " ".join(["python", *map(shlex.quote, sys.orig_argv[1:])])


def sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def interleaved(variants: dict[str, Callable[[], None]], rounds: int, steps: int, warmup: int = 1,
                device: torch.device | str = "cpu", baseline: str | None = None) -> dict:
    """Time ``variants`` (name -> one step) interleaved: each round runs ``steps`` steps of every variant in turn
    (the order rotates each round, so no variant always runs first). Returns per-variant seconds per step
    (min/median/max over rounds) and, against ``baseline`` (default: the first variant), the paired per-round
    ratios baseline_time / variant_time (> 1: faster than the baseline) with their median and range.
    """
    names = list(variants)
    baseline = baseline or names[0]
    for name in names:  # warm-up: allocator, oneDNN primitive caches, compiled graphs
        for _ in range(warmup):
            variants[name]()
    sync(device)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            start = time.perf_counter()
            for _ in range(steps):
                variants[name]()
            sync(device)
            per_round[name].append((time.perf_counter() - start) / steps)
    out = {"rounds": rounds, "steps_per_round": steps, "warmup": warmup, "baseline": baseline, "variants": {}}
    for name in names:
        times = per_round[name]
        ratios = [b / t for b, t in zip(per_round[baseline], times)]
        out["variants"][name] = {
            "seconds_per_step": {"min": min(times), "median": statistics.median(times), "max": max(times),
                                 "rounds": times},
            "ratio_vs_baseline": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)},
        }
    return out


def fmt_ratio(r: dict) -> str:
    return f"{r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f})"


def fmt_seconds(s: dict) -> str:
    return f"{s['median'] * 1000:.0f} ms ({s['min'] * 1000:.0f}-{s['max'] * 1000:.0f})"


def write(name: str, result: dict, out_dir: Path | None = None) -> Path:
    """Write ``result`` (with machine facts, time and command) to ``<out_dir or benchmarks/out>/<name>.json``."""
    out_dir = Path(out_dir) if out_dir else OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    result = {"benchmark": name, "machine": machine(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "command": command(), **result}
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    return path


def write_section(title: str, body: str, results: Path | None = None) -> Path:
    """Replace (or append) the section ``## <title>`` of RESULTS.md with ``body``, between generated markers."""
    results = Path(results) if results else RESULTS
    begin, end = f"<!-- begin {title} -->", f"<!-- end {title} -->"
    block = f"{begin}\n## {title}\n\n{body.strip()}\n{end}\n"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    results.write_text(text)
    print(f"updated section '{title}' of {results}")
    return results


def demo_store(path: Path, sequences: int = 300) -> Path:
    """A bouncing-MNIST store (embedded digits) to benchmark on."""
    from drnet.data.mnist.build import build_split
    from drnet.params import load_params, section

    if not path.exists():
        cfg = section(load_params(variant="demo"), "mnist").data.model_copy(update={"train_sequences": sequences})
        build_split(path, "train", cfg, seed=0)
    return path
