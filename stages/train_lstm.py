"""Stage: train the 2-layer pose LSTM on a frozen, trained DrNet (resumable, torchrun-ready)."""

from __future__ import annotations

import sys
from pathlib import Path

from drnet.data.store import VideoStore
from drnet.io import atomic_write_json
from drnet.params import Runtime, params_hash, section, tracked_params, training_keys
from drnet.runtime.context import result_settings, setup
from drnet.train.loop import Run
from drnet.train.lstm import train_lstm
from drnet.train.resume import resume_key
from stages.cli import announce, load_stage_params, stage_main, stage_parser
from stages.dag.sources import code_digest


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--dataset", required=True, choices=["mnist", "kth"])
    parser.add_argument("--drnet", required=True, help="trained DrNet model file")
    parser.add_argument("--train", required=True, help="training video store (HDF5)")
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--metrics-out", required=True)
    parser.add_argument("--summary-out", required=True)
    parser.add_argument("--resume", default="auto", choices=["auto", "yes", "no"])
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, args.dataset)
    runtime = Runtime(**params.get("runtime", {}))
    VideoStore(args.train, dataset=args.dataset)  # another dataset's store is refused in one line, before any work
    ctx = setup(runtime)
    tracked = tracked_params(params, training_keys("lstm", args.dataset))
    key = resume_key(params_hash(tracked), data=args.train, upstream={"drnet": args.drnet},
                     code=code_digest("stages.train_lstm"), runtime=result_settings(ctx, runtime))
    run = Run(store=Path(args.train), model_out=Path(args.model_out), checkpoint=Path(args.checkpoint),
              metrics_out=Path(args.metrics_out), seed=params["seed"], params=tracked, key=key, ctx=ctx,
              runtime=runtime, resume=args.resume)
    summary = train_lstm(args.drnet, cfg.lstm_model, cfg.lstm, run)
    if ctx.is_main:
        atomic_write_json(args.summary_out, summary)
        announce(args.model_out, args.metrics_out, args.summary_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
