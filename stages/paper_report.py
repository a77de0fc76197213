"""Stage: the paper report - every table and figure regenerated into one folder with an index page.

Writes OUT/index.md and OUT/index.html (same content), OUT/figures/*.{png,gif}, OUT/tables/* (each stage's own
CSV, Markdown, LaTeX and HTML, embedded as the stage rendered them) and OUT/json/* (the key metrics JSONs);
--html-out writes the page once more as one self-contained file (figures inlined) for the Snakemake report.
Each item carries its caption, the paper figure/table it reproduces, the data it came from (real or SYNTHETIC,
read from the data summaries) and its scale (training steps and widths against the paper's: a demo run is
stamped in red); the header gives the params hash of the whole run and the git commit (no timestamp: the same
inputs give the same bytes). The folder is built beside OUT and renamed into place, so a killed run leaves the
previous report (or none), never a half-written one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from drnet.errors import DrnetError
from drnet.io import read_json
from drnet.params import DATASETS, load_params
from drnet.report.items import ITEMS
from drnet.report.paper import build
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for item in ITEMS:
        parser.add_argument(item.flag, default=None, help=f"{item.paper}: {item.title}")
    for name in DATASETS:
        parser.add_argument(f"--{name}-data", default=None, help=f"{name} data summary JSON (provenance)")
    parser.add_argument("--out", required=True, help="report folder (e.g. results/paper)")
    parser.add_argument("--html-out", default=None, help="the same page as one self-contained HTML file")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    items = {}
    for item in ITEMS:
        value = getattr(args, item.flag.lstrip("-").replace("-", "_"))
        if value is not None:
            if not Path(value).exists():
                raise DrnetError(f"{item.flag} {value} does not exist; run the stage that writes it first")
            items[item.flag] = Path(value)
    summaries = {name: read_json(getattr(args, f"{name}_data"), f"--{name}-data summary") for name in DATASETS
                 if getattr(args, f"{name}_data") is not None}
    html_out = Path(args.html_out) if args.html_out else None
    out = build(items, summaries, params, Path(args.out), paper=load_params(args.params, "paper"), html_out=html_out)
    announce(out / "index.md", out / "index.html", *([html_out] if html_out else []))


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
