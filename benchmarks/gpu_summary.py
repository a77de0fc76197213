"""The GPU check's summary (``benchmarks/gpu_check.sh`` runs it last): one line per measurement read back from the
parts' JSON under OUT_DIR -- achieved GFLOP/s (TFLOP/s) against the device's peak (a GPU: ``PEAK_TFLOPS``, bf16
variants against the bf16 peak, fp32 ones against TF32, which cuDNN uses for fp32 convolutions; the CPU: the
measured fp32 matmul rate), the loader against the step's demand, and each part's wall time against its limit.
Writes ``gpu_check.json`` and a RESULTS section. Usage (the script's own call):
python -m benchmarks.gpu_summary OUT_DIR RESULTS --part step_ab=35/150/ok ... [--dry] [--budget 560]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import write_section

# part name -> the JSON it writes; those in CUDA_SUFFIXED are <name>_cuda.json when they ran on a GPU
PART_JSON = {"step_ab": ["train_step"], "step_compile": ["train_step_compile"], "eval": ["eval_inception"],
             "loader": ["loader"], "slice_fp32": ["train_slice_fp32"], "slice_fast": ["train_slice_fast"]}
CUDA_SUFFIXED = {"train_step", "train_step_compile", "eval_inception"}


def load(out_dir: Path, name: str, dry: bool, since: float = 0.0) -> tuple[str, dict] | None:
    """(file name, content) of the part's JSON this run wrote (modified at ``since`` or later), else None."""
    path = out_dir / f"{name}{'' if dry or name not in CUDA_SUFFIXED else '_cuda'}.json"
    if path.exists() and path.stat().st_mtime >= since:
        return path.name, json.loads(path.read_text())
    return None


def against(gflops: float, peak: dict | None, matmul: float | None, bf16: bool) -> str:
    """'x% of the bf16|tf32 peak' on a GPU, 'x% of the fp32 matmul rate' on the CPU, '' when neither is known."""
    if peak and "bf16" in peak:
        key = "bf16" if bf16 else "tf32"
        return f"{100 * gflops / 1000 / peak[key]:.1f}% of the {key} peak ({peak[key]:.0f} TFLOP/s)"
    if matmul:
        return f"{100 * gflops / matmul:.0f}% of the CPU fp32 matmul rate ({matmul:.0f} GFLOP/s)"
    return ""


def fmt_rate(gflops: float) -> str:
    return f"{gflops / 1000:.2f} TFLOP/s" if gflops >= 1000 else f"{gflops:.1f} GFLOP/s"


def step_lines(name: str, r: dict, matmul: float | None) -> list[str]:
    peak = r.get("gpu_peak_tflops")
    out = []
    for res in r["results"]:
        for variant, v in res["variants"].items():
            gflops = v["achieved_tflops"] * 1000
            out.append(f"{name}: {res['dataset']} b{res['batch']} {variant}: "
                       f"{v['seconds_per_step']['median'] * 1000:.1f} ms/step, {v['pairs_per_s']:.0f} pairs/s, "
                       f"{v['ratio_vs_baseline']['median']:.2f}x the reference, {fmt_rate(gflops)} "
                       + against(gflops, peak, matmul, "bf16" in variant))
    if r.get("partial"):
        out.append(f"{name}: PARTIAL (the part stopped before its last dataset)")
    return out


