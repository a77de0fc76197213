"""What a run is made from: the params keys a training stage reads, the sub-tree they name, and its hash.

The stage registry (stages/dag/registry.py) lists each training stage's params keys with ``training_keys`` (DVC
and Snakemake re-run the stage when one changes), and the stage hashes the same keys' values into its resume key
(``tracked_params`` + ``params_hash``), so both agree on what the run is made from.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from pydantic import BaseModel

from drnet.params.schema import Params

# Params keys of each kind of training run; ``{dataset}`` is the dataset section it trains on.
TRAINING_KEYS: dict[str, tuple[str, ...]] = {
    "drnet": ("seed", "{dataset}.model", "{dataset}.train"),
    "lstm": ("seed", "{dataset}.lstm_model", "{dataset}.lstm"),
    "ae": ("seed", "{dataset}.baseline", "{dataset}.model.width", "{dataset}.train.max_step"),
}


def training_keys(kind: str, dataset: str) -> list[str]:
    """The params keys a ``kind`` training run (drnet, lstm, ae) on ``dataset`` reads, e.g. ``kth.train``."""
    return [key.format(dataset=dataset) for key in TRAINING_KEYS[kind]]


def tracked_params(params: dict, keys: list[str]) -> dict[str, Any]:
    """The values of the dotted ``keys`` in ``params``, each under its last part, in order.

    ``["seed", "kth.model", "kth.train.max_step"]`` -> ``{"seed": 0, "model": {...}, "max_step": None}``: the
    params a checkpoint records and its resume key hashes. Two keys ending alike are a programming error.
    """
    out: dict[str, Any] = {}
    for key in keys:
        # interned, as the same words written literally elsewhere in a model file are: pickle shares equal
        # objects, so the file's bytes stay those of a hand-written {"model": ...}
        name = sys.intern(key.rsplit(".", 1)[-1])
        if name in out:
            raise ValueError(f"params keys {keys} name '{name}' twice; the tracked values would collide")
        out[name] = lookup(params, key)
    return out


def lookup(params: dict, key: str) -> Any:
    """The value of dotted ``key`` in ``params``, or the schema's default where the file leaves it out."""
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:  # a value the file leaves out: the schema's default
            typed: Any = Params.model_validate(params)
            for name in key.split("."):
                typed = getattr(typed, name)
            return typed.model_dump() if isinstance(typed, BaseModel) else typed
        node = node[part]
    return node


def params_hash(obj: Any) -> str:
    """Short stable hash of a params (sub)tree, recorded in outputs for provenance."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]
