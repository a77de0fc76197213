"""The paper report: every table and figure of a run in one folder, with an index page in Markdown and HTML.

``build`` writes OUT/index.md and OUT/index.html (same content), OUT/figures/*.{png,gif}, OUT/tables/* (each
stage's own CSV, Markdown, LaTeX and HTML, embedded as the stage rendered them), OUT/json/* (the key metrics
JSONs) and OUT/provenance.json; optionally the page once more as one self-contained file (figures inlined).
Each item carries its caption, the paper figure/table it reproduces (``drnet.report.items``), the data it came
from (real or SYNTHETIC, read from the data summaries) and its scale (``drnet.report.scale``); the header gives
the params hash of the whole run and the git commit (no timestamp: the same inputs give the same bytes). The
folder is built beside OUT and renamed into place, so a killed run leaves the previous report (or none).
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from drnet.errors import DrnetError
from drnet.io import atomic_dir, atomic_write_text, read_json
from drnet.params import DATASETS, params_hash
from drnet.report.experiment_tables import PROBE_ROWS, probe_table, readable_inception_table
from drnet.report.items import ITEMS, Item
from drnet.report.scale import scale_note
from drnet.report.tables import format_cell, to_html, to_markdown

KEY_JSONS = ("--mnist-probe", "--kth-classifier")  # copied into json/ beside the tables
# what the tables and captions read from each key JSON
KEY_JSON_KEYS = {"--mnist-probe": (*(k for row in PROBE_ROWS for k in row[1:]), "n_train", "n_test"),
                 "--kth-classifier": ("test_accuracy", "chance", "n_test")}
STYLE = ("body{font-family:sans-serif;max-width:1000px;margin:auto}td,th{padding:4px}"
         ".warn{background:#fee;padding:6px;border:2px solid #c00}.stamp{color:#c00;font-weight:bold}")


def git_commit() -> str:
    """The short commit of the working tree, ``+dirty`` when tracked files changed; ``unknown`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _provenance(summaries: dict[str, dict]) -> dict[str, str]:
    out = {}
    for name, s in summaries.items():
        out[name] = f"{_source(s)} ({'SYNTHETIC' if _synthetic(s) else 'real'})"
    return out


def _source(summary: dict) -> str:
    return str(summary.get("source") or summary.get("data_source") or "unknown")


def _synthetic(summary: dict) -> bool:
    return bool(summary.get("synthetic") or any(isinstance(v, dict) and v.get("synthetic") for v in summary.values()))


def scale_notes(params: dict, paper: dict | None, summaries: dict[str, dict]) -> dict[str, str]:
    """Per dataset: the scale stamp of this run's params against the paper's (empty at paper scale, real data)."""
    notes = {}
    for name in DATASETS:
        s = summaries.get(name, {})
        note = scale_note(params.get(name), (paper or {}).get(name), _source(s), _synthetic(s))
        if note:
            notes[name] = note
    return notes


def json_table(data: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    """A flat JSON of scalars as a two-column table; each value formatted by what it is (accuracy/chance as a
    percent, n_*/epochs as a count, else three decimals or text)."""
    rows = []
    for key, value in data.items():
        if isinstance(value, dict) or isinstance(value, list):
            continue
        kind = ("percent" if isinstance(value, float) and (key.endswith(("_acc", "accuracy", "chance")))
                else "count" if isinstance(value, int) and not isinstance(value, bool) else
                "float" if isinstance(value, float) else "text")
        rows.append({"quantity": key.replace("_", " "), "value": format_cell(value, kind)})
    return pd.DataFrame(rows, columns=["quantity", "value"]), {"quantity": "text", "value": "text"}


def _caption(item: Item, loaded: dict[str, dict]) -> str:
    caption = item.caption
    if item.flag in ("--kth-inception", "--kth-inception-csv") and "--kth-classifier" in loaded:
        c = loaded["--kth-classifier"]
        caption += (f" The Inception network's own test accuracy: {format_cell(c.get('test_accuracy'), 'percent')} "
                    f"(chance {format_cell(c.get('chance'), 'percent')}, {c.get('n_test')} test frames).")
    return caption


def self_contained(page: str, folder: Path) -> str:
    """The report page with its figures inlined as data: URIs (one file: the Snakemake report embeds it)."""
    def inline(match: re.Match) -> str:
        path = folder / match.group(1)
        mime = "image/gif" if path.suffix == ".gif" else "image/png"
        return f"src='data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}'"

    return re.sub(r"src='(figures/[^']+)'", inline, page)


def _header(commit: str, phash: str, provenance: dict[str, str], notes: dict[str, str]
            ) -> tuple[list[str], list[str]]:
    """The page's title, provenance line, warning (synthetic data or reduced scale) and dataset table, as
    Markdown lines and HTML fragments."""
    synthetic = [k for k, v in provenance.items() if "SYNTHETIC" in v]
    md = ["# DrNet: paper tables and figures", "", f"Regenerated from commit `{commit}`, params hash `{phash}`.", ""]
    body = [f"<h1>DrNet: paper tables and figures</h1><p>Regenerated from commit <code>{commit}</code>, "
            f"params hash <code>{phash}</code>.</p>"]
    if synthetic or notes:
        warn = ("NOT THE PAPER'S RESULTS: " + "; ".join(
            [f"SYNTHETIC DATA for {', '.join(synthetic)}"] * bool(synthetic)
            + [f"models far below paper scale for {', '.join(notes)}"] * bool(notes))
            + ". These numbers exercise the pipeline; each figure and table is stamped with its scale.")
        md += [f"> **{warn}**", ""]
        body.append(f"<p class='warn'><b>{html.escape(warn)}</b></p>")
    rows = [(k, provenance.get(k, "unknown"), notes.get(k, "paper scale")) for k in DATASETS
            if k in provenance or k in notes]
    md += ["| dataset | data | scale |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows] + [""]
    body.append("<table border=1 cellpadding=4><tr><th>dataset</th><th>data</th><th>scale</th></tr>" + "".join(
        f"<tr><td>{a}</td><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>" for a, b, c in rows)
        + "</table>")
    return md, body


def _section(item: Item, path: Path, tmp: Path, provenance: dict[str, str], notes: dict[str, str],
             loaded: dict[str, dict]) -> tuple[list[str], list[str]]:
    """One item's heading, caption, stamp, data line and content (figure, the stage's table, or a table rendered
    here from its CSV/JSON), as Markdown lines and HTML fragments; its files are copied under ``tmp``."""
    head = f"{item.title} ({item.paper})"
    datasets = DATASETS if item.dataset == "all" else (item.dataset,)
    stamp = " | ".join(f"{d}: {notes[d]}" if item.dataset == "all" else notes[d] for d in datasets if d in notes)
    data = "; ".join(f"{d}: {provenance[d]}" for d in datasets if d in provenance) or "unknown"
    meta = f"Data: {data}. Source file: `{path}`."
    caption = _caption(item, loaded)
    md = [f"## {head}", "", caption, ""] + ([f"**{stamp}**", ""] if stamp else []) + [meta, ""]
    body = [f"<h2>{html.escape(head)}</h2><p>{html.escape(caption)}</p>"
            + (f"<p class='stamp'>{html.escape(stamp)}</p>" if stamp else "")
            + f"<p><i>{html.escape(meta.replace('`', ''))}</i></p>"]
    stem = item.flag.lstrip("-")
    if item.kind in ("png", "gif"):
        name = f"figures/{stem}{path.suffix}"
        shutil.copyfile(path, tmp / name)
        size = "height:256px;image-rendering:pixelated;max-width:100%" if item.kind == "gif" else "max-width:100%"
        return md + [f"![{item.title}]({name})", ""], body + [
            f"<img src='{name}' alt='{html.escape(item.title)}' style='{size}'>"]
    if item.kind == "table":  # the stage's own rendering, byte for byte
        missing = [str(path.with_suffix(s)) for s in (".md", ".html") if not path.with_suffix(s).exists()]
        if missing:
            raise DrnetError(f"{item.flag} {path} comes without its rendering {', '.join(missing)}; re-run the stage "
                             f"that writes the table")
        for suffix in (".csv", ".md", ".tex", ".html"):
            src = path.with_suffix(suffix)
            if src.exists():
                shutil.copyfile(src, tmp / "tables" / f"{stem}{suffix}")
        return md + [path.with_suffix(".md").read_text(), ""], body + [path.with_suffix(".html").read_text()]
    if item.kind == "csv":
        shutil.copyfile(path, tmp / "tables" / f"{stem}.csv")
        df, formats = readable_inception_table(path)
    elif item.kind == "probe":
        df, formats = probe_table(loaded[item.flag])
    else:
        df, formats = json_table(read_json(path, f"{item.flag} JSON"))
    if item.flag in KEY_JSONS:
        shutil.copyfile(path, tmp / "json" / f"{stem}.json")
    return md + [to_markdown(df, formats), ""], body + [to_html(df, formats)]


