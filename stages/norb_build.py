"""Stage: turn the small-NORB .mat files into train/test video stores of 18-frame azimuth sweeps.

One video per (category, instance, elevation, lighting), sorted by azimuth, camera norb.data.camera, resized to
norb.data.image_size: frames uint8 [18, S, S, 1]. Train from the training files, test from the testing files (the
dataset's instance split). Reads the official folder or a synthetic one (stages/norb_synth.py) with the same
code; norb.data.source must match the folder.
"""

from __future__ import annotations

import sys

from drnet.data.norb.build import build_norb
from drnet.params import section
from stages.cli import finish_build, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--raw", required=True, help="raw folder: the six smallnorb-*.mat (or .mat.gz) files")
    parser.add_argument("--train-out", required=True)
    parser.add_argument("--test-out", required=True)
    parser.add_argument("--summary-out", default=None, help="JSON: sizes, source, instances, timing (optional)")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    summary = build_norb(args.raw, args.train_out, args.test_out, section(params, "norb").data)
    finish_build(summary, params, "norb", args)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
