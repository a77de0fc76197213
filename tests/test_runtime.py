"""Device choice: a GPU machine whose torch cannot use CUDA warns loudly; runtime.device cuda without CUDA fails
in one line. And the lock file pins only versions a user's pip can resolve."""

import logging
import re
from pathlib import Path

import pytest

from drnet.errors import DrnetError
from drnet.runtime import context as runtime

ROOT = Path(__file__).resolve().parent.parent



def test_auto_warns_when_a_gpu_is_expected_but_torch_has_no_cuda(no_cuda, monkeypatch, caplog):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with caplog.at_level(logging.WARNING, logger="drnet.runtime.context"):
        assert runtime.pick_device("auto") is False
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.getMessage().startswith("WARNING: CUDA_VISIBLE_DEVICES=0")
    assert "cannot use CUDA" in record.getMessage()


def test_auto_warns_when_nvidia_smi_is_present(no_cuda, monkeypatch, caplog):
    monkeypatch.setattr(runtime.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    with caplog.at_level(logging.WARNING, logger="drnet.runtime.context"):
        runtime.pick_device("auto")
    assert "nvidia-smi is installed" in caplog.text


def test_auto_is_quiet_on_a_cpu_machine(no_cuda, caplog):
    with caplog.at_level(logging.WARNING, logger="drnet.runtime.context"):
        assert runtime.pick_device("auto") is False and runtime.pick_device("cpu") is False
    assert caplog.records == []


def test_cuda_without_cuda_fails_in_one_line(no_cuda):
    with pytest.raises(DrnetError) as err:
        runtime.pick_device("cuda")
    message = str(err.value)
    assert "\n" not in message and "runtime.device is 'cuda'" in message and "set runtime.device" in message


def test_lock_pins_no_local_build_labels():
    """`torch==2.13.0+cpu` exists only on PyTorch's own index; a lock a user's pip resolves has plain versions."""
    pins = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    local = [p for p in pins if re.search(r"==[^=]*\+", p)]
    assert local == []
    assert "torch==2.13.0" in pins


def test_threads_default_to_owned_cores_less_loader_workers(monkeypatch):
    from drnet.params import Runtime

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert runtime.intra_op_threads(Runtime(threads=0, num_workers=0)) == 4
    assert runtime.intra_op_threads(Runtime(threads=0, num_workers=2)) == 2
    assert runtime.intra_op_threads(Runtime(threads=0, num_workers=8)) == 1
    assert runtime.intra_op_threads(Runtime(threads=3, num_workers=2)) == 3  # explicit wins
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # what Snakemake grants the rule
    assert runtime.intra_op_threads(Runtime(threads=0, num_workers=1)) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "junk")
    assert runtime.intra_op_threads(Runtime(threads=0, num_workers=1)) == 3
