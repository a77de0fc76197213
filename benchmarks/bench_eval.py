"""Evaluation work on the device: the KTH Inception-score curve (stage ``kth_inception``, paper Fig. 9), with random
weights of the paper's shapes (no trained model file needed), through the stage's own code
(``drnet.eval.inception_curve.Continuations``):
  generate  DrNet (params kth.model) + pose LSTM (kth.lstm_model) continue ``--clips`` (kth.inception.n_clips)
            clips of kth.lstm.n_past observed frames to kth.inception.max_offset frames (``Continuations.generate``:
            poses encoded, content of the last observed frame, LSTM rollout, decodes of 64 steps at a time);
  score     the action classifier (kth.classifier: width, clip_len 1) reads every ``every``-frame window at every
            offset of the generation and of the real continuation, and the IS per offset (``Continuations.score``).
Frames are random uint8 (the work does not depend on them). fp32, as the stage runs. FLOPs: torch's
FlopCounterMode over one clip's generation (x clips: every term is per clip) and over the whole scoring. Items:
generated frames/s, scored frames/s. If a generation runs out of GPU memory (200 clips x 64 steps decode 12,800
frames at once), it is retried on halves of the clips, recorded as ``clip_batch``.
Usage: python -m benchmarks.bench_eval [--clips 200] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import command, loadavg, machine, sync, write, write_section
from benchmarks.steps import build_model, spec
from drnet.eval.inception_curve import Continuations
from drnet.models.classifiers import ActionClassifier
from drnet.models.lstm import PoseLSTM
from drnet.params import KTH_ACTIONS, load_params, section


def continuations(clips: int, n_past: int, max_offset: int, every: int, n_splits: int, size: int, channels: int,
                  seed: int = 0) -> Continuations:
    """Random held-out clips in ``Continuations``' form, every offset scored on every clip."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (clips, n_past + max_offset, size, size, channels), dtype=np.uint8)
    offsets = list(range(0, max_offset, every))
    return Continuations(frames[:, :n_past], frames[:, n_past - 1:], offsets,
                         {o: np.arange(clips) for o in offsets}, max_offset, every, n_splits)


def subset(c: Continuations, idx: np.ndarray) -> Continuations:
    return Continuations(c.observed_u8[idx], c.real[idx], c.offsets, {o: np.arange(len(idx)) for o in c.offsets},
                         c.max_offset, c.every, c.n_splits)


def generate_all(c: Continuations, drnet, lstm, device: torch.device, clip_batch: int) -> np.ndarray:
    """``c.generate`` on groups of ``clip_batch`` clips (all at once when clip_batch >= the clips)."""
    n = len(c.observed_u8)
    return np.concatenate([subset(c, np.arange(s, min(s + clip_batch, n))).generate(drnet, lstm)
                           for s in range(0, n, clip_batch)])


