"""Stage: Inception score over time of generated KTH video (paper Figure 9) and nearest neighbours (Figure 10).

For each model (DrNet, AE-LSTM) and for the real test frames (the upper reference), frames are generated from
n_past observed test frames out to kth.inception.max_offset steps; at every ``every``-th offset a window of
``every`` frames from each clip is scored by the action classifier, and IS = exp(E_x KL(p(y|x) || p(y))) is
reported as mean and std over n_splits parts. Generated and real continuations are scored on the same clips at
every offset (the clips whose real continuation covers the window; ``n_clips``). ``motion`` is the mean absolute
frame-to-frame change in the window (0-1 intensity), so a frozen generation shows as ~0 beside a high IS.
Writes the CSV, the plot (IS and motion) and nearest training neighbours of DrNet's generated frames.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.classifiers import frames_to_input, predict_proba
from drnet.eval.generate import generate, save_png
from drnet.eval.inception import inception_over_time, motion
from drnet.eval.neighbours import nearest_neighbours, neighbour_grid
from drnet.eval.tables import format_cell
from drnet.io import atomic_path
from drnet.params import section
from drnet.report.figures import annotate
from drnet.report.plots import inception_plot
from drnet.report.scale import paper_section, scale_note
from drnet.train.drnet_loop import load_drnet
from drnet.train.lstm_loop import load_lstm
from stages.kth_classifier import load_classifier

log = logging.getLogger(__name__)
COLUMNS = ["model", "offset", "inception_score", "std", "n_samples", "motion", "n_clips", "synthetic"]


NEAR_EMPTY_STD = 0.02  # a frame whose pixel std is below 2% of the range shows nothing (person out of view)


def _uint8_frames(x: torch.Tensor) -> np.ndarray:
    """float [..., C, H, W] -> uint8 [..., H, W, C] keeping the channel count."""
    return (x.clamp(0, 1) * 255 + 0.5).to(torch.uint8).movedim(-3, -1).cpu().numpy()


def pick_clips(lengths: np.ndarray, n_past: int, max_offset: int, n_clips: int, seed: int) -> np.ndarray:
    """Test clips to generate from, sorted: those long enough for ground truth at every offset
    (length >= n_past + max_offset) first; shorter ones only when too few are that long."""
    rng = np.random.default_rng(seed)
    full = np.flatnonzero(lengths >= n_past + max_offset)
    if len(full) >= min(n_clips, 2):
        return np.sort(rng.choice(full, size=min(n_clips, len(full)), replace=False))
    eligible = np.flatnonzero(lengths >= n_past)
    longest = eligible[np.argsort(-lengths[eligible], kind="stable")]
    return np.sort(longest[:n_clips])


def real_continuations(store: VideoStore, seqs: np.ndarray, n_past: int, length: int) -> np.ndarray:
    """uint8 [B, 1 + length, H, W, C]: each clip's last observed frame, then its real continuation, zero-padded
    where the clip ends sooner (those windows are never scored)."""
    out = np.zeros((len(seqs), 1 + length, *store.frame_shape), np.uint8)
    for i, q in enumerate(seqs):
        n = min(1 + length, int(store.length[q]) - n_past + 1)
        out[i, :n] = store.frames(int(q), n_past - 1, n)
    return out


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for flag in ("--drnet", "--drnet-lstm", "--ae", "--ae-lstm", "--classifier", "--train", "--test"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--classifier-summary", default=None, help="the classifier's JSON (its test accuracy)")
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
    seqs = pick_clips(test.length, n_past, cfg.max_offset, cfg.n_clips, params["seed"])
    observed_u8 = np.stack([test.frames(int(q), 0, n_past) for q in seqs])
    observed = torch.from_numpy(observed_u8).movedim(-1, 2).float().div_(255.0)
    offsets = list(range(0, cfg.max_offset, cfg.every))
    # clip i has ground truth for the window at offset o when it is that long: every model is scored on exactly
    # those clips at that offset, so the three curves compare the same continuations
    remaining = test.length[seqs] - n_past
    windows = {o: np.flatnonzero(remaining >= o + cfg.every) for o in offsets}
    dropped = [o for o in offsets if len(windows[o]) == 0]
    if dropped:
        log.warning("offsets %s have no test clip long enough for ground truth; left out of Fig. 9", dropped)
    offsets = [o for o in offsets if len(windows[o])]
    real = real_continuations(test, seqs, n_past, cfg.max_offset)

    def rows_for(name: str, clips: np.ndarray) -> list[dict]:
        """clips uint8 [B, 1 + max_offset, H, W, C] (last observed frame first) -> one row per offset."""
        out = []
        for o in offsets:
            idx = windows[o]
            window = clips[idx, 1 + o:1 + o + cfg.every]
            probs = predict_proba(classifier, window.reshape(-1, *window.shape[2:]), transform=frames_to_input)
            (r,) = inception_over_time({o: probs}, cfg.n_splits)
            out.append({"model": name, **r, "motion": motion(clips[idx, o:1 + o + cfg.every]), "n_clips": len(idx)})
        return out

    rows, generated_drnet, drnet_params = [], None, None
    for name, model_path, lstm_path in (("drnet", args.drnet, args.drnet_lstm), ("ae_lstm", args.ae, args.ae_lstm)):
        model, model_state = load_drnet(model_path)
        lstm, _ = load_lstm(lstm_path)
        gen = _uint8_frames(generate(model, lstm, observed, cfg.max_offset))  # [B, T, H, W, C]
        if name == "drnet":
            generated_drnet, drnet_params = gen, model_state["params"]
        rows += rows_for(name, np.concatenate([observed_u8[:, -1:], gen], axis=1))
    rows += rows_for("ground_truth", real)
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table["synthetic"] = test.synthetic
    with atomic_path(args.csv_out) as tmp:
        table.to_csv(tmp, index=False)

    scorer = ""
    if args.classifier_summary:
        c = json.loads(Path(args.classifier_summary).read_text())
        scorer = (f"scorer: action classifier, test accuracy {format_cell(c['test_accuracy'], 'percent')} "
                  f"(chance {format_cell(c['chance'], 'percent')})")
    stamp = scale_note(drnet_params, paper_section(args.params, "kth"), test.attrs.get("source"), test.synthetic)
    inception_plot(table, args.plot_out, stamp=stamp, scorer=scorer)

    train = VideoStore(args.train, dataset="kth")
    bank = train.file["frames"]  # every training frame, read chunk by chunk (h5py dataset), never all in memory
    picks = [0, cfg.max_offset // 2, cfg.max_offset - 1]
    candidates = [(f"clip {i + 1}, t+{t + 1}", clip[t]) for i, clip in enumerate(generated_drnet[:6]) for t in picks]
    kept = [(label, frame) for label, frame in candidates if frame.std() >= NEAR_EMPTY_STD * 255]
    empty = len(candidates) - len(kept)
    criterion = f"pixel std < {NEAR_EMPTY_STD:.0%} of the range: nothing in view"
    if kept:
        note = f"{empty} near-empty generated frames ({criterion}) left out" if empty else ""
    else:
        kept = [(f"{label} (near-empty)", frame) for label, frame in candidates]
        note = f"EVERY generated frame is near-empty ({criterion}), so all are shown, marked"
    labels = [label for label, _ in kept]
    queries = np.stack([frame for _, frame in kept])
    grid = neighbour_grid(queries, bank, nearest_neighbours(queries, bank, k=5))
    save_png(args.neighbours_out, annotate(
        grid, title="KTH: DrNet's generated frames and their 5 nearest training frames (Fig. 10)",
        stamp="; ".join(x for x in (stamp, note) if x), cell=test.frame_shape[0], row_labels=labels,
        col_labels=["generated", *[f"nearest {k}" for k in range(1, 6)]],
        xlabel=f"nearest by pixel distance among all {len(bank)} training frames"))
    announce(args.csv_out, args.plot_out, args.neighbours_out)
    print(table.to_string(index=False))


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
