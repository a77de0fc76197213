"""Stage: fetch the six small-NORB .mat.gz files (resumable, retried), gunzip and check them, write a manifest.

A valid .mat already in the raw folder is used without the network; a .mat.gz already present (and matching its
configured checksum, if any) is not fetched again. The manifest lists every raw file with its sha256.
"""

from __future__ import annotations

import sys

from drnet.data.norb.download import fetch_norb
from drnet.data.raw import MANIFEST_FILE
from drnet.params import section
from stages.cli import add_local_option, announce, load_stage_params, raw_outputs, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__, in_place=["--out"])  # resumed downloads stay where they are
    parser.add_argument("--out", default="data/raw/norb", help="raw folder, inside data/ (default: data/raw/norb)")
    parser.add_argument("--manifest", default=None, help=f"manifest JSON (default: OUT/{MANIFEST_FILE})")
    add_local_option(parser, "norb")
    args = parser.parse_args(argv)
    cfg = section(load_stage_params(args), "norb").download
    out, manifest_path = raw_outputs(args.out, args.manifest, MANIFEST_FILE)
    fetch_norb(out, cfg, manifest_path, local_dir=args.local_dir)
    announce(out, manifest_path)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
