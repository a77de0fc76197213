"""Stage: Figure 8 - KTH actions from 24-step sequences of pose vectors with few labelled subjects.

For n = 1..12 training persons (drawn at random, several repeats), a 2-layer MLP (1200 hidden; paper,
Appendix D) is trained on the flattened pose vectors of non-overlapping 24-frame windows and tested on every
window of the test persons. DrNet's pose vectors against the autoencoder baseline's latents (same
dimension). Writes the per-run CSV, a plot with the fully supervised state of the art (93.9%) as a reference line,
and the mean accuracy per model at the largest subject count (DVC metrics).
"""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.eval.experiments import fewshot_curve
from drnet.io import atomic_write_json, atomic_write_text
from drnet.params import params_hash, section
from drnet.report.plots import save, stamp_figure
from drnet.report.scale import paper_section, scale_note
from drnet.train.drnet_loop import load_drnet

SUPERVISED_SOA = 0.939  # paper, Figure 8 caption: fully supervised state of the art on KTH (published, not ours)
LABELS = {"drnet": "DrNet pose vectors", "ae": "autoencoder latents (baseline)"}


def plot(df, path, stamp: str = "") -> None:
    """Mean +- std accuracy per subject count; x ticks at whole subjects; legend outside the axes."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    models = list(dict.fromkeys(df.model))
    for k, model in enumerate(models):
        stats = df[df.model == model].groupby("subjects").accuracy.agg(["mean", "std"]).fillna(0.0)
        shift = (k - (len(models) - 1) / 2) * 0.06  # side by side, so error bars never hide each other
        ax.errorbar(stats.index + shift, 100 * stats["mean"], yerr=100 * stats["std"], marker="o", capsize=3,
                    label=LABELS.get(model, model))
    ax.axhline(100 * SUPERVISED_SOA, color="k", linestyle="--",
               label=f"published fully supervised SOA ({SUPERVISED_SOA:.1%}, paper Fig. 8; not this run)")
    ax.axhline(100 / 6, color="grey", linestyle=":", label="chance (16.7%)")
    subjects = sorted(int(s) for s in df.subjects.unique())
    ax.set_xticks(subjects)
    ax.set_xlim(min(subjects) - 0.5, max(subjects) + 0.5)
    ax.set_xlabel("labelled training subjects (persons)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("KTH actions from 24-step pose sequences (Fig. 8)", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.9 if stamp else 1))
    stamp_figure(fig, stamp)
    save(fig, path)


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
    (drnet, drnet_state), (ae, _) = load_drnet(args.drnet), load_drnet(args.ae)
    models = {"drnet": drnet, "ae": ae}
    train, test = VideoStore(args.train, dataset="kth"), VideoStore(args.test, dataset="kth")
    df = fewshot_curve(models, train, test, cfg=cfg, seed=params["seed"])
    atomic_write_text(args.csv_out, df.to_csv(index=False, float_format="%.6g"))
    plot(df, args.plot_out, scale_note(drnet_state["params"], paper_section(args.params, "kth"),
                                       test.attrs.get("source"), test.synthetic))
    top = int(df.subjects.max())
    means = df[df.subjects == top].groupby("model").accuracy.mean()
    summary = {f"{m}_acc_{top}_subjects": float(means[m]) for m in means.index}
    summary.update({f"{m}_acc_1_subject": float(df[(df.subjects == 1) & (df.model == m)].accuracy.mean())
                    for m in means.index if (df.subjects == 1).any()})
    summary.update(supervised_soa=SUPERVISED_SOA, chance=1 / 6, data_source=test.attrs.get("source"),
                   synthetic=bool(test.synthetic), params_hash=params_hash(params["kth"]["fewshot"]))
    atomic_write_json(args.summary_out, summary)
    announce(args.csv_out, args.plot_out, args.summary_out)
    print(df.groupby(["model", "subjects"]).accuracy.mean().unstack(0).to_string(float_format="%.3f"))


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
