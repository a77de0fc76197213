from __future__ import annotations

import os
from pathlib import Path

# Before torch is imported: on 2 shared cores, spinning OpenMP threads make tiny ops ~100x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import pytest  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
torch.set_num_threads(2)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def demo_params() -> dict:
    from drnet.params import load_params

    return load_params(ROOT / "params.yaml", "demo")
