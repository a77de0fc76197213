"""Stage: Table 1 - NORB object category from content and from pose vectors, with and without the adversarial term.

A 2-layer MLP (paper, Appendix D) per (model, features), early stopping on a validation split of the training
frames, accuracy on the test instances (NORB's own instance split). Writes the long CSV, the paper-style table
(CSV + Markdown + LaTeX) and a JSON of the four headline numbers (DVC metrics).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.experiments import object_classification
from drnet.eval.tables import write_table
from drnet.io import atomic_write_json
from drnet.params import params_hash, section
from drnet.report.scale import paper_section, scale_note
from drnet.train.drnet_loop import load_drnet

MODELS = {"adv": "DrNet", "noadv": "DrNet without adversarial loss"}
TABLE1_FORMATS = {"Content": "percent", "Pose": "percent", "Chance": "percent"}


def table1(long: pd.DataFrame, weights: dict[str, float], mark: str = "") -> pd.DataFrame:
    """Paper layout: one row per model, content and pose accuracy, chance; ``mark`` tags each model name (a demo
    run's rows read "... [REDUCED SCALE, SYNTHETIC DATA]", never like the paper's)."""
    rows = []
    for key, name in MODELS.items():
        part = long[long.model == key].set_index("features")
        rows.append({"Model": f"{name} (beta={weights[key]:g}){mark}",
                     "Content": float(part.loc["content", "accuracy"]),
                     "Pose": float(part.loc["pose", "accuracy"]), "Chance": float(part.loc["content", "chance"])})
    return pd.DataFrame(rows)


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--drnet", required=True, help="DrNet trained with the adversarial term")
    parser.add_argument("--drnet-noadv", required=True, help="the same trained without it (adv_weight 0)")
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--csv-out", required=True, help="Table 1 CSV; .md and .tex are written beside it")
    parser.add_argument("--long-out", required=True, help="CSV: one row per (model, features) with details")
    parser.add_argument("--summary-out", required=True, help="JSON of the headline accuracies (DVC metrics)")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "norb").classifier
    models, weights, states = {}, {}, {}
    for key, path in (("adv", args.drnet), ("noadv", args.drnet_noadv)):
        models[key], states[key] = load_drnet(path)
        weights[key] = float(states[key]["params"]["train"]["adv_weight"])
    train, test = VideoStore(args.train, dataset="norb"), VideoStore(args.test, dataset="norb")
    long = object_classification(models, train, test, label="category", cfg=cfg, seed=params["seed"])
    long.insert(1, "adv_weight", long.model.map(weights))
    synthetic = bool(test.synthetic)
    stamp = scale_note(states["adv"]["params"], paper_section(args.params, "norb"), test.attrs.get("source"),
                       synthetic)
    caption = (f"Table 1: NORB object classification (5 categories, chance 20%) from content and pose vectors. "
               f"Data: {test.attrs.get('source')}{' (SYNTHETIC)' if synthetic else ''}.")
    if stamp:
        caption = f"NOT THE PAPER'S NUMBERS ({stamp}). " + caption
    mark = " [" + ", ".join(["REDUCED SCALE"] * ("REDUCED SCALE" in stamp) + ["SYNTHETIC DATA"] * synthetic) + "]"
    outs = write_table(table1(long, weights, mark if stamp else ""), args.csv_out, formats=TABLE1_FORMATS,
                       caption=caption, label="tab:norb")
    Path(args.long_out).parent.mkdir(parents=True, exist_ok=True)
    from drnet.io import atomic_write_text

    atomic_write_text(args.long_out, long.to_csv(index=False, float_format="%.6g"))
    summary = {f"{m}_{f}_acc": float(long[(long.model == m) & (long.features == f)].accuracy.iloc[0])
               for m in MODELS for f in ("content", "pose")}
    summary.update(chance=float(long.chance.iloc[0]), n_train=int(long.n_train.iloc[0]),
                   n_test=int(long.n_test.iloc[0]), data_source=test.attrs.get("source"), synthetic=synthetic,
                   params_hash=params_hash(params["norb"]["classifier"]))
    atomic_write_json(args.summary_out, summary)
    announce(*outs, args.long_out, args.summary_out)
    print((Path(args.csv_out).with_suffix(".md")).read_text())


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
