"""Loader throughput from the HDF5 store vs what the train step consumes.

Measures frame pairs/s delivered by the DataLoader (N workers) reading straight from HDF5, and pairs/s consumed
by a DrNet train step at the same batch size; goal: loader >= 5x the step. Also reports how loader time grows
with dataset size (1x, 2x, 4x sequences). Usage: python -m benchmarks.bench_loader [--workers 2 --batch 32]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from benchmarks.bench_train_step import bench, make_step
from benchmarks.common import demo_store, write
from drnet.data.sampling import PairDataset, StepBatchSampler, pair_plan
from drnet.data.store import VideoStore
from drnet.models import DrNet
from drnet.params import DrnetModel


def loader_rate(path: Path, batch: int, workers: int, steps: int) -> float:
    store = VideoStore(path)

    def plan(step: int):
        return pair_plan(store.length, batch, 10, 0, step)

    loader = DataLoader(PairDataset(store), batch_sampler=StepBatchSampler(plan, 0, steps + 2), num_workers=workers,
                        prefetch_factor=4 if workers else None)
    it = iter(loader)
    next(it), next(it)  # start-up (worker spawn) is not throughput
    start = time.perf_counter()
    n = sum(1 for _ in it)
    return n * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--width", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scaling = {}
        for factor in (1, 2, 4):
            path = demo_store(Path(tmp) / f"s{factor}.h5", 150 * factor)
            scaling[f"{factor}x"] = loader_rate(path, args.batch, args.workers, args.steps)
        loader = scaling["1x"]
    torch.manual_seed(0)
    model = DrNet(DrnetModel(width=args.width), 3, 64)
    step = make_step(model, True, None, False)
    x = torch.rand(args.batch, 3, 64, 64)
    consumed = args.batch / bench(step, x, x.clone(), 5, 2)
    ratio = loader / consumed
    print(f"loader {loader:9.1f} pairs/s ({args.workers} workers); step consumes {consumed:7.1f} pairs/s "
          f"(width {args.width}); ratio {ratio:.1f}x (goal >= 5x)")
    print("loader pairs/s by dataset size: " + ", ".join(f"{k}: {v:.0f}" for k, v in scaling.items()))
    write("loader", {"args": vars(args), "loader_pairs_per_s": loader, "step_pairs_per_s": consumed,
                     "ratio": ratio, "scaling_pairs_per_s": scaling})


if __name__ == "__main__":
    main()
