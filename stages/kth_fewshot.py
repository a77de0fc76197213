"""Stage: Figure 8 - KTH actions from 24-step sequences of pose vectors with few labelled subjects.

For n = 1..12 training persons (drawn at random, several repeats), a 2-layer MLP (1200 hidden; paper,
Appendix D) is trained on the flattened pose vectors of non-overlapping 24-frame windows and tested on every
window of the test persons. DrNet's pose vectors against the autoencoder baseline's latents (same
dimension). Writes the per-run CSV, a plot with the fully supervised state of the art (93.9%) as a reference line,
and the mean accuracy per model at the largest subject count (DVC metrics).
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.experiments import SUPERVISED_SOA, fewshot_curve, fewshot_summary
from drnet.io import atomic_write_json, atomic_write_text
from drnet.params import params_hash, section
from drnet.report.plots import fewshot_plot
from drnet.report.scale import scale_note
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, paper_section, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--drnet", required=True)
    parser.add_argument("--ae", required=True, help="the autoencoder baseline (kth_ae)")
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--csv-out", required=True)
    parser.add_argument("--plot-out", required=True)
    parser.add_argument("--summary-out", required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "kth").fewshot
    ctx = eval_context(params.get("runtime", {}))  # pose windows and the action MLPs run there
    (drnet, drnet_state), (ae, _) = (load_model(args.drnet, kinds=("drnet",), device=ctx.device),
                                     load_model(args.ae, kinds=("ae",), device=ctx.device))
    models = {"drnet": drnet, "ae": ae}
    train, test = VideoStore(args.train, dataset="kth"), VideoStore(args.test, dataset="kth")
    df = fewshot_curve(models, train, test, cfg=cfg, seed=params["seed"], device=ctx.device)
    atomic_write_text(args.csv_out, df.to_csv(index=False, float_format="%.6g"))
    fewshot_plot(df, args.plot_out, scale_note(drnet_state["params"], paper_section(args.params, "kth"),
                                               test.attrs.get("source"), test.synthetic), supervised_soa=SUPERVISED_SOA)
    atomic_write_json(args.summary_out, {**fewshot_summary(df), "data_source": test.attrs.get("source"),
                                         "synthetic": bool(test.synthetic),
                                         "params_hash": params_hash(params["kth"]["fewshot"])})
    announce(args.csv_out, args.plot_out, args.summary_out)
    print(df.groupby(["model", "subjects"]).accuracy.mean().unstack(0).to_string(float_format="%.3f"))


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
