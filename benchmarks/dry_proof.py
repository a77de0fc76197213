"""A timed dry run of a proof target that projects the full run's wall time from measured steps/s.

The proof targets (``snakemake --cores 2 proof`` / ``proof_kth``) promise to finish inside 90 minutes on 2 cores.
This runs the same target through Snakemake in a scratch copy of the working tree (the user's results are never
touched), with every training stage's steps cut to ``--fraction`` of the proof's (``--config
'proof={...}'``: the real rules, commands, data and evaluation stages, only shorter training). Then, per job:
- a training job (``stages.train_drnet``, ``train_lstm``, ``train_ae``): its summary gives the steady steps/s
  (second half of its steps) and the loop's seconds; projected = measured wall - loop seconds (start-up, data,
  model writes) + proof steps / steps/s;
- every other job: its measured wall (their work does not depend on the number of training steps).
The projected durations are then scheduled on ``--cores`` cores as Snakemake does (a job starts when its inputs
exist and its threads are free; longest first among the ready ones), giving the projected wall time of the
target; the serial sum and the critical path (the bound no number of cores beats) are reported beside it.
Jobs ran side by side in the dry run as Snakemake scheduled them, so their steps/s include that contention.

``--isa avx2`` runs the dry proof with the CPU kernels limited to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2
ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2``): on a CPU with AVX-512/AMX this is how the target runs
on a CPU without native bf16 (``runtime.precision: auto`` resolves to fp32 there, as it would).

Usage: python -m benchmarks.dry_proof --target proof [--fraction 0.02] [--isa avx2] [--cores 2]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ISA_LIMITS, command, loadavg, machine, write, write_section
from drnet.params import load_params
from stages.dag.registry import TARGET_STAGES, TARGET_VARIANT, Job, jobs

ROOT = Path(__file__).resolve().parent.parent
# Training stages whose cost scales with a steps key: module -> the params section holding ``steps``
TRAINING = {"stages.train_drnet": "train", "stages.train_lstm": "lstm", "stages.train_ae": "baseline"}
PROMISE_MIN = 90.0


def target_jobs(target: str) -> list[Job]:
    """The jobs a target runs: its final stages' jobs and everything they depend on, in registry order."""
    variant = TARGET_VARIANT.get(target, target)
    mine = [j for j in jobs() if j.variant == variant]
    producer = {p: j for j in mine for p in j.outs().values()}
    wanted, todo = set(), [j for j in mine if j.stage.name in TARGET_STAGES[target]]
    while todo:
        job = todo.pop()
        if job.name in wanted:
            continue
        wanted.add(job.name)
        todo += [producer[p] for p in job.deps().values() if p in producer]
    return [j for j in mine if j.name in wanted]


def dependencies(selected: list[Job]) -> dict[str, set[str]]:
    producer = {p: j.name for j in selected for p in j.outs().values()}
    return {j.name: {producer[p] for p in j.deps().values() if p in producer} for j in selected}


def steps_key(job: Job) -> tuple[str, str] | None:
    """(dataset, section) whose ``steps`` a training job runs, or None for other jobs."""
    section = TRAINING.get(job.stage.module)
    if section is None:
        return None
    args = job.stage.args
    dataset = args[args.index("--dataset") + 1] if "--dataset" in args else job.stage.name.split("_")[0]
    return dataset, section


