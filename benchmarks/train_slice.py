"""A timed slice of MNIST DrNet training through the real stage (``python -m stages.train_drnet``), projecting the
full run's wall time.

Two runs of the stage, ``--steps`` and ``2 x --steps`` steps (``--set mnist.train.steps=N``), on a store built
from the same params; their difference gives seconds per steady-state step (start-up, worker spawn, model
writes cancel), the shorter run the start-up. Projection = start-up + mnist.train.steps x seconds per step.
Paper-scale by default (params.yaml, MNIST digits replaced by the embedded ones: no download; the GPU machine
is offline); ``--set`` adds overrides (the CPU fallback shrinks everything). Usage:
python -m benchmarks.train_slice --steps 300 [--set runtime.precision=bf16 ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import command, loadavg, machine, write, write_section
from drnet.params import load_params, section


def run_stage(store: Path, tmp: Path, steps: int, overrides: list[str]) -> float:
    cmd = [sys.executable, "-m", "stages.train_drnet", "--dataset", "mnist", "--train", str(store),
           "--model-out", str(tmp / f"m{steps}.pt"), "--checkpoint", str(tmp / f"c{steps}.pt"),
           "--metrics-out", str(tmp / f"m{steps}.csv"), "--summary-out", str(tmp / f"s{steps}.json"),
           "--resume", "no", "--set", f"mnist.train.steps={steps}", *[a for o in overrides for a in ("--set", o)]]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, "DRNET_LOG": "WARNING"})
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--name", default="train_slice")
    parser.add_argument("--section", default="MNIST training slice (benchmarks.train_slice)")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args(argv)
    overrides = ["mnist.data.source=sklearn_digits", "mnist.train.checkpoint_every=100000", *args.overrides]
    params = load_params(overrides=overrides)
    cfg = section(params, "mnist")
    full_steps = load_params()["mnist"]["train"]["steps"]
    before = loadavg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        from drnet.data.mnist.build import build_split

        store = build_split(tmp / "train.h5", "train", cfg.data.model_copy(update={"train_sequences": 200}), seed=0)
        short = run_stage(store, tmp, args.steps, overrides)
        long = run_stage(store, tmp, 2 * args.steps, overrides)
    per_step = max(long - short, 1e-9) / args.steps
    startup = max(short - args.steps * per_step, 0.0)
    projected = startup + full_steps * per_step
    after = loadavg()
    print(f"{args.steps} steps: {short:.1f} s, {2 * args.steps}: {long:.1f} s -> {per_step * 1000:.1f} ms/step "
          f"({cfg.train.batch_size / per_step:.0f} pairs/s), start-up {startup:.1f} s; projected {full_steps} steps: "
          f"{projected / 3600:.2f} h")
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "overrides": overrides, "batch": cfg.train.batch_size, "model": cfg.model.model_dump(),
              "image_size": cfg.data.image_size, "short_s": short, "long_s": long,
              "seconds_per_step": per_step, "startup_s": startup, "full_steps": full_steps,
              "projected_full_s": projected, "runtime": params["runtime"], "loadavg_before": before,
              "loadavg_after": after}
    path = write(args.name, result, args.out_dir)
    if args.section:
        m = machine()
        body = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cuda'] or m['cpu_model']}; load average before "
                f"{before}, after {after}. Command: `{command()}`. JSON: `{path.name}`.\n\n"
                f"| overrides | runtime | steps | s/step | pairs/s | start-up | projected {full_steps} steps |\n"
                f"|---|---|---|---|---|---|---|\n"
                f"| `{' '.join(args.overrides) or '(paper)'}` | {params['runtime']} | {args.steps} / "
                f"{2 * args.steps} ({short:.1f} / {long:.1f} s) | {per_step * 1000:.1f} ms | "
                f"{cfg.train.batch_size / per_step:.0f} | {startup:.1f} s | **{projected / 3600:.2f} h** |")
        write_section(args.section + (" [CUDA]" if m["cuda"] else ""), body, args.results)
    return result


if __name__ == "__main__":
    main()
