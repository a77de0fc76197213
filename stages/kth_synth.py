"""Stage: generate the synthetic KTH-format raw folder (stick-figure AVIs + 00sequences.txt + manifest.json)."""

from __future__ import annotations

import sys

from drnet.data.kth.synthetic import write_synthetic_kth
from drnet.params import section
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--out", required=True, help="raw-like folder to (re)create, e.g. data/demo/raw/kth")
    parser.add_argument("--threads", type=int, default=1, help="videos rendered and encoded in parallel")
    args = parser.parse_args(argv)
    write_synthetic_kth(args.out, section(load_stage_params(args), "kth").synthetic, threads=args.threads)
    announce(args.out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