def generate_fitting(c: Continuations, drnet, lstm, device: torch.device, clip_batch: int,
                     failures: list[str]) -> tuple[np.ndarray, int]:
    """``generate_all``, halving ``clip_batch`` after each out-of-memory error (noted in ``failures``); returns
    (generated frames, the clip batch that fitted)."""
    while True:
        try:
            return generate_all(c, drnet, lstm, device, clip_batch), clip_batch
        except torch.OutOfMemoryError as e:
            if clip_batch == 1:
                raise
            failures.append(f"clip_batch {clip_batch}: {str(e).splitlines()[0] if str(e) else 'out of memory'}")
            clip_batch = max(1, clip_batch // 2)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()


def count(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    params = load_params()
    kth = section(params, "kth")
    parser.add_argument("--clips", type=int, default=kth.inception.n_clips)
    parser.add_argument("--max-offset", type=int, default=kth.inception.max_offset)
    parser.add_argument("--every", type=int, default=kth.inception.every)
    parser.add_argument("--n-past", type=int, default=kth.lstm.n_past)
    parser.add_argument("--width", type=int, default=None, help="DrNet width override (tiny runs)")
    parser.add_argument("--classifier-width", type=int, default=kth.classifier.width)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs after one untimed warm-up run")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: leave as is)")
    parser.add_argument("--name", default="eval_inception", help="JSON name (<out-dir>/<name>[_cuda].json)")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--section", default="KTH Inception-curve work (benchmarks.bench_eval)")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    s = spec("kth", **({"width": args.width} if args.width else {}))
    drnet = build_model(s, device).eval()
    lstm = PoseLSTM(s.model.pose_dim, s.model.content_dim, kth.lstm_model.hidden, kth.lstm_model.layers,
                    normalize=s.model.normalize).to(device).eval()
    classifier = ActionClassifier(s.channels, len(KTH_ACTIONS), args.classifier_width, kth.classifier.clip_len,
                                  s.image_size).to(device).eval()
    clips = continuations(args.clips, args.n_past, args.max_offset, args.every, kth.inception.n_splits,
                          s.image_size, s.channels)
    one = subset(clips, np.arange(1))
    gen_flops = args.clips * count(lambda: one.generate(drnet, lstm))
    before = loadavg()

    clip_batch, failures = args.clips, []

    def generation() -> np.ndarray:
        nonlocal clip_batch
        generated, clip_batch = generate_fitting(clips, drnet, lstm, device, clip_batch, failures)
        return generated

    def scoring(generated: np.ndarray) -> list[dict]:
        return (clips.score("drnet", clips.after_observed(generated), classifier, device)
                + clips.score("ground_truth", clips.real, classifier, device))

    generated = generation()  # warm-up: allocator, cuDNN autotuning
    rows = scoring(generated)
    score_flops = count(lambda: scoring(generated))
    gen_times, score_times = [], []
    for _ in range(args.repeats):
        sync(device)
        t0 = time.perf_counter()
        generated = generation()
        sync(device)
        t1 = time.perf_counter()
        rows = scoring(generated)
        sync(device)
        gen_times.append(t1 - t0)
        score_times.append(time.perf_counter() - t1)
    after = loadavg()
    frames_generated = args.clips * args.max_offset
    frames_scored = 2 * sum(len(clips.windows[o]) * args.every for o in clips.offsets)
    from benchmarks.bench_train_step import gpu_peak

    peak = gpu_peak()
    parts = {}
    for name, times, flops, items in (("generate", gen_times, gen_flops, frames_generated),
                                      ("score", score_times, score_flops, frames_scored)):
        med = statistics.median(times)
        parts[name] = {"seconds": {"min": min(times), "median": med, "max": max(times), "runs": times},
                       "flops": flops, "items": items, "items_per_s": items / med, "gflops_per_s": flops / med / 1e9}
        print(f"kth_inception {name:8s}: {items} frames in {med:.2f} s ({items / med:.0f} frames/s), "
              f"{flops / 1e9:.1f} GFLOP -> {flops / med / 1e9:.1f} GFLOP/s on {device}"
              + (f" ({100 * flops / med / 1e12 / peak['tf32']:.1f}% of tf32 peak)" if peak and "tf32" in peak else ""))
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "device": str(device),
              "gpu_peak_tflops": peak, "model": s.model.model_dump(), "image_size": s.image_size,
              "clip_batch": clip_batch, "oom_retries": failures, "parts": parts,
              "inception_rows": rows, "loadavg_before": before, "loadavg_after": after,
              "note": "stages/kth_inception.py itself loads its models on the CPU (load_model's default device)"}
    path = write(args.name + ("_cuda" if device.type == "cuda" else ""), result, args.out_dir)
    if args.section:
        m = machine()
        lines = ["| part | frames | s median (min-max) | frames/s | GFLOP | GFLOP/s |"
                 + (" % of tf32 peak |" if peak and "tf32" in peak else ""),
                 "|---|---|---|---|---|---|" + ("---|" if peak and "tf32" in peak else "")]
        for name, p in parts.items():
            sec = p["seconds"]
            line = (f"| {name} | {p['items']} | {sec['median']:.2f} ({sec['min']:.2f}-{sec['max']:.2f}) | "
                    f"{p['items_per_s']:.0f} | {p['flops'] / 1e9:.1f} | {p['gflops_per_s']:.1f} |")
            if peak and "tf32" in peak:
                line += f" {100 * p['gflops_per_s'] / 1000 / peak['tf32']:.1f}% |"
            lines.append(line)
        head = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cuda'] or m['cpu_model']} ({device}, fp32, "
                f"random weights, DrNet width {s.model.width}, classifier width {args.classifier_width}; "
                f"{args.clips} clips, {args.n_past} observed -> "
                f"{args.max_offset} generated, windows of {args.every}; generation in groups of {clip_batch} clips); "
                f"load average before {before}, after {after}. Command: `{command()}`. JSON: `{path.name}`.")
        write_section(args.section + (" [CUDA]" if device.type == "cuda" else ""), head + "\n\n" + "\n".join(lines),
                      args.results)
    return result


if __name__ == "__main__":
    main()
