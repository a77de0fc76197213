"""The library's layer contract (pyproject.toml [tool.importlinter]), checked by import-linter on every test run.

It fails when drnet/ imports stages/ (or Snakemake/DVC), when evaluation imports training or training evaluation,
when report code imports evaluation, training or checkpoint code, or when training, evaluation or a dataset
package imports another dataset's downloader.
"""

import os
import subprocess
import sys
from pathlib import Path


def test_imports_keep_the_layer_contract(repo_root):
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    run = subprocess.run([str(lint), "--no-cache", "--no-logo", "--config", str(repo_root / "pyproject.toml")],
                         cwd=repo_root, env=env, capture_output=True, text=True, timeout=120)
    broken = run.stdout[run.stdout.find("Broken contracts"):] if "Broken contracts" in run.stdout else run.stdout
    assert run.returncode == 0, f"an import crosses a layer (pyproject.toml [tool.importlinter]):\n{broken}{run.stderr}"


def test_every_module_imports():
    """Every module of drnet/ and stages/ imports: a name renamed in one module and still used in another (a merge
    of two changes) fails here, not in the one stage run that reaches it."""
    import importlib
    import pkgutil

    broken = []
    for package in ("drnet", "stages"):
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            if info.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(info.name)
            except Exception as exc:  # any import failure is the finding
                broken.append(f"{info.name}: {exc!r}")
    assert not broken, "\n".join(broken)
