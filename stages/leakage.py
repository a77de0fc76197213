"""Stage: leakage probes on every dataset (beyond the paper) - what the disentanglement leaves behind.

For each trained DrNet and its test store: a linear probe (logistic regression, no scene discriminator) reads
clip identity off the pose vectors and off the content vectors, and the pose factor (MNIST digit position,
NORB/chairs azimuth; KTH has none) off content and off pose. Frames of each clip are split alternately into
probe train/test. Good disentanglement: clip-from-pose and pose-from-content near chance, the other two high.
Pass each model with its test store: --norb-model M --norb-store S, etc.; any subset of NAMES.
"""

from __future__ import annotations

import math
import sys

import pandas as pd

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.eval.experiments import leakage
from drnet.eval.tables import write_table
from drnet.io import atomic_write_json
from drnet.params import params_hash, section
from drnet.report.scale import paper_section, short_scale
from drnet.train.drnet_loop import load_drnet

PERCENT = {"clip from pose", "clip from content", "clip chance", "pose from content", "pose from pose",
           "pose chance"}
FORMATS = {**dict.fromkeys(PERCENT, "percent"), "adv weight": "weight", "steps": "count", "clips": "count",
           "frames": "count"}


NAMES = ("mnist", "norb", "norb-noadv", "chairs", "chairs-noadv", "kth")


def _plain(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def _data_label(store: VideoStore) -> str:
    source = str(store.attrs.get("source"))
    return source if not store.synthetic or "synth" in source else f"{source} (synthetic)"


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for name in NAMES:
        parser.add_argument(f"--{name}-model", default=None, help=f"trained DrNet ({name})")
        parser.add_argument(f"--{name}-store", default=None, help=f"its test store ({name})")
    parser.add_argument("--csv-out", required=True, help="CSV; .md and .tex are written beside it")
    parser.add_argument("--summary-out", required=True, help="JSON per model (DVC metrics)")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "leakage")
    pairs = []
    for name in NAMES:
        model_path, store_path = (getattr(args, f"{name.replace('-', '_')}_{k}") for k in ("model", "store"))
        if (model_path is None) != (store_path is None):
            raise DrnetError(f"give both --{name}-model and --{name}-store, or neither")
        if model_path:
            pairs.append((name, model_path, store_path))
    if not pairs:
        raise DrnetError(f"no model given; pass --NAME-model and --NAME-store for some NAME in {', '.join(NAMES)}")
    rows, stamps = [], []
    for name, model_path, store_path in pairs:
        model, state = load_drnet(model_path)
        store = VideoStore(store_path, dataset=name.split("-")[0])
        r = leakage(model, store, n_clips=cfg.n_clips, frames_per_clip=cfg.frames_per_clip, max_iter=cfg.max_iter,
                    seed=params["seed"])
        rows.append({"model": name, "dataset": store.attrs.get("dataset"),
                     "adv weight": float(state["params"]["train"]["adv_weight"]),
                     "steps": int(state["params"]["train"]["steps"]), "data": _data_label(store),
                     "clip from pose": r["clip_from_pose"], "clip from content": r["clip_from_content"],
                     "clip chance": r["clip_chance"], "pose factor": r["pose_factor"],
                     "pose from content": r["pose_from_content"], "pose from pose": r["pose_from_pose"],
                     "pose chance": r["pose_chance"], "clips": r["n_clips"], "frames": r["n_frames"]})
        dataset = str(store.attrs.get("dataset"))
        note = short_scale(state["params"], paper_section(args.params, dataset) if dataset in params else None,
                           store.synthetic)
        if note:
            stamps.append(f"{name} {note}")
        print(f"{name}: clip from pose {r['clip_from_pose']:.3f} / content {r['clip_from_content']:.3f}; "
              f"{r['pose_factor']} from content {r['pose_from_content']:.3f} / pose {r['pose_from_pose']:.3f}")
    df = pd.DataFrame(rows)
    caption = ("Leakage probes (linear, test clips): clip identity read off pose should be near chance; the pose "
               "factor read off content should be near chance.")
    if stamps:
        caption = ("NOT PAPER SCALE OR NOT REAL DATA (this run / paper): " + "; ".join(stamps) + ". " + caption)
    outs = write_table(df, args.csv_out, formats=FORMATS, label="tab:leakage", caption=caption)
    summary = {row["model"]: {k.replace(" ", "_"): _plain(row[k]) for k in PERCENT} for row in rows}
    summary["params_hash"] = params_hash(params["leakage"])
    atomic_write_json(args.summary_out, summary)
    announce(*outs, args.summary_out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
