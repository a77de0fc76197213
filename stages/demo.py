"""The offline demo: run the whole demo DAG through Snakemake, then print where everything is.

Uses the params.yaml ``demo:`` overlay (tiny sizes; MNIST digits from scikit-learn's embedded set, KTH/NORB/
chairs from their synthetic sources). Outputs go to data/demo/ and results/demo/, never mixed with paper runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from stages.dag.registry import targets

RESULTS = Path("results/demo")


def _summary() -> list[str]:
    lines = []
    probe = RESULTS / "mnist_probe.json"
    if probe.exists():
        p = json.loads(probe.read_text())
        lines.append(f"MNIST probes ({p['data_source']}, synthetic={p['synthetic']}): identity from content "
                     f"{p['content_identity_acc']:.1%} vs from pose {p['pose_identity_acc']:.1%} "
                     f"(chance {p['identity_chance']:.1%}); position from pose {p['pose_position_acc']:.1%} "
                     f"vs from content {p['content_position_acc']:.1%} (chance {p['position_chance']:.1%})")
    classifier = RESULTS / "kth_classifier.json"
    if classifier.exists():
        c = json.loads(classifier.read_text())
        lines.append(f"KTH action classifier (synthetic={c['synthetic']}): test accuracy {c['test_accuracy']:.1%} "
                     f"(chance {c['chance']:.1%})")
    inception = RESULTS / "kth_inception.csv"
    if inception.exists():
        import pandas as pd

        table = pd.read_csv(inception).pivot(index="offset", columns="model", values="inception_score")
        lines.append("KTH Inception score by offset:\n" + table.round(3).to_string())
    fewshot = RESULTS / "kth_fewshot.json"
    if fewshot.exists():
        f = json.loads(fewshot.read_text())
        lines.append("KTH few-shot actions (Fig. 8): " + ", ".join(
            f"{k.replace('_acc_', ' ').replace('_', ' ')} {v:.1%}" for k, v in f.items() if "_acc_" in k))
    for name in ("norb_classification.md", "leakage.md"):  # each table's Markdown opens with its caption
        if (RESULTS / name).exists():
            lines.append((RESULTS / name).read_text().strip())
    report = RESULTS / "paper" / "index.html"
    if report.exists():
        lines.append(f"Paper report (every table and figure, with captions, provenance and scale stamps): {report} "
                     f"(and index.md). Snakemake's report: snakemake demo --report report.html; a screenshot: "
                     f"python tools/screenshot_report.py {report} paper.png")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("snakemake_args", nargs="*", help="extra arguments passed to snakemake")
    args = parser.parse_args(argv)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--rerun-incomplete", "demo",
           *args.snakemake_args]
    print("running:", " ".join(cmd[1:]), flush=True)
    code = subprocess.call(cmd, env=env)
    minutes = (time.perf_counter() - start) / 60
    if code:
        print(f"error: the demo stopped (snakemake exit {code}); see the messages above and logs/demo_*.log. "
              f"Re-run `make demo` to resume where it stopped.", file=sys.stderr)
        return code
    print(f"\nDemo finished in {minutes:.1f} min. Outputs (synthetic/embedded data, tiny models: not paper numbers):")
    for path in targets("demo"):
        print(f"  {path}")
    for line in _summary():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
