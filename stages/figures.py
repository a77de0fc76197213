"""Stage: reconstruction grid and content/pose swap grid of a trained DrNet on held-out clips.

Each image says on itself which axis gives content and which gives pose, and, for a demo run or synthetic data,
its scale (training steps and width against the paper's) and data source.
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.report.figures import reconstruction_figure, swap_figure
from drnet.report.images import save_png
from drnet.report.scale import scale_note
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, paper_section, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--drnet", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--reconstruction-out", required=True)
    parser.add_argument("--swap-out", required=True)
    parser.add_argument("--n", type=int, default=8, help="clips per grid")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    ctx = eval_context(params.get("runtime", {}))
    drnet, state = load_model(args.drnet, kinds=("drnet",), device=ctx.device)
    store = VideoStore(args.test)
    dataset = str(store.attrs.get("dataset"))
    paper = paper_section(args.params, dataset) if dataset in params else None
    stamp = scale_note(state["params"], paper, store.attrs.get("source"), store.synthetic)
    adv = state["params"].get("train", {}).get("adv_weight")
    what = f"{dataset} DrNet" + (f" (adversarial weight {adv:g})" if adv is not None else "")
    save_png(args.reconstruction_out, reconstruction_figure(drnet, store, args.n, params["seed"], what=what,
                                                            stamp=stamp, device=ctx.device))
    save_png(args.swap_out, swap_figure(drnet, store, args.n, params["seed"], what=what, stamp=stamp,
                                        device=ctx.device))
    announce(args.reconstruction_out, args.swap_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