def build(items: dict[str, Path], summaries: dict[str, dict], params: dict, out: Path,
          paper: dict | None = None, html_out: Path | None = None) -> Path:
    """Write the report folder OUT from the stage outputs ``items`` (flag -> path). ``params``: this run's
    resolved params; ``paper``: the paper-scale params, for the scale stamps."""
    provenance = _provenance(summaries)
    notes = scale_notes(params, paper, summaries)
    phash, commit = params_hash(params), git_commit()
    loaded = {flag: read_json(items[flag], f"{flag} JSON", KEY_JSON_KEYS[flag]) for flag in KEY_JSONS
              if flag in items}
    with atomic_dir(out) as tmp:
        for sub in ("figures", "tables", "json"):
            (tmp / sub).mkdir()
        md, body = _header(commit, phash, provenance, notes)
        for item in ITEMS:
            if items.get(item.flag) is not None:
                item_md, item_body = _section(item, items[item.flag], tmp, provenance, notes, loaded)
                md, body = md + item_md, body + item_body
        (tmp / "index.md").write_text("\n".join(md))
        (tmp / "index.html").write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>DrNet report"
                                        f"</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")
        (tmp / "provenance.json").write_text(json.dumps(
            {"params_hash": phash, "commit": commit, "data": provenance, "scale": notes,
             "items": {i.flag.lstrip("-"): str(items[i.flag]) for i in ITEMS if i.flag in items}}, indent=2))
        if html_out is not None:
            atomic_write_text(html_out, self_contained((tmp / "index.html").read_text(), tmp))
    return out
