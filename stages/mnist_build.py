"""Stage: generate the bouncing two-colour MNIST train/test video stores (fixed, seeded test set)."""

from __future__ import annotations

import sys

from drnet.data.mnist.build import build_split
from drnet.data.store import VideoStore
from drnet.io import atomic_write_json
from drnet.params import params_hash, section
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--raw", default=None, help="folder with the official IDX files (source: idx)")
    parser.add_argument("--train-out", required=True)
    parser.add_argument("--test-out", required=True)
    parser.add_argument("--summary-out", required=True, help="JSON: sizes, source, content hashes of the splits")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "mnist").data
    summary = {"source": cfg.source, "params_hash": params_hash(params["mnist"]["data"])}
    for split, out in (("train", args.train_out), ("test", args.test_out)):
        build_split(out, split, cfg, params["seed"], args.raw)
        store = VideoStore(out, dataset="mnist")
        summary[split] = {"sequences": len(store), "frames": int(store.length.sum()),
                          "frames_sha256": store.attrs["frames_sha256"], "synthetic": store.synthetic}
    summary["synthetic"] = any(summary[split]["synthetic"] for split in ("train", "test"))
    atomic_write_json(args.summary_out, summary)  # stage_main renames the three outputs into place together
    announce(args.train_out, args.test_out, args.summary_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
