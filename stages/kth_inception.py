"""Stage: Inception score over time of generated KTH video (paper Figure 9) and nearest neighbours (Figure 10).

For each model (DrNet, AE-LSTM) and for the real test frames (the upper reference), frames are generated from
n_past observed test frames out to kth.inception.max_offset steps; at every ``every``-th offset a window of
``every`` frames from each clip is scored by the action classifier, and IS = exp(E_x KL(p(y|x) || p(y))) is
reported as mean and std over n_splits parts. Writes the CSV, a plot, and nearest training neighbours of
DrNet's generated frames.
"""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.classifiers import frames_to_input, predict_proba
from drnet.eval.generate import generate, save_png
from drnet.eval.inception import inception_over_time
from drnet.eval.neighbours import nearest_neighbours, neighbour_grid
from drnet.io import atomic_path
from drnet.params import section
from drnet.train.drnet_loop import load_drnet
from drnet.train.lstm_loop import load_lstm
from stages.kth_classifier import load_classifier


def _uint8_frames(x: torch.Tensor) -> np.ndarray:
    """float [..., C, H, W] -> uint8 [..., H, W, C] keeping the channel count."""
    return (x.clamp(0, 1) * 255 + 0.5).to(torch.uint8).movedim(-3, -1).cpu().numpy()


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for flag in ("--drnet", "--drnet-lstm", "--ae", "--ae-lstm", "--classifier", "--train", "--test"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--csv-out", required=True)
    parser.add_argument("--plot-out", required=True)
    parser.add_argument("--neighbours-out", required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "kth").inception
    classifier = load_classifier(args.classifier)
    test = VideoStore(args.test, dataset="kth")
    lstm, state = load_lstm(args.drnet_lstm)
    n_past = state["extra"]["n_past"]
    rng = np.random.default_rng(params["seed"])
    eligible = np.flatnonzero(test.length >= n_past)
    seqs = np.sort(rng.choice(eligible, size=min(cfg.n_clips, len(eligible)), replace=False))
    observed_u8 = np.stack([test.frames(int(q), 0, n_past) for q in seqs])
    observed = torch.from_numpy(observed_u8).movedim(-1, 2).float().div_(255.0)
    offsets = list(range(0, cfg.max_offset, cfg.every))

    def score(frames_by_offset: dict[int, np.ndarray]) -> list[dict]:
        probs = {o: predict_proba(classifier, f, transform=frames_to_input) for o, f in frames_by_offset.items()
                 if len(f)}
        return inception_over_time(probs, cfg.n_splits)

    rows, generated_drnet = [], None
    for name, model_path, lstm_path in (("drnet", args.drnet, args.drnet_lstm), ("ae_lstm", args.ae, args.ae_lstm)):
        model, _ = load_drnet(model_path)
        lstm, _ = load_lstm(lstm_path)
        gen = _uint8_frames(generate(model, lstm, observed, cfg.max_offset))  # [B, T, H, W, C]
        if name == "drnet":
            generated_drnet = gen
        rows += [{"model": name, **r} for r in score({o: gen[:, o:o + cfg.every].reshape(-1, *gen.shape[2:])
                                                      for o in offsets})]
    real = {}
    for o in offsets:  # ground truth continuations where the clips are long enough
        frames = [test.frames(int(q), n_past + o, min(cfg.every, int(test.length[q]) - n_past - o))
                  for q in seqs if test.length[q] > n_past + o]
        real[o] = np.concatenate(frames) if frames else np.zeros((0, *test.frame_shape), np.uint8)
    rows += [{"model": "ground_truth", **r} for r in score(real)]
    table = pd.DataFrame(rows, columns=["model", "offset", "inception_score", "std", "n_samples"])
    table["synthetic"] = test.synthetic
    with atomic_path(args.csv_out) as tmp:
        table.to_csv(tmp, index=False)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, group in table.groupby("model"):
        ax.errorbar(group["offset"], group["inception_score"], yerr=group["std"], label=name, marker="o", capsize=3)
    ax.set_xlabel("offset from the conditioning frames (steps)")
    ax.set_ylabel("Inception score (action classifier)")
    ax.set_title("KTH generation quality over time" + (" (synthetic data)" if test.synthetic else ""))
    ax.legend()
    with atomic_path(args.plot_out) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)

    train = VideoStore(args.train, dataset="kth")
    bank_items = np.stack([rng.integers(0, len(train), 2000), np.zeros(2000, np.int64)], axis=1)
    bank_items[:, 1] = (rng.random(2000) * train.length[bank_items[:, 0]]).astype(np.int64)
    bank = np.stack([train.frame(int(q), int(t)) for q, t in bank_items])
    queries = generated_drnet[: min(6, len(generated_drnet)), [0, cfg.max_offset // 2, cfg.max_offset - 1]]
    queries = queries.reshape(-1, *queries.shape[2:])
    save_png(args.neighbours_out, neighbour_grid(queries, bank, nearest_neighbours(queries, bank, k=5)))
    announce(args.csv_out, args.plot_out, args.neighbours_out)
    print(table.to_string(index=False))


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
