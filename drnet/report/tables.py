"""Paper tables: one pandas DataFrame written as CSV (the data), Markdown (the README/report), LaTeX (the paper) and
an HTML fragment (the paper report).

Every quantity has one format, chosen by its column's kind (``formats``: column -> kind), and the four files are
rendered from the same cells, so they never disagree. Kinds:

- ``percent``: a fraction in [0, 1] shown as ``78.3%``
- ``count``: an integer count shown as ``200``
- ``weight``: a loss weight in scientific notation, ``1e-04`` (``0`` stays ``0``)
- ``float``: three decimals, ``1.234``
- ``text``: as is

Columns not named in ``formats`` are ``count`` for integer dtype, ``float`` for floats, ``text`` otherwise.
All files are written atomically.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from drnet.io import atomic_write_text

KINDS = ("percent", "count", "weight", "float", "text")


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _as_formats(formats) -> dict[str, str]:
    """``formats`` as a mapping; a set (or list) of column names means those columns are percentages (the
    older ``percent_columns`` form)."""
    if isinstance(formats, (set, frozenset, list, tuple)):
        return dict.fromkeys(formats, "percent")
    return dict(formats or {})


def column_kinds(df: pd.DataFrame, formats: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kind of every column of ``df``: from ``formats`` where named, else from the dtype."""
    formats = _as_formats(formats)
    bad = {c: k for c, k in formats.items() if k not in KINDS}
    if bad:
        raise ValueError(f"unknown column kinds {bad}; use one of {', '.join(KINDS)}")
    kinds = {}
    for c in df.columns:
        if c in formats:
            kinds[c] = formats[c]
        elif pd.api.types.is_integer_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            kinds[c] = "count"
        elif _numeric(df[c]):
            kinds[c] = "float"
        else:
            kinds[c] = "text"
    return kinds


def format_cell(value, kind: str) -> str:
    """One cell as text, by the column's kind (see the module docstring); missing values read ``n/a``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "text" or isinstance(value, (str, bool)):
        return str(value)
    v = float(value)
    if kind == "percent":
        return f"{100 * v:.1f}%"
    if kind == "count":
        return str(int(round(v)))
    if kind == "weight":
        if v == 0:
            return "0"
        mantissa, exponent = f"{v:.2e}".split("e")
        return f"{float(mantissa):g}e{exponent}"
    return f"{v:.3f}"


def formatted(df: pd.DataFrame, formats: Mapping[str, str] | None = None) -> list[list[str]]:
    """The cells of ``df`` as text, row by row."""
    kinds = column_kinds(df, formats)
    return [[format_cell(v, kinds[c]) for c, v in row.items()] for _, row in df.iterrows()]


def _right(kind: str) -> bool:
    return kind != "text"


def to_markdown(df: pd.DataFrame, formats: Mapping[str, str] | None = None, caption: str | None = None) -> str:
    kinds = column_kinds(df, formats)
    header = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---:" if _right(kinds[c]) else "---" for c in df.columns) + "|"
    rows = ["| " + " | ".join(cells) + " |" for cells in formatted(df, formats)]
    text = "\n".join([header, rule, *rows]) + "\n"
    return f"{caption}\n\n{text}" if caption else text


def to_html(df: pd.DataFrame, formats: Mapping[str, str] | None = None, caption: str | None = None) -> str:
    """An HTML ``<table>`` fragment with the same cells as the Markdown and LaTeX."""
    kinds = column_kinds(df, formats)
    align = {c: " style='text-align:right'" if _right(kinds[c]) else "" for c in df.columns}
    head = "".join(f"<th{align[c]}>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td{align[c]}>{html.escape(cell)}</td>" for c, cell in zip(df.columns, cells))
                   + "</tr>" for cells in formatted(df, formats))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table class='drnet-table' border='1' cellpadding='4'>{cap}<tr>{head}</tr>{body}</table>\n"


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def to_latex(df: pd.DataFrame, formats: Mapping[str, str] | None = None, caption: str | None = None,
             label: str | None = None) -> str:
    """A booktabs table (needs \\usepackage{booktabs})."""
    kinds = column_kinds(df, formats)
    align = "".join("r" if _right(kinds[c]) else "l" for c in df.columns)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule",
              " & ".join(_latex_escape(str(c)) for c in df.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(_latex_escape(cell) for cell in cells) + r" \\" for cells in formatted(df, formats)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, csv_path: str | os.PathLike, *, formats: Mapping[str, str] | None = None,
                caption: str | None = None, label: str | None = None,
                percent_columns: set[str] = frozenset()) -> list[Path]:
    """Write ``df`` to CSV_PATH and, beside it, the same stem with .md, .tex and .html; return the four paths.

    ``percent_columns`` (older form) adds ``percent`` kinds to ``formats``.
    """
    formats = {**dict.fromkeys(percent_columns, "percent"), **_as_formats(formats)}
    csv_path = Path(csv_path)
    paths = [csv_path, csv_path.with_suffix(".md"), csv_path.with_suffix(".tex"), csv_path.with_suffix(".html")]
    atomic_write_text(paths[0], df.to_csv(index=False, float_format="%.6g"))
    atomic_write_text(paths[1], to_markdown(df, formats, caption))
    atomic_write_text(paths[2], to_latex(df, formats, caption, label))
    atomic_write_text(paths[3], to_html(df, formats, caption))
    return paths
