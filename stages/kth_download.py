"""Stage: fetch the KTH Actions zips and 00sequences.txt (resumable), check the zips, write a sha256 manifest.

Zips or extracted AVIs already in the raw folder are used without the network. The manifest lists every raw file
with its sha256 and the videos the sequences file lists but the zips lack.
"""

from __future__ import annotations

import sys

from drnet.data.kth.download import fetch_kth
from drnet.data.raw import MANIFEST_FILE
from drnet.params import section
from stages.cli import add_local_option, announce, load_stage_params, raw_outputs, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__, in_place=["--out"])  # resumed downloads stay where they are
    parser.add_argument("--out", default="data/raw/kth", help="raw folder, inside data/ (default: data/raw/kth)")
    parser.add_argument("--manifest", default=None, help=f"manifest JSON (default: OUT/{MANIFEST_FILE})")
    add_local_option(parser, "kth")
    args = parser.parse_args(argv)
    cfg = section(load_stage_params(args), "kth").download
    out, manifest_path = raw_outputs(args.out, args.manifest, MANIFEST_FILE)
    fetch_kth(out, cfg, manifest_path, local_dir=args.local_dir)
    announce(out, manifest_path)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
