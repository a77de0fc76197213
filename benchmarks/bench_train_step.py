"""Train-step A/B: our DrNet step (default runtime, and opt-in levers) vs the authors' per-step work.

Variants (``--variants``, comma-separated; ``benchmarks.steps`` defines the two steps):
  reference     the authors' drnet-py iteration, fp32 eager (the baseline of every ratio)
  ours          ``train_drnet``'s step with params.yaml's default runtime (fp32, channels_last)
  ours_bf16     + bf16 autocast (opt-in ``runtime.precision: bf16``; CUDA or a CPU with native bf16 only)
  ours_compile  + ``runtime.compile`` (torch.compile of Ec, Ep, D)
  ours_fused    + fused Adam on the CPU too (the loop fuses on CUDA only)
Variants run interleaved over ``--rounds`` (``benchmarks.common.interleaved``); FLOPs per step are counted once
per step kind by torch's FlopCounterMode (forward + backward of convolutions and matrix products).
Datasets: mnist, kth, norb, chairs (``benchmarks.steps.spec``); batch: ``--batch``, else each dataset's
``train.batch_size``. The CPU's measured fp32 matmul/conv rates (``benchmarks.common.matmul_gflops``) go into the
JSON and the RESULTS head line, and CPU rows say what fraction of the matmul rate they reach; ``--isa avx2``
re-runs the command with oneDNN/MKL/ATen capped at AVX2 (``benchmarks.common.limit_isa``).
Usage: python -m benchmarks.bench_train_step --datasets mnist,kth --batch 100 --rounds 4 --steps 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from benchmarks.common import (
    ISA_LIMITS,
    command,
    fmt_ratio,
    fmt_seconds,
    interleaved,
    isa_note,
    limit_isa,
    loadavg,
    machine,
    write,
    write_section,
)
from benchmarks.steps import count_flops, make_batch, our_step, reference_step, spec
from drnet.runtime.context import Context, cpu_bf16_supported

# Dense peak TFLOP/s by GPU name fragment (vendor data sheets; SXM parts): fp32 (CUDA cores), tf32 and bf16
# (tensor cores). cuDNN runs fp32 convolutions in TF32 by default (torch.backends.cudnn.allow_tf32).
PEAK_TFLOPS = {"H200": {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4},
               "H100": {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4},
               "A100": {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0},
               "L40S": {"fp32": 91.6, "tf32": 183.0, "bf16": 362.1},
               "L4": {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0}}
VARIANTS = ("reference", "ours", "ours_bf16", "ours_compile", "ours_fused")


def gpu_peak() -> dict | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    for key, peak in PEAK_TFLOPS.items():
        if key in name:
            return {"gpu": name, **peak}
    return {"gpu": name}


def run_dataset(dataset: str, batch: int | None, variants: list[str], rounds: int, steps: int, warmup: int,
                device: torch.device, width: int | None) -> dict:
    s = spec(dataset, **({"width": width} if width else {}))
    batch = batch or s.batch_size
    data = make_batch(s, batch)
    steps_by_name, flops = {}, {}
    for name in variants:
        if name == "reference":
            _, step = reference_step(s, device)
        else:
            bf16 = name == "ours_bf16"
            if bf16 and device.type == "cpu" and not cpu_bf16_supported():
                print(f"skip {name}: this CPU has no native bf16")
                continue
            ctx = Context(device=device, channels_last=True, autocast_dtype=torch.bfloat16 if bf16 else None)
            _, step = our_step(s, ctx, compile=name == "ours_compile", fused=True if name == "ours_fused" else None)
        steps_by_name[name] = (lambda st: lambda: st(data))(step)
        kind = "reference" if name == "reference" else "ours"  # every ours_* does ours' work
        if kind not in flops and name != "ours_compile":  # FlopCounterMode sees eager ops only
            flops[kind] = count_flops(step, data)
    timing = interleaved(steps_by_name, rounds, steps, warmup, device, baseline="reference")
    for name, v in timing["variants"].items():
        f = flops.get("reference" if name == "reference" else "ours", 0)
        v["flops_per_step"] = f
        v["achieved_tflops"] = f / v["seconds_per_step"]["median"] / 1e12
        v["pairs_per_s"] = batch / v["seconds_per_step"]["median"]
    return {"dataset": dataset, "batch": batch, "model": s.model.model_dump(), "channels": s.channels,
            "image_size": s.image_size, **timing}


def table(results: list[dict], peak: dict | None, matmul_gflops: float | None = None) -> str:
    """The RESULTS table; ``peak``: the GPU's (``gpu_peak``); ``matmul_gflops``: the CPU's measured fp32 matmul
    rate, for a "% of matmul rate" column (CPU runs)."""
    rate = matmul_gflops if not peak and matmul_gflops else None
    rows = ["| dataset, batch | variant | s/step median (min-max) | ratio vs reference, median (range) | "
            "GFLOP/step | achieved TFLOP/s |" + (" % of peak (bf16 / tf32) |" if peak else "")
            + (" % of matmul rate |" if rate else "") + " first step |",
            "|---|---|---|---|---|---|" + ("---|" if peak else "") + ("---|" if rate else "") + "---|"]
    for r in results:
        for name, v in r["variants"].items():
            line = (f"| {r['dataset']}, {r['batch']} | {name} | {fmt_seconds(v['seconds_per_step'])} | "
                    f"{fmt_ratio(v['ratio_vs_baseline'])} | {v['flops_per_step'] / 1e9:.2f} | "
                    f"{v['achieved_tflops']:.3f} |")
            if peak and "bf16" in peak:
                line += (f" {100 * v['achieved_tflops'] / peak['bf16']:.1f}% / "
                         f"{100 * v['achieved_tflops'] / peak['tf32']:.1f}% |")
            if rate:
                line += f" {100 * v['achieved_tflops'] * 1000 / rate:.0f}% |"
            first = v.get("first_step_s")
            line += f" {first:.1f} s |" if first is not None else " - |"
            rows.append(line)
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mnist,kth")
    parser.add_argument("--batch", type=int, default=None, help="default: each dataset's train.batch_size")
    parser.add_argument("--kth-batch", type=int, default=None, help="KTH batch if not --batch (2-core CPUs)")
    parser.add_argument("--variants", default="reference,ours,ours_bf16")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2, help="steps per variant per round")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--width", type=int, default=None, help="override the model width (tiny smoke runs)")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: leave as is)")
    parser.add_argument("--isa", choices=["native", *ISA_LIMITS], default="native",
                        help="avx2: re-run with oneDNN/MKL/ATen capped at AVX2 (an AVX2-only CPU, emulated)")
    parser.add_argument("--name", default="train_step", help="JSON name (benchmarks/out/<name>[_cuda].json)")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--section", default="Train step A/B (benchmarks.bench_train_step)",
                        help="RESULTS.md section to write ('' = none)")
    parser.add_argument("--results", type=Path, default=None, help="RESULTS.md to update (default: benchmarks/)")
    args = parser.parse_args(argv)
    limit_isa(args.isa)  # re-executes (ISA caps in the environment before oneDNN/MKL start) unless they are set
    args.out_dir = args.out_dir and str(args.out_dir)
    args.results = args.results and str(args.results)
    if args.threads:
        torch.set_num_threads(args.threads)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(VARIANTS)
    if unknown or "reference" not in variants:
        parser.error(f"--variants: known {', '.join(VARIANTS)}; 'reference' is required (got {args.variants})")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True  # as runtime.setup does on CUDA
    rates = machine(rates=True)  # before the A/B: measuring takes the cores for ~2-3 s
    print(f"CPU fp32 matmul {rates['matmul_gflops']:.0f} GFLOP/s, conv {rates['conv_gflops']:.0f} GFLOP/s at "
          f"{rates['rate_threads']} threads; ISA: {isa_note(rates)}")
    before = loadavg()
    results = []
    json_name = args.name + ("_cuda" if device.type == "cuda" else "")
    for dataset in args.datasets.split(","):
        batch = args.kth_batch if dataset == "kth" and args.kth_batch else args.batch
        r = run_dataset(dataset, batch, variants, args.rounds, args.steps, args.warmup, device, args.width)
        results.append(r)
        for name, v in r["variants"].items():
            print(f"{dataset:6s} b{r['batch']:<4d} {name:13s} {fmt_seconds(v['seconds_per_step']):>22s}  "
                  f"{fmt_ratio(v['ratio_vs_baseline']):>20s}  {v['flops_per_step'] / 1e9:8.2f} GFLOP  "
                  f"{v['achieved_tflops']:.3f} TFLOP/s")
        write(json_name, {"args": vars(args), "partial": True, "results": results}, args.out_dir)  # if a timeout hits
    after = loadavg()
    peak = gpu_peak()
    result = {"args": vars(args),
              "device": str(device), "gpu_peak_tflops": peak, "loadavg_before": before, "loadavg_after": after,
              "results": results}
    path = write(json_name, result, args.out_dir)
    if args.section:
        m = machine()
        head = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cuda'] or m['cpu_model']} "
                f"({m['cores_owned']} cores owned, "
                f"{torch.get_num_threads()} intra-op threads, torch {m['torch']}, "
                f"native CPU bf16: {m['cpu_bf16']}); "
                f"fp32 matmul rate {m['matmul_gflops']:.0f} GFLOP/s (conv {m['conv_gflops']:.0f}) at "
                f"{m['rate_threads']} threads; ISA: {isa_note(m)}; "
                f"load average before {before}, after {after}. Command: `{command()}`. "
                f"JSON: `{path.name}`. Ratio = reference s/step / variant s/step, paired per round "
                f"({args.rounds} rounds x {args.steps} steps, interleaved); > 1 is faster than the reference.")
        write_section(args.section + (" [CUDA]" if device.type == "cuda" else ""),
                      head + "\n\n" + table(results, peak, m["matmul_gflops"]), args.results)
    return result


if __name__ == "__main__":
    main()
