"""Stage: Table 1 - NORB object category from content and from pose vectors, with and without the adversarial term.

A 2-layer MLP (paper, Appendix D) per (model, features), early stopping on a validation split of the training
frames, accuracy on the test instances (NORB's own instance split). Writes the long CSV, the paper-style table
(CSV + Markdown + LaTeX) and a JSON of the four headline numbers (DVC metrics).
"""

from __future__ import annotations

import sys
from pathlib import Path

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.experiments import object_classification, table1_summary
from drnet.io import atomic_write_json, atomic_write_text
from drnet.params import params_hash, section
from drnet.report.experiment_tables import write_table1
from drnet.report.scale import scale_note
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, paper_section, stage_main, stage_parser


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
    ctx = eval_context(params.get("runtime", {}))  # encoding and the Table 1 MLPs run there
    models, weights, states = {}, {}, {}
    for key, path in (("adv", args.drnet), ("noadv", args.drnet_noadv)):
        models[key], states[key] = load_model(path, kinds=("drnet",), device=ctx.device)
        weights[key] = float(states[key]["params"]["train"]["adv_weight"])
    train, test = VideoStore(args.train, dataset="norb"), VideoStore(args.test, dataset="norb")
    long = object_classification(models, train, test, label="category", cfg=cfg, seed=params["seed"],
                                 device=ctx.device)
    long.insert(1, "adv_weight", long.model.map(weights))
    source, synthetic = test.attrs.get("source"), bool(test.synthetic)
    stamp = scale_note(states["adv"]["params"], paper_section(args.params, "norb"), source, synthetic)
    outs = write_table1(long, weights, args.csv_out, stamp=stamp, source=source, synthetic=synthetic)
    atomic_write_text(args.long_out, long.to_csv(index=False, float_format="%.6g"))
    atomic_write_json(args.summary_out, {**table1_summary(long), "data_source": source, "synthetic": synthetic,
                                         "params_hash": params_hash(params["norb"]["classifier"])})
    announce(*outs, args.long_out, args.summary_out)
    print((Path(args.csv_out).with_suffix(".md")).read_text())


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
