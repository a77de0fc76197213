"""Stage: reconstruction grid and content/pose swap grid of a trained DrNet on held-out clips."""

from __future__ import annotations

import sys

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.generate import save_png
from drnet.report.figures import reconstruction_grid, swap_grid
from drnet.train.drnet_loop import load_drnet


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--drnet", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--reconstruction-out", required=True)
    parser.add_argument("--swap-out", required=True)
    parser.add_argument("--n", type=int, default=8, help="clips per grid")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    drnet, _ = load_drnet(args.drnet)
    store = VideoStore(args.test)
    save_png(args.reconstruction_out, reconstruction_grid(drnet, store, args.n, params["seed"], "cpu"))
    save_png(args.swap_out, swap_grid(drnet, store, args.n, params["seed"], "cpu"))
    announce(args.reconstruction_out, args.swap_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
