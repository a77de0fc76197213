"""Each experiment's table in its own layout: columns, formats, captions and scale stamps of Table 1 (NORB), the
leakage probes, the disentanglement-by-swapping tables, the MNIST probes and the Fig. 9 numbers.

The numbers come from ``drnet.eval``; the files are rendered by ``drnet.report.tables`` (CSV, Markdown, LaTeX,
HTML from the same cells).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from drnet.errors import DrnetError
from drnet.io import atomic_write_text
from drnet.report.scale import short_scale
from drnet.report.tables import to_html, to_markdown, write_table

# ---------------------------------------------------------------- Table 1 (NORB)

TABLE1_MODELS = {"adv": "DrNet", "noadv": "DrNet without adversarial loss"}
TABLE1_FORMATS = {"Content": "percent", "Pose": "percent", "Chance": "percent"}


def table1(long: pd.DataFrame, weights: dict[str, float], mark: str = "") -> pd.DataFrame:
    """Paper layout: one row per model, content and pose accuracy, chance; ``mark`` tags each model name (a demo
    run's rows read "... [REDUCED SCALE, SYNTHETIC DATA]", never like the paper's)."""
    rows = []
    for key, name in TABLE1_MODELS.items():
        part = long[long.model == key].set_index("features")
        rows.append({"Model": f"{name} (beta={weights[key]:g}){mark}",
                     "Content": float(part.loc["content", "accuracy"]),
                     "Pose": float(part.loc["pose", "accuracy"]), "Chance": float(part.loc["content", "chance"])})
    return pd.DataFrame(rows)


def write_table1(long: pd.DataFrame, weights: dict[str, float], csv_out: str | Path, *, stamp: str,
                 source: str | None, synthetic: bool) -> list[Path]:
    """Table 1 (CSV, Markdown, LaTeX, HTML) from the long results of ``drnet.eval.experiments``, captioned with
    its data and, below paper scale or on synthetic data, marked as not the paper's numbers."""
    caption = (f"Table 1: NORB object classification (5 categories, chance 20%) from content and pose vectors. "
               f"Data: {source}{' (SYNTHETIC)' if synthetic else ''}.")
    if stamp:
        caption = f"NOT THE PAPER'S NUMBERS ({stamp}). " + caption
    mark = " [" + ", ".join(["REDUCED SCALE"] * ("REDUCED SCALE" in stamp) + ["SYNTHETIC DATA"] * synthetic) + "]"
    return write_table(table1(long, weights, mark if stamp else ""), csv_out, formats=TABLE1_FORMATS,
                       caption=caption, label="tab:norb")


# ---------------------------------------------------------------- leakage probes

LEAKAGE_PERCENT = {"clip from pose", "clip from content", "clip chance", "pose from content", "pose from pose",
                   "pose chance"}
LEAKAGE_FORMATS = {**dict.fromkeys(LEAKAGE_PERCENT, "percent"), "adv weight": "weight", "steps": "count",
                   "clips": "count", "frames": "count"}


def _data_label(store) -> str:
    source = str(store.attrs.get("source"))
    return source if not store.synthetic or "synth" in source else f"{source} (synthetic)"


def leakage_row(name: str, store, trained: dict, r: dict) -> dict:
    """One table row from ``drnet.eval.experiments.leakage``'s result ``r`` for the model ``name`` (its params
    ``trained``, as its model file records them) on its test ``store``."""
    return {"model": name, "dataset": store.attrs.get("dataset"), "adv weight": float(trained["train"]["adv_weight"]),
            "steps": int(trained["train"]["steps"]), "data": _data_label(store),
            "clip from pose": r["clip_from_pose"], "clip from content": r["clip_from_content"],
            "clip chance": r["clip_chance"], "pose factor": r["pose_factor"],
            "pose from content": r["pose_from_content"], "pose from pose": r["pose_from_pose"],
            "pose chance": r["pose_chance"], "clips": r["n_clips"], "frames": r["n_frames"]}


def leakage_stamp(name: str, trained: dict, store, paper: dict) -> list[str]:
    """``[name + its short scale note]`` for a model below paper scale or on synthetic data, else ``[]``
    (``trained``: the model file's params; ``paper``: the paper-scale params, every section)."""
    note = short_scale(trained, paper.get(str(store.attrs.get("dataset"))), store.synthetic)
    return [f"{name} {note}"] if note else []


def leakage_line(name: str, r: dict) -> str:
    """One model's probes in a line, for the log."""
    return (f"{name}: clip from pose {r['clip_from_pose']:.3f} / content {r['clip_from_content']:.3f}; "
            f"{r['pose_factor']} from content {r['pose_from_content']:.3f} / pose {r['pose_from_pose']:.3f}")


