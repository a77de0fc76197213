"""Loader throughput at the configured settings vs what our default train step consumes (goal: >= 5x).

Two loaders, each as ``train_drnet`` builds it from params.yaml (paper variant): batch size, ``max_step``,
``runtime.num_workers``, prefetch 4:
  mnist  ``FreshPairDataset``: clips drawn and the two frames rendered on the fly (``mnist.train.fresh_clips``);
         digits are scikit-learn's, resized to ``digit_size`` (rendering cost does not depend on the digit bank)
  kth    ``PairDataset`` over a full-size store (as many training subsequences and frames as the KTH training
         persons give, 64 px grey, gzip chunks of one frame as the ingest writes them), reading the 2 frames used;
         the frames are tiled from rendered synthetic KTH frames (cached under --cache between runs)
Demand = batch / our step's median seconds, read from ``benchmarks/out/train_step.json`` (the same batch
size), else measured here over 2 steps; with the JSON, the fastest of its ``ours*`` variants (e.g. bf16 on a GPU)
too, since a faster step needs a faster loader. Usage: python -m benchmarks.bench_loader [--datasets mnist,kth]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from benchmarks.common import OUT, command, loadavg, machine, write, write_section
from drnet.data.sampling import FreshPairDataset, PairDataset, StepBatchSampler, fresh_pair_plan, pair_plan
from drnet.data.store import VideoStore
from drnet.params import load_params, section

# KTH training split (persons 1-16): ~64% of the 2391 listed subsequences; subsequences average ~120 frames.
KTH_TRAIN_SUBSEQUENCES = 1530
KTH_MEAN_LENGTH = 120


def rate(loader: DataLoader, batch: int, seconds: float) -> float:
    """Pairs/s over ``seconds`` after the first 2 batches (worker start-up is not throughput)."""
    it = iter(loader)
    next(it), next(it)
    start, n = time.perf_counter(), 0
    for _ in it:
        n += 1
        if time.perf_counter() - start > seconds:
            break
    return n * batch / (time.perf_counter() - start)


def kth_store(path: Path, sequences: int, length: int, image_size: int = 64) -> Path:
    """A KTH-sized training store: ``sequences`` clips of ~``length`` frames (uint8 [H, W, 1])."""
    from drnet.data.kth.figure import render_video
    from drnet.data.store import VideoStoreWriter

    if path.exists():
        return path
    import cv2

    bank = np.concatenate([render_video(0, p, a, "d1", 64) for p, a in ((1, "walking"), (2, "boxing"))])
    bank = np.stack([cv2.resize(f, (image_size, image_size), interpolation=cv2.INTER_AREA) for f in bank])[..., None]
    rng = np.random.default_rng(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with VideoStoreWriter(path, dataset="kth", split="train", source="synthetic", synthetic=True,
                          frame_shape=(image_size, image_size, 1)) as w:
        for _ in range(sequences):
            n = int(rng.integers(length // 2, 3 * length // 2))
            w.add(bank[(int(rng.integers(len(bank))) + np.arange(n)) % len(bank)])
    return path


def demand(dataset: str, batch: int, step_json: Path) -> tuple[float, str]:
    """Pairs/s our default step consumes at ``batch``: from the train-step benchmark's JSON, else measured."""
    if step_json.exists():  # the same batch, else the same dataset at another batch (pairs/s ~ per-pair cost)
        found = [r for r in json.loads(step_json.read_text())["results"]
                 if r["dataset"] == dataset and "ours" in r["variants"]]
        found.sort(key=lambda r: r["batch"] != batch)
        if found:
            r = found[0]
            note = step_json.name + ("" if r["batch"] == batch else f", step at batch {r['batch']}")
            return r["batch"] / r["variants"]["ours"]["seconds_per_step"]["median"], note
    from benchmarks.steps import make_batch, our_step, spec
    from drnet.runtime.context import Context

    s = spec(dataset)
    _, step = our_step(s, Context(device=torch.device("cpu"), channels_last=True))
    data = make_batch(s, batch)
    step(data)
    start = time.perf_counter()
    for _ in range(2):
        step(data)
    return batch * 2 / (time.perf_counter() - start), "measured here (2 steps)"


