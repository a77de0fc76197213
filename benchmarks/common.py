"""Shared helpers for benchmarks: a small store to read, machine info, JSON results."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent / "out"


def machine() -> dict:
    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "platform": platform.platform(), "python": platform.python_version()}


def write(name: str, result: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    result = {"benchmark": name, "machine": machine(), "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **result}
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    return path


def demo_store(path: Path, sequences: int = 300) -> Path:
    """A bouncing-MNIST store (embedded digits) to benchmark on."""
    from drnet.data.mnist import build_split
    from drnet.params import load_params, section

    if not path.exists():
        cfg = section(load_params(variant="demo"), "mnist").data.model_copy(update={"train_sequences": sequences})
        build_split(path, "train", cfg, seed=0)
    return path
