"""Stage: linear probes of digit identity and position from MNIST content and pose vectors (JSON)."""

from __future__ import annotations

import sys

import numpy as np

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.probe import chance, encode_frames, linear_probe, mlp_probe, pixels, sample_items
from drnet.io import atomic_write_json
from drnet.params import section
from drnet.train.drnet_loop import load_drnet


def _targets(store: VideoStore, items: np.ndarray, size: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity of the first digit (red channel) and its position cell on a bins x bins grid."""
    identity = store.meta("digit_0")[items[:, 0]]
    limit = size - store.attrs["digit_size"] + 1
    pos = np.stack([store.frame_meta("position", int(q))[int(t), 0] for q, t in items])  # [N, 2] (y, x)
    cells = np.minimum(pos * bins // limit, bins - 1)
    return identity, cells[:, 0] * bins + cells[:, 1]


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--drnet", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "mnist").probe
    drnet, _ = load_drnet(args.drnet)
    train, test = VideoStore(args.train, dataset="mnist"), VideoStore(args.test, dataset="mnist")
    size = train.frame_shape[0]
    tr_items = sample_items(train, cfg.n_train, params["seed"])
    te_items = sample_items(test, len(test), params["seed"] + 1)
    tr_c, tr_p = encode_frames(drnet, train, tr_items, "cpu")
    te_c, te_p = encode_frames(drnet, test, te_items, "cpu")
    tr_px, te_px = pixels(train, tr_items), pixels(test, te_items)  # the raw-pixel baseline
    tr_id, tr_pos = _targets(train, tr_items, size, cfg.position_bins)
    te_id, te_pos = _targets(test, te_items, size, cfg.position_bins)
    result = {
        "content_identity_acc": linear_probe(tr_c, tr_id, te_c, te_id, cfg.max_iter),
        "pose_identity_acc": linear_probe(tr_p, tr_id, te_p, te_id, cfg.max_iter),
        "pose_position_acc": linear_probe(tr_p, tr_pos, te_p, te_pos, cfg.max_iter),
        "content_position_acc": linear_probe(tr_c, tr_pos, te_c, te_pos, cfg.max_iter),
        "content_identity_mlp": mlp_probe(tr_c, tr_id, te_c, te_id, cfg.max_iter),
        "pose_identity_mlp": mlp_probe(tr_p, tr_id, te_p, te_id, cfg.max_iter),
        "pose_position_mlp": mlp_probe(tr_p, tr_pos, te_p, te_pos, cfg.max_iter),
        "content_position_mlp": mlp_probe(tr_c, tr_pos, te_c, te_pos, cfg.max_iter),
        "pixels_identity_acc": linear_probe(tr_px, tr_id, te_px, te_id, cfg.max_iter),
        "pixels_position_acc": linear_probe(tr_px, tr_pos, te_px, te_pos, cfg.max_iter),
        "identity_chance": chance(tr_id, te_id),
        "position_chance": chance(tr_pos, te_pos),
        "n_train": len(tr_items), "n_test": len(te_items),
        "target": "identity = label of digit 0 (red); position = its cell on a "
                  f"{cfg.position_bins}x{cfg.position_bins} grid",
        "data_source": test.attrs.get("source"), "synthetic": test.synthetic,
    }
    atomic_write_json(args.out, result)
    announce(args.out)
    for key in ("content_identity_acc", "pose_identity_acc", "pose_position_acc", "content_position_acc"):
        print(f"{key}: {result[key]:.3f}")


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