def fastest_demand(dataset: str, batch: int, step_json: Path) -> tuple[float, str] | None:
    """(pairs/s, variant) of the fastest ``ours*`` variant in the train-step JSON at ``batch``, else None."""
    if not step_json.exists():
        return None
    found = [(batch / v["seconds_per_step"]["median"], name) for r in json.loads(step_json.read_text())["results"]
             if r["dataset"] == dataset and r["batch"] == batch
             for name, v in r["variants"].items() if name.startswith("ours")]
    return max(found) if found else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mnist,kth")
    parser.add_argument("--seconds", type=float, default=8.0, help="timed seconds per loader")
    parser.add_argument("--batch", type=int, default=None, help="default: the dataset's train.batch_size")
    parser.add_argument("--workers", type=int, default=None, help="default: runtime.num_workers")
    parser.add_argument("--kth-sequences", type=int, default=KTH_TRAIN_SUBSEQUENCES)
    parser.add_argument("--kth-length", type=int, default=KTH_MEAN_LENGTH)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/drnet-bench"), help="where the KTH store is kept")
    parser.add_argument("--step-json", type=Path, default=OUT / "train_step.json")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--section", default="Loader vs train step (benchmarks.bench_loader)")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args(argv)
    params = load_params()
    workers = params["runtime"]["num_workers"] if args.workers is None else args.workers
    before = loadavg()
    rows = []
    for dataset in args.datasets.split(","):
        cfg = section(params, dataset)
        batch = args.batch or cfg.train.batch_size
        max_step = cfg.train.max_step
        if dataset == "mnist":
            from drnet.data.mnist.bouncing import BouncingMnist
            from drnet.data.mnist.digits import load_sklearn_digits

            d = cfg.data
            digits, labels = load_sklearn_digits("train", d.digit_size)
            dataset_obj = FreshPairDataset(BouncingMnist(digits, labels, d.image_size, d.num_digits, d.max_speed), 0)

            def plan(step: int, b=batch, d=d, m=max_step):
                return fresh_pair_plan(d.seq_len, b, m, 0, step)
            what = f"FreshPairDataset, {d.image_size} px, seq_len {d.seq_len}, max_step {max_step}"
        else:
            t0 = time.perf_counter()
            path = kth_store(args.cache / f"kth_{args.kth_sequences}x{args.kth_length}.h5", args.kth_sequences,
                             args.kth_length, cfg.data.image_size)
            built = time.perf_counter() - t0
            store = VideoStore(path)
            dataset_obj = PairDataset(store)

            def plan(step: int, b=batch, lengths=store.length, m=max_step):
                return pair_plan(lengths, b, m, 0, step)
            what = (f"PairDataset, {len(store)} clips, {int(store.length.sum())} frames "
                    f"({path.stat().st_size / 2**20:.0f} MiB; built in {built:.0f} s), max_step {max_step}")
        loader = DataLoader(dataset_obj, batch_sampler=StepBatchSampler(plan, 0, 10**6), num_workers=workers,
                            prefetch_factor=4 if workers else None)
        pairs = rate(loader, batch, args.seconds)
        need, source = demand(dataset, batch, args.step_json)
        fastest = fastest_demand(dataset, batch, args.step_json)
        row = {"dataset": dataset, "loader": what, "batch": batch, "workers": workers, "loader_pairs_per_s": pairs,
               "step_pairs_per_s": need, "step_source": source, "ratio": pairs / need,
               "fastest_step_pairs_per_s": fastest and fastest[0], "fastest_variant": fastest and fastest[1],
               "fastest_ratio": fastest and pairs / fastest[0]}
        rows.append(row)
        print(f"{dataset}: loader {pairs:8.0f} pairs/s ({what}; {workers} workers, batch {batch}); our step "
              f"consumes {need:6.1f} pairs/s ({source}): {pairs / need:.1f}x (goal >= 5x)"
              + (f"; fastest step ({fastest[1]}) {fastest[0]:.1f} pairs/s: {pairs / fastest[0]:.1f}x"
                 if fastest else ""))
    after = loadavg()
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "loadavg_before": before, "loadavg_after": after, "rows": rows}
    path = write("loader", result, args.out_dir)
    if args.section:
        m = machine()
        lines = ["| dataset | loader | workers, batch | loader pairs/s | step pairs/s | ratio (goal >= 5x) |"
                 " fastest step: pairs/s, ratio |",
                 "|---|---|---|---|---|---|---|"]
        for r in rows:
            fast = (f"{r['fastest_step_pairs_per_s']:.1f} ({r['fastest_variant']}), {r['fastest_ratio']:.1f}x"
                    if r["fastest_variant"] else "-")
            lines.append(f"| {r['dataset']} | {r['loader']} | {r['workers']}, {r['batch']} | "
                         f"{r['loader_pairs_per_s']:.0f} | {r['step_pairs_per_s']:.1f} ({r['step_source']}) | "
                         f"**{r['ratio']:.1f}x** | {fast} |")
        head = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cpu_model']} ({m['cores_owned']} cores); load "
                f"average before {before}, after {after}. Command: `{command()}`. JSON: `{path.name}`.")
        write_section(args.section, head + "\n\n" + "\n".join(lines), args.results)
    return result


if __name__ == "__main__":
    main()
