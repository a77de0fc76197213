"""Where a DrNet train step's time goes: torch.profiler over the authors' step and ours, by op, by kind and by phase.

For each dataset (MNIST: DCGAN-64 at batch 100; KTH: VGG16 U-Net content + ResNet-18 pose at batch 32, params.yaml's
paper models) and each step (``reference``: the authors' drnet-py iteration, ``benchmarks.steps``; ``ours_convs``:
our step with the encoders' heads and the decoders' first layer run as convolutions, as before 2026-12-02;
``ours``: our step as it trains), after ``--warmup`` steps one step is profiled and its CPU self time summed
- by kind: convolutions (forward and backward), matrix products, BatchNorm, activations, optimizer (Adam's
  foreach/elementwise ops), copies and layout conversions (copy_, _to_copy, cat, contiguous), the rest;
- by phase: forward, backward (ops run by the autograd engine), optimizer step;
- by op (top ``--top``).
Achieved GFLOP/s (FLOPs counted by FlopCounterMode) are set against this process's measured fp32 matrix-product
rate (``benchmarks.common.matmul_gflops``), so "how close to the limit" is a number. ``--isa avx2`` re-runs the
benchmark with the CPU kernels limited to AVX2 (how it runs on a CPU without AVX-512/bf16).
Usage: python -m benchmarks.profile_step --datasets mnist,kth [--isa avx2] [--precision fp32|bf16]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.common import command, limit_isa, loadavg, machine, matmul_gflops, write, write_section
from benchmarks.steps import count_flops, make_batch, our_step, reference_step, spec
from drnet.runtime.context import Context, cpu_bf16_supported

BATCH = {"mnist": 100, "kth": 32}
KINDS = ("conv forward", "conv backward", "matmul", "batch norm", "activation", "optimizer", "copy/layout", "other")
OPTIMIZER_OPS = ("lerp", "addcdiv", "addcmul", "sqrt", "_foreach", "_fused_adam")


def kind(name: str, phase: str) -> str:
    n = name.removeprefix("aten::")
    if "convolution" in n or n.startswith("_conv") or "conv_transpose" in n or n.startswith("mkldnn_conv"):
        return "conv backward" if "backward" in n or phase == "backward" else "conv forward"
    if n in ("mm", "addmm", "bmm", "matmul", "linear", "baddbmm"):
        return "matmul"
    if "batch_norm" in n:
        return "batch norm"
    if any(a in n for a in ("relu", "sigmoid", "tanh", "threshold")):
        return "activation"
    if phase == "optimizer" or any(n.startswith(o) for o in OPTIMIZER_OPS):
        return "optimizer"
    if n in ("copy_", "_to_copy", "to", "cat", "contiguous", "clone", "permute", "empty_like", "index", "index_put_"):
        return "copy/layout"
    return "other"


def phase_of(event) -> str:
    e = event
    while e is not None:
        if e.name.startswith("autograd::engine::evaluate_function"):
            return "backward"
        if e.name.startswith("Optimizer.step") or e.name.startswith("Optimizer.zero_grad"):
            return "optimizer"
        e = e.cpu_parent
    return "forward"


def profile_one(step, warmup: int, top: int) -> dict:
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    step()
    seconds = time.perf_counter() - start
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    by_kind, by_phase, by_op = defaultdict(float), defaultdict(float), defaultdict(float)
    for e in prof.events():
        self_s = e.self_cpu_time_total / 1e6
        if self_s <= 0:
            continue
        ph = phase_of(e)
        by_phase[ph] += self_s
        by_kind[kind(e.name, ph)] += self_s
        by_op[e.name] += self_s
    total = sum(by_phase.values())
    return {"seconds_per_step": seconds, "profiled_s": total, "by_kind": {k: by_kind.get(k, 0.0) for k in KINDS},
            "by_phase": dict(by_phase), "top_ops": sorted(by_op.items(), key=lambda kv: -kv[1])[:top]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mnist,kth")
    parser.add_argument("--batch", type=int, default=None, help="one batch for every dataset (default: 100 / 32)")
    parser.add_argument("--width", type=int, default=None, help="override the model width (tiny smoke runs)")
    parser.add_argument("--variants", default="reference,ours_convs,ours")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--isa", choices=["native", "avx2"], default="native")
    parser.add_argument("--name", default=None, help="JSON name (default profile_step_<isa>_<precision>)")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--section", default=None)
    args = parser.parse_args(argv)
    limit_isa(args.isa)
    torch.set_num_threads(args.threads)
    bf16 = args.precision == "bf16"
    if bf16 and not cpu_bf16_supported():
        parser.error("--precision bf16: this CPU has no native bf16 (or ONEDNN_MAX_CPU_ISA hides it)")
    device = torch.device("cpu")
    rate = matmul_gflops()
    before = loadavg()
    results = []
    for dataset in args.datasets.split(","):
        s = spec(dataset, **({"width": args.width} if args.width else {}))
        batch = args.batch or BATCH[dataset]
        data = make_batch(s, batch)
        for name in args.variants.split(","):
            if name == "reference":
                model, step = reference_step(s, device)
            else:
                ctx = Context(device=device, channels_last=True, autocast_dtype=torch.bfloat16 if bf16 else None)
                model, step = our_step(s, ctx)
                if name == "ours_convs":
                    for m in model.modules():
                        if hasattr(m, "matmul_shortcut"):
                            m.matmul_shortcut = False
            flops = count_flops(step, data)
            r = profile_one(lambda st=step, b=data: st(b), args.warmup, args.top)
            r.update(dataset=dataset, batch=batch, variant=name, flops_per_step=flops,
                     gflops=flops / r["seconds_per_step"] / 1e9)
            r["percent_of_matmul"] = 100 * r["gflops"] / rate["matmul_gflops"]
            results.append(r)
            print(f"{dataset} b{batch} {name:10s} {r['seconds_per_step'] * 1000:7.0f} ms  {r['gflops']:6.1f} GFLOP/s "
                  f"({r['percent_of_matmul']:.0f}% of matmul {rate['matmul_gflops']:.0f})  "
                  + "  ".join(f"{k} {v * 1000:.0f}" for k, v in r["by_kind"].items() if v > 0.005), flush=True)
    m = machine()
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "rates": rate,
              "loadavg_before": before, "loadavg_after": loadavg(), "results": results}
    name = args.name or f"profile_step_{args.isa}_{args.precision}"
    path = write(name, result, args.out_dir)
    head = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cpu_model']} ({m['cores_owned']} cores, "
            f"{args.threads} intra-op thread(s), kernels {torch.backends.cpu.get_cpu_capability()}"
            f"{' (ONEDNN_MAX_CPU_ISA=AVX2)' if args.isa == 'avx2' else ''}, native bf16: {cpu_bf16_supported()}, "
            f"{args.precision}); fp32 matmul rate {rate['matmul_gflops']:.0f} GFLOP/s, large-conv rate "
            f"{rate['conv_gflops']:.0f}; load average before {before}, after {result['loadavg_after']}. Command: "
            f"`{command()}`. JSON: `{path.name}`. Self CPU time of one profiled step, ms.")
    rows = ["| dataset, batch | step | ms/step | GFLOP/s (% of matmul) | forward / backward / optimizer | "
            + " / ".join(KINDS) + " | top ops |", "|---|---|---|---|---|---|---|"]
    for r in results:
        ph = r["by_phase"]
        rows.append(f"| {r['dataset']}, {r['batch']} | {r['variant']} | {r['seconds_per_step'] * 1000:.0f} | "
                    f"{r['gflops']:.1f} ({r['percent_of_matmul']:.0f}%) | "
                    f"{ph.get('forward', 0) * 1000:.0f} / {ph.get('backward', 0) * 1000:.0f} / "
                    f"{ph.get('optimizer', 0) * 1000:.0f} | "
                    + " / ".join(f"{r['by_kind'][k] * 1000:.0f}" for k in KINDS) + " | "
                    + ", ".join(f"{op.removeprefix('aten::')} {t * 1000:.0f}" for op, t in r["top_ops"][:4]) + " |")
    section = args.section or f"Train step profile, {args.isa} kernels, {args.precision} (benchmarks.profile_step)"
    write_section(section, head + "\n\n" + "\n".join(rows), args.results)
    return result


if __name__ == "__main__":
    main()
