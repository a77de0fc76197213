"""Matplotlib plots of the paper's curves (Fig. 8 few-shot accuracy, Fig. 9 Inception score and motion)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from drnet.io import atomic_path, read_json  # noqa: E402
from drnet.report.tables import format_cell  # noqa: E402

MODEL_NAMES = {"drnet": "DrNet", "ae_lstm": "AE-LSTM baseline", "ground_truth": "ground truth (real frames)"}
STYLE = {"ground_truth": {"color": "k", "linestyle": "--", "marker": "^"},
         "drnet": {"color": "tab:blue", "marker": "o"}, "ae_lstm": {"color": "tab:orange", "marker": "s"}}


def stamp_figure(fig, stamp: str) -> None:
    """Write the scale stamp (drnet.report.scale.scale_note) in red across the top of a figure."""
    if stamp:
        fig.text(0.01, 0.995, stamp.replace("; ", "\n"), color="#c00000", fontsize=8, weight="bold", va="top")


def save(fig, path: str | Path) -> None:
    """Write ``fig`` as PNG (120 dpi, tight), atomically, and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    plt.close(fig)


def inception_plot(table: pd.DataFrame, path: str | Path, *, stamp: str = "", scorer: str = "") -> None:
    """Fig. 9: IS (mean +- std over parts) and motion per model against the offset; ``scorer`` notes the
    Inception network's own test accuracy."""
    fig, (ax_is, ax_motion) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = list(dict.fromkeys(table["model"]))
    offsets = sorted(table["offset"].unique())
    step = min(b - a for a, b in zip(offsets, offsets[1:])) if len(offsets) > 1 else 1
    for k, name in enumerate(names):
        group = table[table["model"] == name]
        style = {"marker": "o", **STYLE.get(name, {})}
        label = MODEL_NAMES.get(name, name)
        x = group["offset"] + (k - (len(names) - 1) / 2) * 0.03 * step  # side by side: equal curves stay visible
        ax_is.errorbar(x, group["inception_score"], yerr=group["std"], label=label, capsize=3, **style)
        ax_motion.plot(x, group["motion"], label=label, **style)
    top = float((table["inception_score"] + table["std"]).max())
    ax_is.set_ylim(0.9, max(2.0, top + 0.3))  # IS lies in [1, classes]: no offset notation around 1
    ax_is.ticklabel_format(axis="y", useOffset=False)
    ax_is.set_xlabel("offset of the scored window from the conditioning frames (steps)")
    ax_is.set_ylabel("Inception score (action classifier)")
    ax_is.set_title("Inception score" + (f"\n{scorer}" if scorer else ""), fontsize=9)
    ax_motion.set_xlabel("offset of the scored window from the conditioning frames (steps)")
    ax_motion.set_ylabel("mean |frame(t) - frame(t-1)| (0-1 intensity)")
    ax_motion.set_title("motion: a frozen generation reads ~0", fontsize=9)
    ax_motion.set_ylim(bottom=0)
    for ax in (ax_is, ax_motion):
        ax.set_xticks(offsets)
        ax.legend(fontsize=7, loc="best", framealpha=0.6)
    fig.suptitle("KTH generation quality over time (Fig. 9)", y=0.9 if not stamp else 0.86, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.84 if stamp else 0.9))
    stamp_figure(fig, stamp)
    save(fig, path)


def scorer_note(classifier_summary: str | Path | None) -> str:
    """The Inception network's own test accuracy, read from its summary JSON (``stages.kth_classifier``), for
    Fig. 9; empty without one."""
    if not classifier_summary:
        return ""
    classifier = read_json(classifier_summary, "action classifier summary", ("test_accuracy", "chance"))
    return (f"scorer: action classifier, test accuracy {format_cell(classifier['test_accuracy'], 'percent')} "
            f"(chance {format_cell(classifier['chance'], 'percent')})")


FEWSHOT_LABELS = {"drnet": "DrNet pose vectors", "ae": "autoencoder latents (baseline)"}


def fewshot_plot(df: pd.DataFrame, path: str | Path, stamp: str = "", *, supervised_soa: float) -> None:
    """Fig. 8 from ``drnet.eval.experiments.fewshot_curve``'s rows: mean +- std accuracy per subject count; x ticks
    at whole subjects; legend outside the axes; the published supervised state of the art (``supervised_soa``,
    a fraction) and chance as lines."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    models = list(dict.fromkeys(df.model))
    for k, model in enumerate(models):
        stats = df[df.model == model].groupby("subjects").accuracy.agg(["mean", "std"]).fillna(0.0)
        shift = (k - (len(models) - 1) / 2) * 0.06  # side by side, so error bars never hide each other
        ax.errorbar(stats.index + shift, 100 * stats["mean"], yerr=100 * stats["std"], marker="o", capsize=3,
                    label=FEWSHOT_LABELS.get(model, model))
    ax.axhline(100 * supervised_soa, color="k", linestyle="--",
               label=f"published fully supervised SOA ({supervised_soa:.1%}, paper Fig. 8; not this run)")
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
