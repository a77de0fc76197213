"""Stage: long-range generation on held-out clips -> PNG strip and animated GIF (observed | generated)."""

from __future__ import annotations

import sys

import numpy as np
import torch

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.generate import generate, save_png, save_video, tile, to_uint8
from drnet.params import section
from drnet.report.figures import annotate, stamp_frames
from drnet.report.scale import paper_section, scale_note
from drnet.train.drnet_loop import load_drnet
from drnet.train.lstm_loop import load_lstm


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--dataset", required=True, choices=["mnist", "kth"])
    parser.add_argument("--drnet", required=True)
    parser.add_argument("--lstm", required=True)
    parser.add_argument("--test", required=True, help="test video store (HDF5)")
    parser.add_argument("--strip-out", required=True, help="PNG: one row per clip, observed then generated")
    parser.add_argument("--video-out", required=True, help="GIF/MP4: clips side by side over time")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, args.dataset).generate
    drnet, drnet_state = load_drnet(args.drnet)
    lstm, lstm_state = load_lstm(args.lstm)
    n_past = lstm_state["extra"]["n_past"]
    store = VideoStore(args.test, dataset=args.dataset)
    rng = np.random.default_rng(params["seed"])
    eligible = np.flatnonzero(store.length >= n_past)
    seqs = np.sort(rng.choice(eligible, size=min(cfg.n_clips, len(eligible)), replace=False))
    observed = torch.from_numpy(np.stack([store.frames(int(q), 0, n_past) for q in seqs]))
    observed = observed.movedim(-1, 2).float().div_(255.0)
    generated = generate(drnet, lstm, observed, cfg.length)
    obs, gen = to_uint8(observed), to_uint8(generated)
    cols = list(range(n_past)) + [n_past + t for t in np.unique(np.geomspace(1, cfg.length, 12).astype(int)) - 1]
    full = np.concatenate([obs, gen], axis=1)  # [B, n_past + length, H, W, 3]
    stamp = scale_note(drnet_state["params"], paper_section(args.params, args.dataset), store.attrs.get("source"),
                       store.synthetic)
    save_png(args.strip_out, annotate(
        tile([[clip[t] for t in cols] for clip in full]), cell=store.frame_shape[0], stamp=stamp,
        title=f"{args.dataset}: first {n_past} frames observed, then generated (one held-out clip per row)",
        col_labels=[f"observed {t + 1}" if t < n_past else f"generated t+{t - n_past + 1}" for t in cols],
        row_labels=[f"clip {i + 1}" for i in range(len(full))],
        xlabel=f"columns: {n_past} observed frames, then generated frames at growing offsets (t+k)"))
    movie = np.concatenate(list(full), axis=2)  # clips side by side: [T, H, B*W, 3]
    marker = np.zeros_like(movie[:, :3])
    marker[:n_past, :, :, 1] = 255  # green bar while frames are observed, red while generated
    marker[n_past:, :, :, 0] = 255
    save_video(args.video_out, stamp_frames(np.concatenate([marker, movie], axis=1), stamp), cfg.fps)
    announce(args.strip_out, args.video_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
