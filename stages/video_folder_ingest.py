"""Stage: a folder of your own videos -> train/test video stores in the KTH store format (train with --dataset kth).

Every video OpenCV reads is decoded as the KTH ingest does (grey, resized), cut into clips of at most
--max-length frames, and split by whole video into train and test. Then train with the usual stages, e.g.
``python -m stages.train_drnet --dataset kth --train data/own/train.h5 ...`` (README, "Your own videos").
"""

from __future__ import annotations

import sys

from drnet.data.video_folder import ingest_video_folder
from drnet.io import atomic_write_json
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--folder", required=True, help="folder of video files (searched recursively)")
    parser.add_argument("--train-out", required=True)
    parser.add_argument("--test-out", required=True)
    parser.add_argument("--summary-out", default=None, help="JSON: videos, clips and frames per split")
    parser.add_argument("--image-size", type=int, default=64, choices=[64, 128])
    parser.add_argument("--min-length", type=int, default=30, help="shorter clips are dropped")
    parser.add_argument("--max-length", type=int, default=300, help="longer videos are cut into clips this long")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="share of the videos held out")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    summary = ingest_video_folder(args.folder, args.train_out, args.test_out, image_size=args.image_size,
                                  min_length=args.min_length, max_length=args.max_length,
                                  test_fraction=args.test_fraction, seed=params["seed"])
    outs = [args.train_out, args.test_out]
    if args.summary_out:
        atomic_write_json(args.summary_out, summary)
        outs.append(args.summary_out)
    announce(*outs)
    print(f"train: {summary['train']}; test: {summary['test']}")


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
