"""Stage: leakage probes on every dataset (beyond the paper) - what the disentanglement leaves behind.

For each trained DrNet and its test store: a linear probe (logistic regression, no scene discriminator) reads
clip identity off the pose vectors and off the content vectors, and the pose factor (MNIST digit position,
NORB/chairs azimuth; KTH has none) off content and off pose. Frames of each clip are split alternately into
probe train/test. Good disentanglement: clip-from-pose and pose-from-content near chance, the other two high.
Pass each model with its test store: --norb-model M --norb-store S, etc.; any subset of NAMES.
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.eval.experiments import leakage
from drnet.io import atomic_write_json
from drnet.params import load_params, params_hash, section
from drnet.report import experiment_tables as tables
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, stage_main, stage_parser

NAMES = ("mnist", "norb", "norb-noadv", "chairs", "chairs-noadv", "kth")


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for name in NAMES:
        parser.add_argument(f"--{name}-model", default=None, help=f"trained DrNet ({name})")
        parser.add_argument(f"--{name}-store", default=None, help=f"its test store ({name})")
    parser.add_argument("--csv-out", required=True, help="CSV; .md and .tex are written beside it")
    parser.add_argument("--summary-out", required=True, help="JSON per model (DVC metrics)")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "leakage")
    pairs = [(name, *(getattr(args, f"{name.replace('-', '_')}_{k}") for k in ("model", "store"))) for name in NAMES]
    for name, model_path, store_path in pairs:
        if (model_path is None) != (store_path is None):
            raise DrnetError(f"give both --{name}-model and --{name}-store, or neither")
    pairs = [pair for pair in pairs if pair[1]]
    if not pairs:
        raise DrnetError(f"no model given; pass --NAME-model and --NAME-store for some NAME in {', '.join(NAMES)}")
    rows, stamps, paper = [], [], load_params(args.params, "paper")
    ctx = eval_context(params.get("runtime", {}))
    for name, model_path, store_path in pairs:
        model, state = load_model(model_path, kinds=("drnet",), device=ctx.device)
        store = VideoStore(store_path, dataset=name.split("-")[0])
        r = leakage(model, store, n_clips=cfg.n_clips, frames_per_clip=cfg.frames_per_clip, max_iter=cfg.max_iter,
                    seed=params["seed"], device=ctx.device)
        rows.append(tables.leakage_row(name, store, state["params"], r))
        stamps += tables.leakage_stamp(name, state["params"], store, paper)
        print(tables.leakage_line(name, r))
    outs = tables.write_leakage_table(rows, stamps, args.csv_out)
    atomic_write_json(args.summary_out, {**tables.leakage_summary(rows), "params_hash": params_hash(params["leakage"])})
    announce(*outs, args.summary_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
