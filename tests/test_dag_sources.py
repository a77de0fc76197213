"""Each stage depends on the source it runs: its module and the modules it imports, computed, in both doors."""

import os
import re
import shutil
import subprocess
import sys
import time

import yaml

from stages.dag import render, smk
from stages.dag.cli import main
from stages.dag.registry import jobs
from stages.dag.sources import sources


def _write(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_import_walk_follows_every_kind_of_import(tmp_path):
    _write(tmp_path, {
        "drnet/__init__.py": "",
        "drnet/a.py": "import drnet.b\n\n\ndef f():\n    from drnet.c import thing  # a function-local import\n",
        "drnet/b.py": "from . import d\nfrom drnet import sub\n",
        "drnet/c.py": "thing = 1\n",
        "drnet/d.py": 'SPEC = "drnet.e:Cls"  # a class imported lazily by name\n',
        "drnet/e.py": "import os\n",
        "drnet/sub/__init__.py": "from .inner import x\n",
        "drnet/sub/inner.py": "x = 1\n",
        "drnet/unused.py": "import drnet.a\n",
        "stages/__init__.py": "",
        "stages/s.py": "from drnet.a import f\n",
    })
    assert sources("stages.s", tmp_path) == [
        "drnet/__init__.py", "drnet/a.py", "drnet/b.py", "drnet/c.py", "drnet/d.py", "drnet/e.py",
        "drnet/sub/__init__.py", "drnet/sub/inner.py", "stages/__init__.py", "stages/s.py"]


def test_every_stage_depends_on_its_own_files_not_on_whole_folders(repo_root):
    dvc = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    for job in jobs():
        deps = dvc[job.name]["deps"]
        own = f"stages/{job.stage.module.split('.')[-1]}.py"
        assert own in deps and not {"drnet", "stages", "drnet/", "stages/"} & set(deps), job.name
        code = [d for d in deps if d.endswith(".py")]
        assert all((repo_root / d).is_file() for d in code), job.name
        assert set(code) == set(sources(job.stage.module)), job.name
    mnist, kth = set(sources("stages.mnist_build")), set(sources("stages.kth_synth"))
    for own in (mnist - kth, kth - mnist):  # each runs data modules the other does not
        assert any(p.startswith("drnet/data/") for p in own), own


def test_snakemake_rules_take_the_same_sources_as_dvc(repo_root):
    dvc = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    for job in jobs():
        assert smk.inputs(job)["src"] == [d for d in dvc[job.name]["deps"] if d.endswith(".py")], job.name


def test_check_fails_when_a_stage_imports_another_module(monkeypatch, capsys):
    assert main(["check"]) == 0
    monkeypatch.setattr(render, "sources", lambda module: [*sources(module), "drnet/new_module.py"])
    assert main(["check"]) == 1
    assert "run `python -m stages.dag write`" in capsys.readouterr().err


def test_a_library_comment_edit_leaves_unrelated_dvc_stages_up_to_date(tmp_path, repo_root):
    """The real dvc.yaml in a scratch DVC repository: record two stages as done, edit a comment in a library
    module only one of them runs, and ask `dvc status` (a whole-folder `drnet` dep makes both stale)."""
    by_name = {job.name: job for job in jobs()}
    edited, untouched = by_name["demo_kth_synth"], by_name["demo_mnist_build"]
    library = sorted(p for p in set(sources(edited.stage.module)) - set(sources(untouched.stage.module))
                     if p.startswith("drnet/"))
    assert library, "the two stages run the same library modules; pick two that do not"
    work = tmp_path / "repo"
    for folder in ("drnet", "stages"):
        shutil.copytree(repo_root / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("params.yaml", "dvc.yaml", ".dvcignore"):
        shutil.copy(repo_root / name, work / name)
    for job in (edited, untouched):  # stand-ins for the stages' inputs and outputs
        for flag, path in {**job.deps(), **job.outs()}.items():
            target = work / path / "x" if flag in job.stage.dir_outs else work / path
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"{job.name} {flag}\n")
    env = dict(os.environ, DVC_NO_ANALYTICS="1")

    def dvc(*args):
        return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=work, capture_output=True, text=True,
                              check=True, timeout=60, env=env).stdout

    dvc("init", "--no-scm", "-q")
    dvc("commit", "-f", edited.name, untouched.name)  # record them as done, as `dvc repro` would
    assert yaml.safe_load(dvc("status", "--json", edited.name, untouched.name)) == {}
    with open(work / library[0], "a") as fh:
        fh.write("# a comment, nothing else\n")
    changed = yaml.safe_load(dvc("status", "--json", edited.name, untouched.name))
    assert set(changed) == {edited.name}, changed
    assert changed[edited.name] == [{"changed deps": {library[0]: "modified"}}]


def test_snakemake_reruns_only_the_rules_that_run_an_edited_module(tmp_path, repo_root):
    """The other door: a library module newer than two rules' outputs re-runs only the rule that runs it."""
    work = tmp_path / "repo"
    for folder in ("drnet", "stages", "workflow"):
        shutil.copytree(repo_root / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Snakefile", "params.yaml"):
        shutil.copy(repo_root / name, work / name)
    by_name = {job.name: job for job in jobs()}
    edited, untouched = by_name["demo_kth_synth"], by_name["demo_mnist_build"]
    library = sorted(p for p in set(sources(edited.stage.module)) - set(sources(untouched.stage.module))
                     if p.startswith("drnet/"))
    hour_ago = time.time() - 3600
    for job in (edited, untouched):  # outputs made an hour ago, after every source file
        for flag, path in job.outs().items():
            target = work / path / "x" if flag in job.stage.dir_outs else work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{job.name} {flag}\n")
            os.utime(work / path, (hour_ago, hour_ago))
    for source in sources(edited.stage.module) + sources(untouched.stage.module):
        os.utime(work / source, (hour_ago - 3600, hour_ago - 3600))
    with open(work / library[0], "a") as fh:
        fh.write("# a comment, nothing else\n")
    targets = [p for job in (edited, untouched) for p in job.outs().values()]
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", *targets], cwd=work, capture_output=True,
                         text=True, check=True).stdout
    planned = set(re.findall(r"^rule (\w+):", out, re.M))
    assert planned == {edited.name}, out[-2000:]
    assert f"Updated input files: {library[0]}" in out
