"""What each Snakemake rule is made of, per job of the stage table: read by workflow/rules.smk when Snakemake parses
the workflow, which makes one rule per job in a loop (no rule file is generated or kept in git).

Inputs are the job's deps plus ``src``, the source files its module runs (stages/dag/sources.py, the same list
dvc.yaml declares); outputs are marked as folders or as report items with a caption (stages/dag/captions.py);
the command is dvc.yaml's with Snakemake's placeholders for the paths.
"""

from __future__ import annotations

from collections.abc import Callable

from stages.dag.captions import REPORT_SUFFIXES, caption_file, category, key
from stages.dag.registry import Job
from stages.dag.sources import sources

# SLURM partitions (profiles/slurm): a rule whose stage asks for a GPU (registry gpu > 0) runs in GPU_PARTITION,
# every other rule in the profile's default (CPU_PARTITION)
GPU_PARTITION, CPU_PARTITION = "gpu", "main"


def inputs(job: Job) -> dict[str, str | list[str]]:
    """The rule's inputs: each dep by its flag's name, and ``src``, the source files its module runs (an edit to
    one of them re-runs exactly the rules that run it)."""
    return {**{key(f): p for f, p in job.deps().items()}, "src": sources(job.stage.module)}


def outputs(job: Job, directory: Callable, report: Callable) -> dict[str, object]:
    """The rule's outputs by name: folders marked with ``directory``, figures/tables/metrics with ``report`` and a
    caption (Snakemake's own markers, passed in by workflow/rules.smk), other files as plain paths."""
    s, out = job.stage, {}
    for f, p in job.outs().items():
        if f in s.dir_outs:
            out[key(f)] = directory(p)
        elif p.endswith(REPORT_SUFFIXES):
            out[key(f)] = report(p, caption=f"report/outputs/{caption_file(job, f)}", category=category(s),
                                 subcategory=job.variant)
        else:
            out[key(f)] = p
    return out


def persist(job: Job) -> dict[str, str]:
    """Resumable checkpoints, passed as params: kept across runs, not outputs (Snakemake would delete them)."""
    return {key(f): p for f, p in job.persist().items()}


def resources(job: Job) -> dict[str, int | str]:
    """mem_mb, runtime (minutes) and, for a paper-scale stage that asks for one, a GPU and the GPU partition."""
    s = job.stage
    res: dict[str, int | str] = {"mem_mb": s.mem_mb, "runtime": s.runtime_min}
    if s.gpu and job.variant == "paper":
        res.update(gpu=s.gpu, slurm_partition=GPU_PARTITION)
    return res


def command(job: Job) -> str:
    """dvc.yaml's command with Snakemake placeholders (``{input.train}``...) for the paths."""
    parts = ["python", "-m", job.stage.module, "--variant", job.variant, *job.stage.args]
    for f in job.deps():
        parts += [f, f"{{input.{key(f)}}}"]
    for f in job.outs():
        parts += [f, f"{{output.{key(f)}}}"]
    for f in job.persist():
        parts += [f, f"{{params.{key(f)}}}"]
    return " ".join(parts)
