"""Stage: long-range generation on held-out clips -> PNG strip and animated GIF (observed | generated)."""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.generate import generate, observed_clips
from drnet.params import section
from drnet.report.figures import generation_movie, generation_strip
from drnet.report.images import save_png, save_video
from drnet.report.scale import scale_note
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, paper_section, stage_main, stage_parser


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
    ctx = eval_context(params.get("runtime", {}))
    drnet, drnet_state = load_model(args.drnet, kinds=("drnet",), device=ctx.device)
    lstm, lstm_state = load_model(args.lstm, kinds=("lstm",), device=ctx.device)
    n_past = lstm_state["extra"]["n_past"]
    store = VideoStore(args.test, dataset=args.dataset)
    observed = observed_clips(store, n_past, cfg.n_clips, params["seed"])
    generated = generate(drnet, lstm, observed, cfg.length).cpu()  # on ctx.device, then drawn from the CPU
    stamp = scale_note(drnet_state["params"], paper_section(args.params, args.dataset), store.attrs.get("source"),
                       store.synthetic)
    save_png(args.strip_out, generation_strip(observed, generated, dataset=args.dataset, stamp=stamp))
    save_video(args.video_out, generation_movie(observed, generated, stamp=stamp), cfg.fps)
    announce(args.strip_out, args.video_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