def dry_overrides(selected: list[Job], variant: str, fraction: float) -> tuple[dict, dict]:
    """The --config overlay cutting every training job's steps to ``fraction`` (at least 40 steps), and the
    full and dry steps per (dataset, section)."""
    params = load_params(variant=variant)
    overlay, steps = {}, {}
    for job in selected:
        key = steps_key(job)
        if key is None or key in steps:
            continue
        ds, sec = key
        full = int(params[ds][sec]["steps"])
        dry = max(40, int(round(full * fraction)))
        steps[key] = {"full": full, "dry": dry}
        overlay.setdefault(ds, {})[sec] = {"steps": dry, "checkpoint_every": dry,
                                           "log_every": min(int(params[ds][sec].get("log_every", 10)), dry // 4)}
    return overlay, steps


def copy_tree(dest: Path) -> None:
    """The working tree's tracked and unignored files (what a clone would have, plus local edits), venv linked."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    if (ROOT / ".venv").exists() and not (dest / ".venv").exists():
        (dest / ".venv").symlink_to(ROOT / ".venv")


def wall_seconds(work: Path, job: Job) -> float:
    tsv = work / "logs" / "benchmarks" / f"{job.name}.tsv"
    return float(tsv.read_text().splitlines()[1].split("\t")[0])


def summary_of(work: Path, job: Job) -> dict:
    path = job.outs().get("--summary-out")
    return json.loads((work / path).read_text()) if path else {}


def schedule(durations: dict[str, float], deps: dict[str, set[str]], threads: dict[str, int], cores: int) -> float:
    """Makespan of a greedy list schedule: a job starts once its inputs exist and its threads are free; among the
    ready jobs the longest goes first."""
    done_at: dict[str, float] = {}
    running: list[tuple[float, str]] = []
    free, now = cores, 0.0
    pending = set(durations)
    while pending or running:
        ready = sorted((n for n in pending if deps[n] <= done_at.keys()), key=lambda n: -durations[n])
        started = False
        for name in ready:
            need = min(threads[name], cores)
            if need <= free:
                free -= need
                pending.discard(name)
                heapq.heappush(running, (now + durations[name], name))
                started = True
        if not running:
            if pending and not started:
                raise RuntimeError(f"unschedulable jobs: {sorted(pending)}")
            continue
        now, name = heapq.heappop(running)
        done_at[name] = now
        free += min(threads[name], cores)
    return now


def critical_path(durations: dict[str, float], deps: dict[str, set[str]]) -> float:
    finish: dict[str, float] = {}

    def end(name: str) -> float:
        if name not in finish:
            finish[name] = durations[name] + max((end(d) for d in deps[name]), default=0.0)
        return finish[name]

    return max(end(n) for n in durations)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="proof", choices=sorted(t for t in TARGET_STAGES if t.startswith("proof")))
    parser.add_argument("--fraction", type=float, default=0.02, help="training steps run, as a fraction of the proof's")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--isa", choices=["native", *ISA_LIMITS], default="native")
    parser.add_argument("--keep", type=Path, default=None, help="run in this folder and keep it (default: a temp one)")
    parser.add_argument("--name", default=None, help="JSON name (default dry_<target>_<isa>)")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--section", default=None, help="RESULTS.md section (default: one per target and isa)")
    args = parser.parse_args(argv)
    if not 0 < args.fraction <= 1:
        parser.error(f"--fraction must be in (0, 1], got {args.fraction}")
    variant = TARGET_VARIANT.get(args.target, args.target)
    selected = target_jobs(args.target)
    deps = dependencies(selected)
    overlay, steps = dry_overrides(selected, variant, args.fraction)
    env = {**os.environ, **ISA_LIMITS.get(args.isa, {}), "DRNET_LOG": "WARNING"}
    before = loadavg()
    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="dry_proof_")
    work = Path(args.keep or scratch.name)
    work.mkdir(parents=True, exist_ok=True)
    try:
        copy_tree(work)
        snake = [str(Path(sys.executable).with_name("snakemake")), "--cores", str(args.cores), args.target,
                 "--config", f"{variant}={json.dumps(overlay)}"]
        print("dry proof:", " ".join(snake[1:]), f"(in {work}, isa {args.isa})", flush=True)
        start = time.perf_counter()
        if subprocess.run(snake, cwd=work, env=env).returncode:
            raise SystemExit(f"dry_proof: snakemake failed in {work} (its log is above; --keep DIR keeps the folder)")
        dry_wall = time.perf_counter() - start
        rows = {}
        for job in selected:
            wall = wall_seconds(work, job)
            row = {"wall_s": wall, "threads": job.threads}
            key = steps_key(job)
            if key is not None:
                s = summary_of(work, job)
                full, rate = steps[key]["full"], s.get("steps_per_s")
                row.update(steps_dry=s.get("steps"), steps_full=full, steps_per_s=rate,
                           loop_s=s.get("seconds"), machine=s.get("machine"))
                row["projected_s"] = wall - s["seconds"] + full / rate
            else:
                row["projected_s"] = wall
            rows[job.name] = row
    finally:
        if scratch is not None:
            scratch.cleanup()
    durations = {n: r["projected_s"] for n, r in rows.items()}
    threads = {n: r["threads"] for n, r in rows.items()}
    makespan = schedule(durations, deps, threads, args.cores)
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "isa_env": ISA_LIMITS.get(args.isa, {}), "overlay": overlay, "dry_wall_s": dry_wall, "jobs": rows,
              "projected_wall_s": makespan, "serial_s": sum(durations.values()),
              "critical_path_s": critical_path(durations, deps), "loadavg_before": before, "loadavg_after": loadavg()}
    name = args.name or f"dry_{args.target}_{args.isa}"
    path = write(name, result, args.out_dir)
    m = machine()
    train = [(n, r) for n, r in rows.items() if "steps_per_s" in r]
    others = sum(r["projected_s"] for r in rows.values() if "steps_per_s" not in r)
    facts = next((r["machine"] for _, r in train if r.get("machine")), {})
    print(f"{args.target} ({args.isa}): dry run {dry_wall / 60:.1f} min; projected {makespan / 60:.1f} min on "
          f"{args.cores} cores (serial {result['serial_s'] / 60:.1f}, critical path "
          f"{result['critical_path_s'] / 60:.1f}); promise {PROMISE_MIN:.0f} min")
    body = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cpu_model']} ({m['cores_owned']} cores), "
            f"kernels: {facts.get('isa', '?')}"
            f"{', ONEDNN_MAX_CPU_ISA=' + facts['onednn_max_isa'] if facts.get('onednn_max_isa') else ''}, "
            f"native bf16: {facts.get('cpu_bf16')}, training precision: {facts.get('precision')}, "
            f"{facts.get('threads')} intra-op thread(s) per job; load average before {before}, after "
            f"{result['loadavg_after']}. Command: `{command()}`. JSON: `{path.name}`. The dry run (training cut to "
            f"{args.fraction:g} of its steps) took {dry_wall / 60:.1f} min.\n\n"
            f"**Projected `snakemake --cores {args.cores} {args.target}`: {makespan / 60:.1f} min** (promise "
            f"<= {PROMISE_MIN:.0f} min, setup excluded; serial sum {result['serial_s'] / 60:.1f} min, critical path "
            f"{result['critical_path_s'] / 60:.1f} min).\n\n"
            "| training job | steps (dry / proof) | steps/s | projected |\n|---|---|---|---|\n"
            + "\n".join(f"| {n} | {r['steps_dry']} / {r['steps_full']} | {r['steps_per_s']:.2f} | "
                        f"{r['projected_s'] / 60:.1f} min |" for n, r in train)
            + f"\n| every other job (measured) | | | {others / 60:.1f} min in all |")
    section = args.section or f"Dry {args.target}, {args.isa} kernels (benchmarks.dry_proof)"
    write_section(section, body, args.results)
    return result


if __name__ == "__main__":
    main()
