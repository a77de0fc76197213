"""Screenshot an HTML report (paper report, Snakemake report, dvc plots) in headless Chromium, to look at it.

    python tools/screenshot_report.py results/demo/paper/index.html results/demo/paper.png
    python tools/screenshot_report.py report.html report.png --height 3000

Needs Debian's ``chromium`` (``apt-get install -y chromium``). Pages load from file:// with no network needed:
the paper report is self-contained and dvc plots use the venv's Vega (workflow/dvc_plots.html). The image
covers --width x --height pixels of the page from its top (tall by default, to hold the whole report).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="HTML file")
    parser.add_argument("png", help="screenshot to write")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=14000)
    parser.add_argument("--wait-ms", type=int, default=8000, help="virtual time for scripts (Vega) to draw")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("error: no chromium found; apt-get install -y chromium", file=sys.stderr)
        return 2
    page = Path(args.page).resolve()
    if not page.exists():
        print(f"error: {page} not found; build the report first", file=sys.stderr)
        return 2
    out = Path(args.png).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--allow-file-access-from-files", f"--virtual-time-budget={args.wait_ms}",
           f"--window-size={args.width},{args.height}", f"--screenshot={out}", page.as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if run.returncode != 0 or not out.exists():
        print(f"error: chromium failed ({run.returncode}): {run.stderr.strip()[-500:]}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
