"""Command: use a trained DrNet on your own videos (any format OpenCV reads).

  python -m stages.own_video swap --drnet data/models/kth/drnet.pt --content me.mp4 --pose dance.mp4 --out out/swap
  python -m stages.own_video generate --drnet data/models/kth/drnet.pt --lstm data/models/kth/lstm.pt \\
      --video me.mp4 --length 50 --out out/future

swap: every frame of --pose, drawn with the content (look, background) of one frame of --content.
generate: observe the first n_past frames of --video (the LSTM's own by default) and generate --length more
(at most 2000).
Writes OUT/result.mp4 (sources and result side by side, every frame), OUT/result.gif (its first 300 frames) and
OUT/grid.png; videos stream, so a long pose video needs no more memory than a short one. Python: drnet.api.
"""

from __future__ import annotations

import argparse
import sys

from drnet import api
from stages.cli import announce, stage_main


def _main(argv: list[str] | None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    swap = sub.add_parser("swap", help="content from one video, pose from another")
    swap.add_argument("--content", required=True, help="video giving the content (look, background)")
    swap.add_argument("--content-frame", type=int, default=0, help="which frame of --content, from 0 (default 0)")
    swap.add_argument("--pose", required=True, help="video giving the pose, frame by frame")
    swap.add_argument("--max-frames", type=int, default=None, help="use at most this many pose frames (>= 1)")
    gen = sub.add_parser("generate", help="future frames from the first n_past frames of a video")
    gen.add_argument("--lstm", required=True, help="the pose LSTM model file (stages.train_lstm)")
    gen.add_argument("--video", required=True)
    gen.add_argument("--length", type=int, default=50, help=f"frames to generate, 1 to {api.MAX_LENGTH}")
    gen.add_argument("--n-past", type=int, default=None, help="frames observed, >= 1 (default: the LSTM's n_past)")
    for p in (swap, gen):
        p.add_argument("--drnet", required=True, help="the DrNet model file (stages.train_drnet)")
        p.add_argument("--out", required=True, help="output folder (not a file; never one holding an input)")
        p.add_argument("--fps", type=int, default=10, help=f"frames per second of the outputs, 1 to {api.MAX_FPS}")
        p.add_argument("--device", default="cpu", help="cpu or cuda (a GPU this machine has)")
    args = parser.parse_args(argv)
    if args.command == "swap":
        model = api.load(args.drnet, device=args.device)
        paths = api.swap(model, args.content, args.pose, args.out, content_index=args.content_frame,
                         max_frames=args.max_frames, fps=args.fps)
    else:
        model = api.load(args.drnet, lstm=args.lstm, device=args.device)
        paths = api.generate(model, args.video, args.out, length=args.length, n_past=args.n_past, fps=args.fps)
    announce(*paths.values())


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
