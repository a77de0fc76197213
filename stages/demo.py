"""The offline demo: run the whole demo DAG through Snakemake, then print where everything is.

Uses the params.yaml ``demo:`` overlay (tiny sizes; MNIST digits from scikit-learn's embedded set, KTH/NORB/
chairs from their synthetic sources). Outputs go to data/demo/ and results/demo/, never mixed with paper runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from drnet.report.summary import demo_summary
from stages.dag.registry import targets

RESULTS = Path("results/demo")


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
    from drnet.runtime.context import cpu_summary

    print(f"\nDemo finished in {minutes:.1f} min on {cpu_summary()}. Outputs (synthetic/embedded data, tiny models: "
          f"not paper numbers):")
    for path in targets("demo"):
        print(f"  {path}")
    for line in demo_summary(RESULTS):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
