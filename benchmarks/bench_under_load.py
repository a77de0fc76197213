"""Training steps/s when the cores are shared: intra-op threads x DataLoader workers, with and without a competitor.

Each configuration runs in its own process (thread pools and OpenMP settings are fixed at start-up): the real
loader (``FreshPairDataset`` over bouncing digits, as the MNIST stage with ``fresh_clips``) feeding our DrNet step
(``benchmarks.steps.our_step``) at the proof variant's size (32 px, width 16, content 64, batch 64), for a fixed
wall time. The competitor is a bounded CPU-bound busy loop at nice 0, started and killed by this script.
``threads=auto`` is what ``runtime.threads: 0`` now picks (``drnet.runtime.context.intra_op_threads``);
``threads=torch`` is torch's own default (the old behaviour of ``threads: 0``).
Usage: python -m benchmarks.bench_under_load [--seconds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import loadavg, write, write_section

BUSY = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"


def child(threads: str, workers: int, seconds: float, batch: int, width: int, image_size: int) -> dict:
    import torch
    from torch.utils.data import DataLoader

    from benchmarks.steps import Batch, our_step, spec
    from drnet.data.mnist.bouncing import BouncingMnist
    from drnet.data.mnist.digits import load_sklearn_digits
    from drnet.data.sampling import FreshPairDataset, StepBatchSampler, fresh_pair_plan
    from drnet.params import Runtime
    from drnet.runtime.context import Context, intra_op_threads

    if threads == "auto":
        torch.set_num_threads(intra_op_threads(Runtime(threads=0, num_workers=workers)))
    elif threads != "torch":
        torch.set_num_threads(int(threads))
    digits, labels = load_sklearn_digits("train", image_size // 2)
    source = BouncingMnist(digits, labels, image_size, 2, 2)
    loader = DataLoader(FreshPairDataset(source, 0),
                        batch_sampler=StepBatchSampler(lambda step: fresh_pair_plan(20, batch, 10, 0, step), 0, 10**6),
                        num_workers=workers, prefetch_factor=4 if workers else None)
    s = spec("mnist", width=width, content_dim=64, image_size=image_size)
    _, step = our_step(s, Context(device=torch.device("cpu"), channels_last=True))
    times, warm = [], 3
    start = last = time.perf_counter()
    for x_t, x_tk, seqs in loader:
        step(Batch.from_pairs(x_t, x_tk, seqs))
        now = time.perf_counter()
        if warm:
            warm -= 1
            start = now
        else:
            times.append(now - last)
        last = now
        if not warm and now - start > seconds and len(times) >= 3:
            break
    return {"threads": threads, "torch_threads": torch.get_num_threads(), "workers": workers,
            "steps": len(times), "steps_per_s": len(times) / sum(times), "median_step_s": statistics.median(times),
            "max_step_s": max(times)}


def run_config(threads: str, workers: int, args, env: dict | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_under_load", "--child", threads, str(workers),
           "--seconds", str(args.seconds), "--batch", str(args.batch), "--width", str(args.width),
           "--image-size", str(args.image_size)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="timed wall seconds per configuration")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--threads", default="torch,1,2,auto")
    parser.add_argument("--workers", default="0,1,2")
    parser.add_argument("--competitor", default="both", choices=["both", "none", "busy"])
    parser.add_argument("--child", nargs=2, metavar=("THREADS", "WORKERS"), help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--section", default="Steps under load (benchmarks.bench_under_load)")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.seconds, args.batch, args.width,
                               args.image_size)))
        return None
    before = loadavg()
    rows = []
    for competitor in {"both": (False, True), "none": (False,), "busy": (True,)}[args.competitor]:
        busy = None
        if competitor:  # bounded: it ends by itself even if this script dies
            budget = 60 + (args.seconds + 15) * (1 + len(args.threads.split(",")) * len(args.workers.split(",")))
            busy = subprocess.Popen([sys.executable, "-c", BUSY.format(seconds=budget)])
        try:
            for threads in args.threads.split(","):
                for workers in map(int, args.workers.split(",")):
                    r = {"competitor": competitor, **run_config(threads, workers, args)}
                    rows.append(r)
                    print(f"competitor {competitor!s:5s} threads {threads:5s} ({r['torch_threads']}) workers "
                          f"{workers}: {r['steps_per_s']:6.2f} steps/s (median {r['median_step_s'] * 1000:.0f} ms, "
                          f"max {r['max_step_s'] * 1000:.0f} ms)")
            if competitor:  # OpenMP passive waiting: idle team members sleep instead of spinning
                r = {"competitor": True, "env": "OMP_WAIT_POLICY=PASSIVE",
                     **run_config("2", 0, args, {"OMP_WAIT_POLICY": "PASSIVE"})}
                rows.append(r)
                print(f"competitor True  threads 2 workers 0 OMP_WAIT_POLICY=PASSIVE: {r['steps_per_s']:6.2f} steps/s")
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
    after = loadavg()
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "loadavg_before": before, "loadavg_after": after, "rows": rows}
    path = write("under_load", result, args.out_dir)
    if args.section:
        lines = ["| competitor | threads setting (torch threads) | workers | steps/s | median / max step |",
                 "|---|---|---|---|---|"]
        for r in rows:
            setting = r["threads"] + (f", {r['env']}" if "env" in r else "")
            lines.append(f"| {'busy loop' if r['competitor'] else 'none'} | {setting} ({r['torch_threads']}) | "
                         f"{r['workers']} | {r['steps_per_s']:.2f} | {r['median_step_s'] * 1000:.0f} / "
                         f"{r['max_step_s'] * 1000:.0f} ms |")
        from benchmarks.common import command, machine

        m = machine()
        head = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cpu_model']} ({m['cores_owned']} cores); load "
                f"average before {before}, after {after}. Command: `{command()}`. JSON: `{path.name}`. Each row: "
                f"its own process, FreshPairDataset loader + our step (batch {args.batch}, {args.image_size} px, "
                f"width {args.width}), {args.seconds:g} s timed after 3 warm-up steps.")
        write_section(args.section, head + "\n\n" + "\n".join(lines), args.results)
    return result


if __name__ == "__main__":
    main()