def write_leakage_table(rows: list[dict], stamps: list[str], csv_out: str | Path) -> list[Path]:
    """The leakage table (CSV, Markdown, LaTeX, HTML); ``stamps``: one short scale note per model below paper
    scale or on synthetic data, named in the caption."""
    caption = ("Leakage probes (linear, test clips): clip identity read off pose should be near chance; the pose "
               "factor read off content should be near chance.")
    if stamps:
        caption = ("NOT PAPER SCALE OR NOT REAL DATA (this run / paper): " + "; ".join(stamps) + ". " + caption)
    return write_table(pd.DataFrame(rows), csv_out, formats=LEAKAGE_FORMATS, label="tab:leakage", caption=caption)


def leakage_summary(rows: list[dict]) -> dict:
    """The probe accuracies per model for the metrics JSON (NaN as null)."""
    def plain(value):
        return None if isinstance(value, float) and math.isnan(value) else value

    return {row["model"]: {k.replace(" ", "_"): plain(row[k]) for k in LEAKAGE_PERCENT} for row in rows}


# ---------------------------------------------------------------- disentanglement by swapping

def format_value(value: float | None, unit: str) -> str:
    """One format per quantity: fractions as percentages, pixel distances with one decimal."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if unit == "abs":  # a mean absolute intensity change in [0, 1]
        return f"{value:.4f}"
    return f"{100 * value:.1f}%" if unit == "%" else f"{value:.1f} {unit}"


def write_swap_table(rows: list[dict], csv_out: str, md_out: str, caption: str) -> str:
    """Write a disentanglement table: numbers as CSV, and beside ``md_out`` the same table as Markdown and HTML
    (the report embeds them), each value formatted by its row's ``unit`` (default %). Returns the Markdown."""
    df = pd.DataFrame(rows)
    units = df["unit"] if "unit" in df else pd.Series(["%"] * len(df))
    shown = df.assign(**{c: [format_value(v, u) for v, u in zip(df[c], units)] for c in ("value", "chance", "ceiling")})
    shown = shown.drop(columns="unit", errors="ignore").rename(columns={"ceiling": "on real frames"})
    atomic_write_text(csv_out, df.to_csv(index=False, float_format="%.6g"))
    markdown = to_markdown(shown, caption=caption)
    atomic_write_text(md_out, markdown)
    atomic_write_text(Path(md_out).with_suffix(".html"), to_html(shown, caption=caption))
    return markdown


# ---------------------------------------------------------------- MNIST probes and Fig. 9 numbers

PROBE_ROWS = (("digit identity", "content_identity_acc", "pose_identity_acc", "identity_chance"),
              ("digit position", "content_position_acc", "pose_position_acc", "position_chance"))
PROBE_FORMATS = {"from content": "percent", "from pose": "percent", "from content (MLP)": "percent",
                 "from pose (MLP)": "percent", "from raw pixels": "percent", "chance": "percent",
                 "train frames": "count", "test frames": "count"}


def probe_table(result: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    """The MNIST probe JSON (``drnet.eval.probe.mnist_probes``) as a table: one row per target, accuracies from
    content and from pose, chance, frame counts; with its column formats."""
    nan = float("nan")
    rows = [{"target": name, "from content": result[c], "from pose": result[p],
             "from content (MLP)": result.get(c.replace("_acc", "_mlp"), nan),
             "from pose (MLP)": result.get(p.replace("_acc", "_mlp"), nan),
             "from raw pixels": result.get(c.replace("content_", "pixels_"), nan), "chance": result[ch],
             "train frames": result["n_train"], "test frames": result["n_test"]} for name, c, p, ch in PROBE_ROWS]
    return pd.DataFrame(rows), PROBE_FORMATS


# column formats and headers of the Fig. 9 table (drnet.eval.inception_curve)
INCEPTION_FORMATS = {"model": "text", "offset": "count", "inception_score": "float", "std": "float",
                     "motion": "float", "real_motion": "float", "n_samples": "count", "n_clips": "count",
                     "synthetic": "text"}
INCEPTION_LABELS = {"inception_score": "Inception score", "std": "std over parts", "n_samples": "frames scored",
                    "motion": "motion", "n_clips": "clips", "offset": "offset"}


def readable_inception_table(path: str | Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The Fig. 9 CSV with readable headers, and its column formats; one line if it is no such table."""
    formats = {INCEPTION_LABELS.get(c, c): k for c, k in INCEPTION_FORMATS.items()}
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DrnetError(f"{path} is not a readable CSV ({str(exc).strip()[:120]}); re-run kth_inception") from None
    missing = [c for c in ("model", "offset", "inception_score") if c not in table.columns]
    if missing:
        raise DrnetError(f"{path} lacks the column(s) {', '.join(missing)} of the Inception table; re-run "
                         f"kth_inception")
    return table.rename(columns=INCEPTION_LABELS), formats
