"""The one training loop of every model (DrNet, the autoencoder baseline, the pose LSTM); each supplies its step.

The loop owns the skeleton: resume from the checkpoint (``drnet.train.resume``), the loader over step-planned
batches (``StepBatchSampler``: each batch comes from (seed, step), so a resumed run or a torchrun job sees the
batches one unbroken process would), the progress bar, metric sums averaged over each ``log_every`` interval
(and over ranks), the metric rows, a checkpoint every ``checkpoint_every`` steps and at the end, the barrier,
the final model file and the metrics CSV. A model supplies a ``Step``: the modules and optimizers its
checkpoints hold, its metric names, and one optimisation step on a batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from drnet.checkpoint import save_checkpoint
from drnet.data.sampling import StepBatchSampler
from drnet.io import atomic_path
from drnet.params import Runtime
from drnet.progress import progress
from drnet.runtime.context import Context, all_reduce_mean, barrier, machine_facts
from drnet.train.resume import resume


class Schedule(Protocol):
    """How long to train and how often to log and checkpoint (params ``train``, ``lstm``, ``baseline``)."""

    steps: int
    log_every: int
    checkpoint_every: int


@dataclass(frozen=True)
class Run:
    """Where a training run reads and writes, what it is made from, and where it runs."""

    store: Path  # the training video store (HDF5)
    model_out: Path  # the final model file
    checkpoint: Path  # the resumable checkpoint (kept between runs)
    metrics_out: Path  # CSV: one row of metric means per log interval
    seed: int
    params: dict  # the params recorded in every file the run writes
    key: str  # the resume key (``drnet.train.resume.resume_key``), recorded as the files' ``params_hash`` (a run
    # resumed across a code edit under DRNET_RESUME_ACROSS_CODE=1 goes on under its checkpoint's key)
    ctx: Context
    runtime: Runtime
    resume: Literal["auto", "yes", "no"] = "auto"


class Step:
    """One optimisation step of a model, as the loop drives it.

    ``modules`` and ``optimizers`` are what checkpoints hold (plain modules, never DDP/compile wrappers);
    ``start`` runs once after resuming (wrap modules for DDP or torch.compile there); ``__call__`` trains on one
    loader batch and returns the step's metrics, detached float [len(metrics)], in the order of ``metrics``.
    """

    name: str  # the progress bar's label
    metrics: tuple[str, ...]
    digits: int = 6  # metric means are rounded to this many decimals in the rows

    def __init__(self, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer]):
        self.modules, self.optimizers = modules, optimizers

    def start(self) -> None:
        """Called once, after resuming and before the first step."""

    def __call__(self, batch: Any, step: int) -> torch.Tensor:
        """Train on one batch; ``step``: the number of steps done before this one."""
        raise NotImplementedError

    def postfix(self, row: dict) -> dict[str, str]:
        """What the progress bar shows of a metric row."""
        return {self.metrics[0]: f"{row[self.metrics[0]]:.4f}"}


def train_loop(step: Step, dataset: Dataset, plan: Callable[[int], np.ndarray], schedule: Schedule, run: Run,
               model_file: Callable[[list[dict]], dict]) -> dict:
    """Train ``step`` over the planned batches of ``dataset``; write the model file and metrics CSV (rank 0).

    plan(step) -> the global batch of that step (``drnet.data.sampling``); model_file(rows) -> the model file's
    ``extra`` (its kind, the architecture it is rebuilt from, the metric rows). Returns the summary
    ``{"steps": ..., "final_<metric>": ...}`` (the last row's means), with the time the steps run here took
    (``seconds``; ``steps_per_s`` over their second half) and the machine facts it ran with.
    """
    ctx, workers = run.ctx, run.runtime.num_workers
    start, rows, key = resume(run.checkpoint, run.key, run.resume, step.modules, step.optimizers)
    step.start()
    loader = DataLoader(dataset, batch_sampler=StepBatchSampler(plan, start, schedule.steps, ctx.rank, ctx.world_size),
                        num_workers=workers, pin_memory=ctx.device.type == "cuda", persistent_workers=False,
                        prefetch_factor=4 if workers else None)
    sums = torch.zeros(len(step.metrics), device=ctx.device)
    count, done = 0, start
    half = start + (schedule.steps - start) // 2  # steps/s is timed over the second half (warm caches)
    t_begin = t_half = time.perf_counter()
    bar = progress(total=schedule.steps, initial=start, desc=step.name, unit="step", disable=not ctx.is_main,
                   dynamic_ncols=True, mininterval=1.0)
    for batch in loader:
        sums += step(batch, done)
        done += 1
        count += 1
        if done % schedule.log_every == 0 or done == schedule.steps:
            means = all_reduce_mean(sums / count, ctx).tolist()
            rows.append({"step": done, **{k: round(v, step.digits) for k, v in zip(step.metrics, means)}})
            bar.set_postfix(step.postfix(rows[-1]))
            sums.zero_()
            count = 0
        bar.update(1)
        if done == half:
            t_half = time.perf_counter()
        if ctx.is_main and (done % schedule.checkpoint_every == 0 or done == schedule.steps):
            save_checkpoint(run.checkpoint, modules=step.modules, optimizers=step.optimizers, step=done,
                            params=run.params, params_hash=key, extra={"metrics": rows})
    t_end = time.perf_counter()
    bar.close()
    barrier(ctx)
    if ctx.is_main:
        save_checkpoint(run.model_out, modules=step.modules, optimizers={}, step=done, params=run.params,
                        params_hash=key, extra=model_file(rows))
        with atomic_path(run.metrics_out) as tmp:
            pd.DataFrame(rows, columns=["step", *step.metrics]).to_csv(tmp, index=False)
    last = rows[-1] if rows else {}
    timed = done - max(half, start)
    return {"steps": schedule.steps, "precision": ctx.precision, **{f"final_{k}": last.get(k) for k in step.metrics},
            "steps_run": done - start, "seconds": round(t_end - t_begin, 3),
            "steps_per_s": round(timed / (t_end - t_half), 3) if timed > 0 and t_end > t_half else None,
            "machine": machine_facts(ctx)}
