"""Stage: decode the KTH AVIs, cut the subsequences of 00sequences.txt and write the train/test video stores.

Reads the official raw folder (zips or extracted AVIs) or a synthetic one (stages/kth_synth.py) with the same
code; ``kth.data.source`` must match the folder. Stores: frames uint8 [N, S, S, 1], split by person.
"""

from __future__ import annotations

import sys

from drnet.data.kth.build import build_kth
from drnet.params import section
from stages.cli import finish_build, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--raw", required=True, help="raw folder: 00sequences.txt + zips or AVIs")
    parser.add_argument("--train-out", required=True)
    parser.add_argument("--test-out", required=True)
    parser.add_argument("--summary-out", default=None, help="JSON: sizes, source, timing (optional)")
    parser.add_argument("--threads", type=int, default=1, help="videos decoded in parallel")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    summary = build_kth(args.raw, args.train_out, args.test_out, section(params, "kth").data, threads=args.threads)
    finish_build(summary, params, "kth", args)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
