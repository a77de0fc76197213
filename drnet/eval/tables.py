"""Paper tables: one pandas DataFrame written as CSV (the data), Markdown (the README/report) and LaTeX (the paper).

All three are written atomically; numbers are formatted once, here, so the three never disagree.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from drnet.io import atomic_write_text


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _cell(value, percent: bool) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{100 * value:.1f}%" if percent else f"{value:.3f}"
    return str(value)


def to_markdown(df: pd.DataFrame, percent_columns: set[str] = frozenset(), caption: str | None = None) -> str:
    header = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---:" if _numeric(df[c]) else "---" for c in df.columns) + "|"
    rows = ["| " + " | ".join(_cell(v, c in percent_columns) for c, v in row.items()) + " |"
            for _, row in df.iterrows()]
    text = "\n".join([header, rule, *rows]) + "\n"
    return (f"{caption}\n\n{text}" if caption else text)


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def to_latex(df: pd.DataFrame, percent_columns: set[str] = frozenset(), caption: str | None = None,
             label: str | None = None) -> str:
    """A booktabs table (needs \\usepackage{booktabs})."""
    align = "".join("r" if _numeric(df[c]) else "l" for c in df.columns)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule",
              " & ".join(_latex_escape(str(c)) for c in df.columns) + r" \\", r"\midrule"]
    for _, row in df.iterrows():
        lines.append(" & ".join(_latex_escape(_cell(v, c in percent_columns)) for c, v in row.items()) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, csv_path: str | os.PathLike, *, percent_columns: set[str] = frozenset(),
                caption: str | None = None, label: str | None = None) -> list[Path]:
    """Write ``df`` to CSV_PATH and, beside it, the same stem with .md and .tex; return the three paths."""
    csv_path = Path(csv_path)
    md_path, tex_path = csv_path.with_suffix(".md"), csv_path.with_suffix(".tex")
    atomic_write_text(csv_path, df.to_csv(index=False, float_format="%.6g"))
    atomic_write_text(md_path, to_markdown(df, percent_columns, caption))
    atomic_write_text(tex_path, to_latex(df, percent_columns, caption, label))
    return [csv_path, md_path, tex_path]
