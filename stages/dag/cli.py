"""``python -m stages.dag write|check|targets``: write dvc.yaml from the stage table, check it, list targets.

Snakemake needs nothing written: workflow/rules.smk reads the stage table when Snakemake parses the workflow.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from stages.dag import ROOT
from stages.dag.registry import TARGET_STAGES, targets
from stages.dag.render import render_dvc

DVC_FILE = ROOT / "dvc.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["write", "check", "targets"])
    parser.add_argument("--variant", default="demo", choices=sorted(TARGET_STAGES),
                        help="the target whose outputs `targets` lists (a variant, or proof_kth)")
    args = parser.parse_args(argv)
    if args.action == "targets":
        print("\n".join(targets(args.variant)))
        return 0
    wanted = render_dvc(yaml.safe_load((ROOT / "params.yaml").read_text()))
    if args.action == "write":
        DVC_FILE.write_text(wanted)
        print(f"wrote {DVC_FILE.relative_to(ROOT)}")
        return 0
    if not DVC_FILE.exists() or DVC_FILE.read_text() != wanted:
        print(f"error: {DVC_FILE.relative_to(ROOT)} out of date with stages/dag/ (the stage table, or the modules a "
              f"stage imports); run `python -m stages.dag write`", file=sys.stderr)
        return 1
    print("dvc.yaml matches stages/dag/")
    return 0
