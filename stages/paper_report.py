"""Stage: the paper report - every table and figure regenerated into one folder with an index page.

Writes OUT/index.md and OUT/index.html (same content), OUT/figures/*.png and OUT/tables/* (CSV, Markdown,
LaTeX). Each item carries its caption, the paper figure/table it reproduces, the data it came from (real or
SYNTHETIC, read from the data summaries) and the params hash; the header gives the params hash of the whole
run and the git commit (no timestamp: the same inputs give the same bytes). The folder is built beside OUT and
renamed into place, so a killed run leaves the previous report (or none), never a half-written one.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.errors import DrnetError
from drnet.eval.tables import to_markdown
from drnet.io import atomic_dir
from drnet.params import params_hash


@dataclass(frozen=True)
class Item:
    flag: str
    title: str
    paper: str       # what it reproduces in the paper (or "beyond the paper")
    dataset: str
    caption: str
    kind: str        # png | table_md | md_file (the stage's own Markdown, shown as written) | csv | json


ITEMS = [
    Item("--mnist-swap", "Moving MNIST: content/pose swap", "Fig. 3 (left)", "mnist",
         "Top row: pose frames; left column: content frames; grid: decoder(content of row, pose of column).", "png"),
    Item("--mnist-generation", "Moving MNIST: long-range generation", "Fig. 3 (right)", "mnist",
         "LSTM on pose vectors, content fixed from the last observed frame; ground truth above generation.", "png"),
    Item("--mnist-disentanglement", "Moving MNIST: disentanglement by swapping", "beyond the paper", "mnist",
         "Readers trained on real digits read D(Ec(A), Ep(B)) and LSTM generations: content transfer, pose "
         "transfer (position error) and identity kept over time, each beside chance and the reader's ceiling.",
         "md_file"),
    Item("--mnist-probe", "Moving MNIST: linear probes", "beyond the paper", "mnist",
         "Digit identity and position read off content and pose vectors by a linear probe.", "json"),
    Item("--norb-swap", "NORB: content/pose swap", "Fig. 4 (left)", "norb",
         "DrNet with the adversarial term: content (object) from the left column, pose (azimuth) from the top row.",
         "png"),
    Item("--norb-swap-noadv", "NORB: swap without the adversarial term", "Fig. 4 (centre)", "norb",
         "The same model trained with adv_weight 0: pose vectors are no longer free of content.", "png"),
    Item("--norb-disentanglement", "NORB: disentanglement by swapping", "beyond the paper", "norb",
         "Category and azimuth readers trained on real frames read D(Ec(A), Ep(B)), with and without the "
         "adversarial term.", "md_file"),
    Item("--chairs-disentanglement", "Chairs: disentanglement by swapping", "beyond the paper", "chairs",
         "Chair-model and azimuth readers trained on real frames read D(Ec(A), Ep(B)).", "md_file"),
    Item("--norb-table", "NORB object classification", "Table 1", "norb",
         "2-layer MLP on content or pose vectors, with and without the adversarial term. Chance 20%.", "table_md"),
    Item("--chairs-swap", "Chairs: content/pose swap", "Fig. 5", "chairs",
         "Content (chair model) from the left column, pose (azimuth/elevation) from the top row.", "png"),
    Item("--chairs-swap-noadv", "Chairs: swap without the adversarial term", "Fig. 5 (ablation)", "chairs",
         "The same model trained with adv_weight 0.", "png"),
    Item("--kth-swap", "KTH: content/pose swap", "Fig. 7 (style)", "kth",
         "Content (person, background) from the left column, pose from the top row.", "png"),
    Item("--kth-generation", "KTH: long-range generation", "Fig. 6 / Fig. 7", "kth",
         "DrNet pose LSTM rolled out from observed test frames.", "png"),
    Item("--kth-fewshot", "KTH: actions from few labelled subjects", "Fig. 8", "kth",
         "Action classifier on 24-step pose sequences vs the autoencoder baseline; dashed: fully supervised "
         "state of the art (93.9%).", "png"),
    Item("--kth-inception", "KTH: Inception score over time", "Fig. 9", "kth",
         "IS of generated video (action classifier as the Inception network) against the offset from the "
         "conditioning frames: ground truth, DrNet, AE-LSTM.", "png"),
    Item("--kth-inception-csv", "KTH: Inception score table", "Fig. 9 (numbers)", "kth",
         "Mean IS per model and offset.", "csv"),
    Item("--kth-neighbours", "KTH: nearest training neighbours of generated frames", "Fig. 10", "kth",
         "Generated frames (left) and their nearest training frames: generation is not memorisation.", "png"),
    Item("--leakage-table", "Leakage probes across datasets", "beyond the paper", "all",
         "Clip identity from pose and the pose factor from content (linear probes): both should be near chance.",
         "table_md"),
]
DATA_SUMMARIES = ("mnist", "norb", "chairs", "kth")


def _git_commit() -> str:
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
        source = s.get("source") or s.get("data_source") or "unknown"
        synthetic = bool(s.get("synthetic") or any(isinstance(v, dict) and v.get("synthetic") for v in s.values()))
        out[name] = f"{source} ({'SYNTHETIC' if synthetic else 'real'})"
    out["all"] = "; ".join(f"{k}: {v}" for k, v in out.items())
    return out


def _json_table(path: Path) -> pd.DataFrame:
    data = json.loads(path.read_text())
    rows = [{"metric": k, "value": v} for k, v in data.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return pd.DataFrame(rows)


def build(items: dict[str, Path], summaries: dict[str, dict], params: dict, out: Path) -> Path:
    provenance = _provenance(summaries)
    phash, commit = params_hash(params), _git_commit()
    synthetic = [k for k, v in provenance.items() if k != "all" and "SYNTHETIC" in v]
    with atomic_dir(out) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "tables").mkdir()
        md = ["# DrNet: paper tables and figures", "",
              f"Regenerated from commit `{commit}`, params hash `{phash}`.", ""]
        body = [f"<h1>DrNet: paper tables and figures</h1><p>Regenerated from commit <code>{commit}</code>, "
                f"params hash <code>{phash}</code>.</p>"]
        if synthetic:
            warn = (f"**SYNTHETIC DATA** for {', '.join(synthetic)}: these numbers exercise the pipeline and are "
                    f"not the paper's results.")
            md += [f"> {warn}", ""]
            body.append(f"<p style='background:#fee;padding:6px'><b>{html.escape(warn.replace('**', ''))}</b></p>")
        md += ["| dataset | data |", "|---|---|"] + [f"| {k} | {v} |" for k, v in provenance.items() if k != "all"]
        md.append("")
        body.append("<table border=1 cellpadding=4><tr><th>dataset</th><th>data</th></tr>" + "".join(
            f"<tr><td>{k}</td><td>{html.escape(v)}</td></tr>" for k, v in provenance.items() if k != "all")
            + "</table>")
        for item in ITEMS:
            path = items.get(item.flag)
            if path is None:
                continue
            head = f"{item.title} ({item.paper})"
            meta = f"Data: {provenance.get(item.dataset, 'unknown')}. Source file: `{path}`."
            md += [f"## {head}", "", item.caption, "", meta, ""]
            body.append(f"<h2>{html.escape(head)}</h2><p>{html.escape(item.caption)}</p>"
                        f"<p><i>{html.escape(meta.replace('`', ''))}</i></p>")
            stem = item.flag.lstrip("-")
            if item.kind == "png":
                shutil.copyfile(path, tmp / "figures" / f"{stem}.png")
                md += [f"![{item.title}](figures/{stem}.png)", ""]
                body.append(f"<img src='figures/{stem}.png' alt='{html.escape(item.title)}' style='max-width:100%'>")
                continue
            if item.kind == "md_file":
                for suffix in (".csv", ".md"):
                    shutil.copyfile(path.with_suffix(suffix), tmp / "tables" / f"{stem}{suffix}")
                text = path.with_suffix(".md").read_text()
                md += [text, ""]
                body.append(f"<pre>{html.escape(text)}</pre>")
                continue
            if item.kind == "table_md":
                for suffix in (".csv", ".md", ".tex"):
                    src = path.with_suffix(suffix)
                    if src.exists():
                        shutil.copyfile(src, tmp / "tables" / f"{stem}{suffix}")
                df = pd.read_csv(path.with_suffix(".csv"))
            elif item.kind == "csv":
                shutil.copyfile(path, tmp / "tables" / f"{stem}.csv")
                df = pd.read_csv(path)
            else:
                shutil.copyfile(path, tmp / "tables" / f"{stem}.json")
                df = _json_table(path)
            percent = {c for c in df.columns if df[c].dtype.kind == "f" and df[c].between(0, 1).all()
                       and item.kind != "csv"}
            md += [to_markdown(df, percent), ""]
            body.append(df.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="n/a", border=1))
        (tmp / "index.md").write_text("\n".join(md))
        style = "body{font-family:sans-serif;max-width:960px;margin:auto}td,th{padding:4px}"
        (tmp / "index.html").write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>DrNet report"
                                        f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")
        (tmp / "provenance.json").write_text(json.dumps(
            {"params_hash": phash, "commit": commit, "data": provenance,
             "items": {i.flag.lstrip("-"): str(items[i.flag]) for i in ITEMS if i.flag in items}}, indent=2))
    return out


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for item in ITEMS:
        parser.add_argument(item.flag, default=None, help=f"{item.paper}: {item.title}")
    for name in DATA_SUMMARIES:
        parser.add_argument(f"--{name}-data", default=None, help=f"{name} data summary JSON (provenance)")
    parser.add_argument("--out", required=True, help="report folder (e.g. results/paper)")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    items = {}
    for item in ITEMS:
        value = getattr(args, item.flag.lstrip("-").replace("-", "_"))
        if value is not None:
            if not Path(value).exists():
                raise DrnetError(f"{item.flag} {value} does not exist; run the stage that writes it first")
            items[item.flag] = Path(value)
    summaries = {}
    for name in DATA_SUMMARIES:
        value = getattr(args, f"{name}_data")
        if value is not None:
            summaries[name] = json.loads(Path(value).read_text())
    out = build(items, summaries, params, Path(args.out))
    announce(out / "index.md", out / "index.html")


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