def summarize(out_dir: Path, parts: dict[str, dict], dry: bool = False, since: float = 0.0
              ) -> tuple[list[str], dict]:
    """(lines to print, {json name: file}) from the parts' JSON under ``out_dir`` written since ``since``."""
    lines, found = [], {}
    for names in PART_JSON.values():
        for name in names:
            got = load(out_dir, name, dry, since)
            if got:
                found[name] = got
    matmul = next((r["machine"].get("matmul_gflops") for _, r in found.values()
                   if r["machine"].get("matmul_gflops")), None)
    for name in ("train_step", "train_step_compile"):
        if name in found:
            lines += step_lines(name, found[name][1], matmul)
    if "eval_inception" in found:
        r = found["eval_inception"][1]
        for part, p in r["parts"].items():
            lines.append(f"eval (kth_inception {part}): {p['items']} frames, {p['items_per_s']:.0f} frames/s, "
                         f"{fmt_rate(p['gflops_per_s'])} " + against(p["gflops_per_s"], r.get("gpu_peak_tflops"),
                                                                   matmul, False))
    if "loader" in found:
        for row in found["loader"][1]["rows"]:
            fast = (f"; fastest step ({row['fastest_variant']}) {row['fastest_step_pairs_per_s']:.0f} pairs/s: "
                    f"{row['fastest_ratio']:.1f}x" if row.get("fastest_variant") else "")
            lines.append(f"loader: {row['dataset']} b{row['batch']}, {row['workers']} workers: "
                         f"{row['loader_pairs_per_s']:.0f} pairs/s vs the step's {row['step_pairs_per_s']:.0f}: "
                         f"{row['ratio']:.1f}x (goal >= 5x){fast}")
    step = found.get("train_step", (None, None))[1]
    for name in ("train_slice_fp32", "train_slice_fast"):
        if name not in found:
            continue
        r = found[name][1]
        if r["long_s"] <= r["short_s"] * 1.02:  # start-up noise swamps the steps (the dry mode's 2 vs 4 steps)
            lines.append(f"{name}: {r['short_s']:.1f} s / {r['long_s']:.1f} s for {r['args']['steps']} / "
                         f"{2 * int(r['args']['steps'])} steps: too few steps to tell steps from start-up")
            continue
        flops = slice_flops(r, step)
        rate = flops / r["seconds_per_step"] / 1e9 if flops else None
        bf16 = r["runtime"]["precision"] == "bf16" or (r["runtime"]["precision"] == "auto" and step is not None
                                                        and bool(step.get("gpu_peak_tflops")))
        lines.append(f"{name}: {r['seconds_per_step'] * 1000:.1f} ms/step, {r['batch'] / r['seconds_per_step']:.0f} "
                     f"pairs/s through stages.train_drnet, projected {r['full_steps']} steps "
                     f"{r['projected_full_s'] / 3600:.2f} h"
                     + (f", {fmt_rate(rate)} " + against(rate, step.get("gpu_peak_tflops"), matmul, bf16)
                        if rate else ""))
    for part, p in parts.items():
        files = [found[n][0] for n in PART_JSON.get(part, []) if n in found]
        p["json"] = files
    return lines, {name: f for name, (f, _) in found.items()}


def slice_flops(slice_result: dict, step: dict | None) -> float | None:
    """FLOPs of one slice step: the train-step JSON's ``ours`` count for MNIST with the same model and frame size,
    scaled to the slice's batch (every term of the step is per pair)."""
    if not step:
        return None
    for res in step["results"]:
        if (res["dataset"] == "mnist" and res["model"] == slice_result.get("model")
                and res["image_size"] == slice_result.get("image_size") and "ours" in res["variants"]):
            return res["variants"]["ours"]["flops_per_step"] * slice_result["batch"] / res["batch"]
    return None


def parse_part(text: str) -> tuple[str, dict]:
    name, _, rest = text.partition("=")
    seconds, limit, status = rest.split("/", 2)
    return name, {"seconds": int(seconds), "limit_s": int(limit), "status": status}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("results", type=Path)
    parser.add_argument("--part", action="append", default=[], metavar="NAME=SECONDS/LIMIT/STATUS")
    parser.add_argument("--dry", action="store_true", help="the dry mode ran (tiny sizes on the CPU)")
    parser.add_argument("--budget", type=int, default=None, help="the script's total budget in seconds")
    parser.add_argument("--device", default="", help="the device line the script printed")
    parser.add_argument("--since", type=float, default=0.0, help="ignore JSON older than this (epoch seconds)")
    args = parser.parse_args(argv)
    parts = dict(parse_part(p) for p in args.part)
    lines, files = summarize(args.out_dir, parts, args.dry, args.since - 1)
    total = sum(p["seconds"] for p in parts.values())
    for line in lines:
        print(f"gpu_check: {line}")
    for name, p in parts.items():
        print(f"gpu_check: part {name}: {p['seconds']} s of its {p['limit_s']} s limit, {p['status']}, "
              f"JSON {', '.join(p['json']) or 'none'}")
    print(f"gpu_check: budget: the parts took {total} s of {args.budget} s"
          + (" (dry mode: tiny sizes on the CPU, no GPU measured)" if args.dry else ""))
    result = {"benchmark": "gpu_check", "dry": args.dry, "device": args.device, "budget_s": args.budget,
              "total_s": total, "parts": parts, "json": files, "lines": lines,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (args.out_dir / "gpu_check.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = ["| part | wall s / limit | status | JSON |", "|---|---|---|---|"]
    rows += [f"| {n} | {p['seconds']} / {p['limit_s']} | {p['status']} | {', '.join(p['json']) or '-'} |"
             for n, p in parts.items()]
    head = (f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {args.device or 'device unknown'}: `bash benchmarks/gpu_check.sh` "
            f"took {total} s of its {args.budget} s budget"
            + (" (dry mode: tiny sizes on the CPU; no GPU number here)" if args.dry else "") + ".")
    title = "GPU check summary (benchmarks/gpu_check.sh)" + (" [dry run]" if args.dry else " [CUDA]")
    write_section(title, head + "\n\n" + "\n".join(rows) + "\n\n" + "\n".join(f"- {line}" for line in lines),
                  args.results)
    return result


if __name__ == "__main__":
    main()
