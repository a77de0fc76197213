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


def cores_owned() -> int:
    """CPUs this process may run on (its affinity mask), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# CPU flags that decide which kernels oneDNN/MKL/ATen pick, and the environment variables that cap them. A user can
# emulate an AVX2-only CPU on an AVX-512 machine with ``--isa avx2`` (``limit_isa``): the caps must be in the
# environment before torch initialises oneDNN and MKL, hence a re-exec rather than os.environ.
ISA_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "fma")
ISA_ENV = ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS")
ISA_LIMITS = {"avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}}


def cpu_flags() -> set[str]:
    """The CPU's feature flags (/proc/cpuinfo; empty where there is none, e.g. macOS, Windows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_features() -> dict:
    """Which of ``ISA_FLAGS`` the CPU has, and the ISA caps in force from the environment (None: not set)."""
    flags = cpu_flags()
    return {"flags": [f for f in ISA_FLAGS if f in flags], "limits": {k: os.environ.get(k) for k in ISA_ENV}}


def aten_capability() -> str | None:
    """The vector ISA ATen's CPU kernels dispatch to (honours ATEN_CPU_CAPABILITY), e.g. AVX512, AVX2."""
    try:
        return torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):
        return None


def isa_note(m: dict) -> str:
    """One line: the ISA flags, the caps set in the environment and ATen's capability (from ``machine()``)."""
    f = m["cpu_features"]
    limits = ", ".join(f"{k}={v}" for k, v in f["limits"].items() if v is not None) or "no caps set"
    return f"{', '.join(f['flags']) or 'no flags known'} ({limits}; ATen {m['aten_capability']})"


def limit_isa(isa: str) -> None:
    """``native``: nothing. ``avx2``: re-execute this process's command line (``sys.orig_argv``) with the ISA caps
    of ``ISA_LIMITS`` in the environment, so they apply before torch initialises oneDNN/MKL; does nothing when they
    are all set already (the re-executed process, or a user who set them). Call it first in ``main``."""
    if isa == "native":
        return
    if isa not in ISA_LIMITS:
        raise ValueError(f"isa must be native or one of {', '.join(ISA_LIMITS)}, got {isa!r}")
    limits = ISA_LIMITS[isa]
    if all(k in os.environ for k in limits):
        return
    env = dict(os.environ)
    for k, v in limits.items():
        env.setdefault(k, v)
    print(f"limit_isa: re-executing with {' '.join(f'{k}={env[k]}' for k in limits)}", flush=True)
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


_RATES: dict[int, dict] = {}


def _rate(fn: Callable[[], object], flops: float, seconds: float, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    n, start = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - start < seconds:
        fn()
        n += 1
    return flops * n / (time.perf_counter() - start) / 1e9


def matmul_gflops(threads: int | None = None, seconds: float = 1.0) -> dict:
    """This process's measured CPU fp32 rates at ``threads`` intra-op threads (default: the current count):
    ``matmul_gflops`` (torch.matmul 2048x2048) and ``conv_gflops`` (3x3 conv, channels_last, 32x256x32x32 -> 256,
    no grad), each over ~``seconds`` after warm-up calls. Measured once per thread count per process (~2-3 s)."""
    previous = torch.get_num_threads()
    threads = threads or previous
    if threads not in _RATES:
        torch.set_num_threads(threads)
        try:
            with torch.no_grad():
                n = 2048
                a, b = torch.randn(n, n), torch.randn(n, n)
                matmul = _rate(lambda: torch.matmul(a, b), 2 * n**3, seconds, warmup=3)
                x = torch.randn(32, 256, 32, 32).to(memory_format=torch.channels_last)
                conv = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
                conv_flops = 2 * 32 * 256 * 256 * 9 * 32 * 32
                conv_rate = _rate(lambda: conv(x), conv_flops, seconds, warmup=2)
        finally:
            torch.set_num_threads(previous)
        _RATES[threads] = {"matmul_gflops": matmul, "conv_gflops": conv_rate, "rate_threads": threads}
    return dict(_RATES[threads])


def machine(rates: bool | None = None) -> dict:
    """Machine facts. ``rates``: True measures the CPU fp32 matmul/conv rates (``matmul_gflops``, ~2-3 s, once per
    process); None (default) includes them when this process measured them at the current thread count; False
    leaves them out (None)."""
    from drnet.runtime.context import cpu_bf16_supported, cpu_model

    m = {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "cores_owned": cores_owned(),
         "torch_threads": torch.get_num_threads(), "torch": torch.__version__, "cpu_bf16": cpu_bf16_supported(),
         "cpu_features": cpu_features(), "aten_capability": aten_capability(),
         "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
         "platform": platform.platform(), "python": platform.python_version(),
         "matmul_gflops": None, "conv_gflops": None, "rate_threads": None}
    if rates or (rates is None and torch.get_num_threads() in _RATES):
        m.update(matmul_gflops())
    return m


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
    ratios baseline_time / variant_time (> 1: faster than the baseline) with their median and range, and each
    variant's first (warm-up) step in seconds (``first_step_s``: torch.compile's compile time shows there).
    """
    names = list(variants)
    baseline = baseline or names[0]
    first: dict[str, float] = {}
    for name in names:  # warm-up: allocator, oneDNN primitive caches, compiled graphs
        for i in range(warmup):
            start = time.perf_counter()
            variants[name]()
            sync(device)
            if i == 0:
                first[name] = time.perf_counter() - start
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
            "first_step_s": first.get(name),
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
