"""``python -m stages.dag write|check|targets``: write the generated front doors, check them, list targets."""

from __future__ import annotations

import argparse
import sys

import yaml

from stages.dag import ROOT
from stages.dag.captions import REPORT_DIR, render_captions
from stages.dag.registry import ALL_VARIANTS, targets
from stages.dag.render import render_dvc, render_slurm_profile, render_smk

DVC_FILE, SMK_FILE = ROOT / "dvc.yaml", ROOT / "workflow" / "stages.smk"
SLURM_PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["write", "check", "targets"])
    parser.add_argument("--variant", default="demo", choices=ALL_VARIANTS)
    args = parser.parse_args(argv)
    if args.action == "targets":
        print("\n".join(targets(args.variant)))
        return 0
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    wanted = {DVC_FILE: render_dvc(raw), SMK_FILE: render_smk(), SLURM_PROFILE: render_slurm_profile(),
              **render_captions()}
    stale_captions = sorted(set((REPORT_DIR / "outputs").glob("*.rst")) - set(wanted))
    if args.action == "write":
        for path in stale_captions:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)}")
        for path, text in wanted.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    stale = [str(p.relative_to(ROOT)) for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    stale += [str(p.relative_to(ROOT)) for p in stale_captions]
    if stale:
        print(f"error: {', '.join(stale[:3])} out of date with stages/dag/ (the stage table, or the modules a stage "
              f"imports); run `python -m stages.dag write`", file=sys.stderr)
        return 1
    print("dvc.yaml, workflow/stages.smk, the report captions and profiles/slurm match stages/dag/")
    return 0
