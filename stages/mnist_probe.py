"""Stage: linear probes of digit identity and position from MNIST content and pose vectors (JSON)."""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.probe import mnist_probes
from drnet.io import atomic_write_json
from drnet.params import section
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--drnet", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "mnist").probe
    ctx = eval_context(params.get("runtime", {}))  # frames are encoded there; the probes run on the CPU
    drnet, _ = load_model(args.drnet, kinds=("drnet",), device=ctx.device)
    train, test = VideoStore(args.train, dataset="mnist"), VideoStore(args.test, dataset="mnist")
    result = mnist_probes(drnet, train, test, cfg, params["seed"])
    atomic_write_json(args.out, result)
    announce(args.out)
    for key in ("content_identity_acc", "pose_identity_acc", "pose_position_acc", "content_position_acc"):
        print(f"{key}: {result[key]:.3f}")


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
