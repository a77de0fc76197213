"""Stage: train DrNet (Ec, Ep, D, scene discriminator C) on a dataset's training video store.

Runs on one process or under torchrun (DDP). Resumes from its checkpoint after a kill (--resume auto).
"""

from __future__ import annotations

import sys
from pathlib import Path

from drnet.data.store import VideoStore
from drnet.io import atomic_write_json
from drnet.params import DATASETS, Runtime, params_hash, section, tracked_params, training_keys, with_ablation
from drnet.runtime.context import result_settings, setup
from drnet.train.drnet import train_drnet
from drnet.train.loop import Run
from drnet.train.resume import resume_key
from stages.cli import announce, load_stage_params, stage_main, stage_parser
from stages.dag.sources import code_digest


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--train", required=True, help="training video store (HDF5)")
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--checkpoint", required=True, help="resumable checkpoint (kept between runs)")
    parser.add_argument("--metrics-out", required=True, help="CSV of losses per logging interval")
    parser.add_argument("--summary-out", required=True, help="JSON of final losses (DVC metrics)")
    parser.add_argument("--resume", default="auto", choices=["auto", "yes", "no"])
    parser.add_argument("--ablation", choices=["noadv"], default=None,
                        help="train with params.yaml's ablation.NAME over train (noadv: adv_weight 0)")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    if args.ablation:
        params = with_ablation(params, args.dataset, args.ablation)
    cfg = section(params, args.dataset)
    VideoStore(args.train, dataset=args.dataset)  # another dataset's store is refused in one line, before any work
    runtime = Runtime(**params.get("runtime", {}))
    ctx = setup(runtime)
    tracked = tracked_params(params, training_keys("drnet", args.dataset))
    # a rebuilt store, other params, edited code or other results-changing runtime settings: no stale resume
    key = resume_key(params_hash(tracked), data=args.train, code=code_digest("stages.train_drnet"),
                     runtime=result_settings(ctx, runtime))
    run = Run(store=Path(args.train), model_out=Path(args.model_out), checkpoint=Path(args.checkpoint),
              metrics_out=Path(args.metrics_out), seed=params["seed"], params=tracked, key=key, ctx=ctx,
              runtime=runtime, resume=args.resume)
    summary = train_drnet(cfg.model, cfg.train, run)
    if ctx.is_main:
        atomic_write_json(args.summary_out, summary)
        announce(args.model_out, args.metrics_out, args.summary_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
