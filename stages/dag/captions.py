"""Captions of ``snakemake --report``: one reStructuredText file per reported output of each job.

The paper report's caption for the figures and tables it shows (drnet/report/items.py), else the stage's summary
(the first paragraph of its module docstring) and the output's role; demo outputs are marked SYNTHETIC. Snakemake
reads captions from files, so workflow/rules.smk writes them (``write_captions``) into workflow/report/outputs/,
a git-ignored folder, each time it parses the workflow.
"""

from __future__ import annotations

import ast
from pathlib import Path

from drnet.io import atomic_write_text
from stages.dag import ROOT
from stages.dag.registry import DATASETS, Job, Stage, jobs, registry

CAPTION_DIR = ROOT / "workflow" / "report" / "outputs"  # captions of `snakemake --report`, one per reported output
REPORT_SUFFIXES = (".png", ".gif", ".csv", ".json", ".html")


def key(flag: str) -> str:
    """A command-line flag as a Snakemake input/output name: ``--model-out`` -> ``model_out``."""
    return flag.lstrip("-").replace("-", "_")


def category(stage: Stage) -> str:
    return stage.name.split("_")[0].upper() if stage.name.split("_")[0] in DATASETS else "Paper"


def caption_file(job: Job, flag: str) -> str:
    return f"{job.name}.{key(flag)}.rst"


def _stage_summary(stage: Stage) -> str:
    source = ROOT / (stage.module.replace(".", "/") + ".py")
    doc = (ast.get_docstring(ast.parse(source.read_text())) if source.exists() else None) or stage.name
    return " ".join(doc.split("\n\n")[0].split())


DEMO_MARK = ("**DEMO RUN: SYNTHETIC or embedded data and tiny models (see the scale stamp on each figure); not the "
             "paper's results.**")


def render_captions() -> dict[Path, str]:
    """One reStructuredText caption per reported output of each job: the paper report's caption for figures and
    tables it shows (drnet/report/items.py), else the stage's summary and the output's role; demo outputs are
    marked SYNTHETIC."""
    from drnet.report.items import ITEMS

    by_flag = {item.flag: item for item in ITEMS}
    report_deps = next(s for s in registry() if s.name == "paper_report").deps
    by_template = {template: by_flag[flag] for flag, template in report_deps.items() if flag in by_flag}
    out = {}
    for job in jobs():
        s = job.stage
        for flag, template in s.outs.items():
            if flag in s.dir_outs or not template.endswith(REPORT_SUFFIXES):
                continue
            item = by_template.get(template)
            if s.name == "paper_report":
                text = ("The paper report: every table and figure with its caption, data provenance and scale, "
                        "as one self-contained page (the same as paper/index.html).")
            elif item is not None:
                text = f"{item.title} ({item.paper}). {item.caption}"
            else:
                text = f"{_stage_summary(s)} This file: ``{flag.lstrip('-')}`` of stage ``{job.name}``."
            if job.variant == "demo":
                text = f"{DEMO_MARK} {text}"
            out[CAPTION_DIR / caption_file(job, flag)] = text + "\n"
    return out


def write_captions() -> None:
    """Write every caption into CAPTION_DIR (git-ignored), each only when its text changed, and remove captions
    of outputs that no longer exist."""
    wanted = render_captions()
    CAPTION_DIR.mkdir(parents=True, exist_ok=True)
    for path in set(CAPTION_DIR.glob("*.rst")) - set(wanted):
        path.unlink(missing_ok=True)
    for path, text in wanted.items():
        if not path.is_file() or path.read_text() != text:
            atomic_write_text(path, text)
