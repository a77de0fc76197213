"""Prediction tables and the PSNR/SSIM-vs-step figure, each carrying its protocol and how the run differs from it."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from drnet.io import atomic_write_text
from drnet.report.plots import plt, save, stamp_figure
from drnet.report.tables import to_html, to_markdown

MODEL_NAMES = {"copy_last": "copy last frame", "ae_lstm": "AE-LSTM", "drnet": "DrNet",
               "ground_truth": "ground truth (ceiling)"}
METRIC_NAMES = {"psnr": "PSNR (dB)", "ssim": "SSIM", "lpips": "LPIPS", "fvd": "FVD"}
STYLE = {"copy_last": {"color": "tab:gray", "marker": "x"}, "ae_lstm": {"color": "tab:orange", "marker": "s"},
         "drnet": {"color": "tab:blue", "marker": "o"}, "ground_truth": {"color": "k", "linestyle": "--"}}


def protocol_line(manifest: dict, differences: list[str]) -> str:
    """The protocol a result was scored under, and how the run differs from it, in one sentence."""
    head = (f"Protocol {manifest['protocol']!r} ({manifest['lineage']}): observe {manifest['observed']}, predict "
            f"{manifest['predicted']}, {manifest['image_size']} px")
    diff = ("; THIS RUN DIFFERS: " + "; ".join(differences)) if differences else "; the run matches it"
    return head + diff + "."


def _cell(mean: float, ci: float, digits: int) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:.{digits}f}")


DIGITS = {"psnr": 2, "ssim": 3, "lpips": 3, "fvd": 1}


def summary_frame(per_step: pd.DataFrame, averaged: dict[str, dict[str, tuple[float, float]]],
                  extra: dict[str, dict[str, float]] | None = None) -> pd.DataFrame:
    """One row per model: each metric averaged over the predicted steps (mean ± 95% CI over windows) and at the
    last predicted step; ``extra``: model -> metric -> value of whole-video metrics (FVD)."""
    last = int(per_step["step"].max())
    rows = []
    for model, by_metric in averaged.items():
        row = {"model": MODEL_NAMES.get(model, model)}
        for metric, (mean, ci) in by_metric.items():
            row[f"{METRIC_NAMES[metric]}, steps 1-{last}"] = _cell(mean, ci, DIGITS[metric])
        for metric in by_metric:
            at = per_step[(per_step.model == model) & (per_step.metric == metric) & (per_step.step == last)]
            row[f"{METRIC_NAMES[metric]} at step {last}"] = _cell(float(at["mean"].iloc[0]), float(at["ci95"].iloc[0]),
                                                                   DIGITS[metric])
        for metric, value in (extra or {}).get(model, {}).items():
            row[METRIC_NAMES[metric]] = _cell(value, float("nan"), DIGITS[metric])
        rows.append(row)
    return pd.DataFrame(rows).fillna("n/a")


def write_prediction_tables(per_step: pd.DataFrame, summary: pd.DataFrame, csv_out: str | Path, md_out: str | Path,
                            caption: str, protocol: str, differences: list[str]) -> str:
    """CSV: the per-step numbers, every row with its protocol and the run's differences from it; Markdown and
    (beside it) HTML: the summary with the caption. Returns the Markdown."""
    long = per_step.assign(protocol=protocol, differs_from_protocol="; ".join(differences) or "none")
    atomic_write_text(csv_out, long.to_csv(index=False, float_format="%.6g"))
    markdown = to_markdown(summary, caption=caption)
    atomic_write_text(md_out, markdown)
    atomic_write_text(Path(md_out).with_suffix(".html"), to_html(summary, caption=caption))
    return markdown


def prediction_plot(per_step: pd.DataFrame, path: str | Path, *, title: str, protocol: str, stamp: str = "") -> None:
    """PSNR and SSIM (and LPIPS when scored) against the predicted step, mean with its 95% CI band, per model."""
    metrics = [m for m in METRIC_NAMES if m in set(per_step["metric"])]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 4.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for model in dict.fromkeys(per_step["model"]):
            rows = per_step[(per_step.model == model) & (per_step.metric == metric)]
            if rows["mean"].isna().all():
                continue
            style = STYLE.get(model, {})
            ax.plot(rows["step"], rows["mean"], label=MODEL_NAMES.get(model, model), markersize=3, **style)
            band = np.nan_to_num(rows["ci95"].to_numpy())
            ax.fill_between(rows["step"], rows["mean"] - band, rows["mean"] + band, alpha=0.2,
                            color=style.get("color"))
        ax.set_xlabel("predicted step (frames after the last observed one)")
        ax.set_ylabel(METRIC_NAMES[metric])
        ax.legend(fontsize=7, loc="best", framealpha=0.6)
    fig.suptitle(title + "\n" + textwrap.fill(protocol, 40 + 70 * len(metrics)), fontsize=8,
                 y=0.9 if stamp else 0.99, va="top")
    fig.tight_layout(rect=(0, 0, 1, 0.76 if stamp else 0.86))
    stamp_figure(fig, stamp)
    save(fig, path)
