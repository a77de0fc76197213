"""The sweep recipe in docs/pipeline.md queues one DVC experiment per value (repeating -S for one key: one)."""

import re
import shlex
import shutil
import subprocess
import sys

import pytest


def _documented_sweep(repo_root) -> list[str]:
    page = (repo_root / "docs" / "pipeline.md").read_text()
    (line,) = [m.strip() for m in re.findall(r"^\s*(dvc exp run --queue .*)$", page, re.M)]
    return shlex.split(line)


def _repo(tmp_path, repo_root):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    work = tmp_path / "sweep"
    work.mkdir()
    shutil.copy(repo_root / "params.yaml", work / "params.yaml")
    (work / "dvc.yaml").write_text("stages:\n  probe:\n    cmd: python -c 'print(1)'\n"
                                   "    params: [mnist.train.adv_weight]\n")

    def run(*cmd):
        return subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=True, timeout=120).stdout

    run("git", "init", "-q")
    run("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty")
    run(sys.executable, "-m", "dvc", "init", "-q")
    run("git", "add", "-A")
    run("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "init")
    return work, run


def _queued(run) -> int:
    return sum(1 for line in run(sys.executable, "-m", "dvc", "queue", "status").splitlines() if " Queued" in line)


def test_documented_sweep_queues_one_experiment_per_value(tmp_path, repo_root):
    cmd = _documented_sweep(repo_root)
    assert cmd[:4] == ["dvc", "exp", "run", "--queue"]
    values = cmd[cmd.index("-S") + 1].split("=", 1)[1].split(",")
    assert len(values) >= 2
    work, run = _repo(tmp_path, repo_root)
    run(sys.executable, "-m", *cmd)
    assert _queued(run) == len(values)


def test_repeated_set_flags_queue_only_one(tmp_path, repo_root):
    work, run = _repo(tmp_path, repo_root)
    run(sys.executable, "-m", "dvc", "exp", "run", "--queue", "-S", "mnist.train.adv_weight=0.01",
        "-S", "mnist.train.adv_weight=0.1")
    assert _queued(run) == 1
