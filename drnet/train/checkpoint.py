"""Checkpoints: state_dicts only, loaded with ``weights_only=True`` (loading never executes code).

A checkpoint holds the state_dict of every module and optimizer, the step, torch RNG states, the resolved
params section and its hash, and the metric rows logged so far, so a killed run resumes to the same result
as an unbroken one. Files are written to a temporary name and renamed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from drnet.errors import DrnetError
from drnet.io import atomic_path

log = logging.getLogger(__name__)


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module under DDP / torch.compile wrappers."""
    module = getattr(module, "module", module)
    return getattr(module, "_orig_mod", module)


def save_checkpoint(path: str | Path, *, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                    step: int, params: dict, params_hash: str, extra: dict[str, Any] | None = None) -> Path:
    state = {
        "format": "drnet-checkpoint-v1",
        "step": step,
        "modules": {name: unwrap(m).state_dict() for name, m in modules.items()},
        "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
        "rng": {"torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []},
        "params": params,
        "params_hash": params_hash,
        "extra": extra or {},
    }
    save_torch(state, path)
    return Path(path)


def save_torch(obj: Any, path: str | Path) -> None:
    """``torch.save`` atomically, through a Python file so that a full disk raises OSError(ENOSPC), not a
    RuntimeError from the zip writer: the CLI turns that into one line and no partial file is left."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save(obj, fh)


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint safely; raise DrnetError with one line if it is missing, corrupt or not ours."""
    path = Path(path)
    if not path.exists():
        raise DrnetError(f"checkpoint {path} not found; run the training stage that writes it first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for corrupt files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DrnetError(
            f"checkpoint {path} cannot be loaded safely ({first}); delete it and re-run training") from None
    if not isinstance(state, dict) or state.get("format") != "drnet-checkpoint-v1":
        raise DrnetError(f"{path} is not a drnet checkpoint; delete it and re-run training")
    return state


def restore_modules(state: dict, modules: dict[str, nn.Module], path: str | Path = "checkpoint") -> None:
    """Load module state_dicts; a checkpoint of another architecture is refused with one line."""
    for name, module in modules.items():
        if name not in state["modules"]:
            raise DrnetError(f"{path} has no '{name}' weights (it holds {sorted(state['modules'])}); "
                             f"it was written by another stage or architecture")
        try:
            unwrap(module).load_state_dict(state["modules"][name])
        except RuntimeError as exc:
            detail = str(exc).strip().splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
            raise DrnetError(f"{path}: '{name}' weights do not fit this architecture ({detail}); the checkpoint was "
                             f"made with other model params: retrain or restore those params") from None


def restore_training(state: dict, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                     path: str | Path) -> int:
    """Restore modules, optimizers and RNG; return the step to continue from."""
    restore_modules(state, modules, path)
    for name, opt in optimizers.items():
        opt.load_state_dict(state["optimizers"][name])
    torch.set_rng_state(state["rng"]["torch"])
    if state["rng"]["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    return int(state["step"])


def resume(checkpoint_path: str | Path, params_hash: str, mode: str, modules: dict[str, nn.Module],
           optimizers: dict[str, torch.optim.Optimizer]) -> tuple[int, list[dict]]:
    """Continue from ``checkpoint_path`` if allowed; return (start step, metric rows logged so far).

    mode 'auto': resume when a checkpoint made with the same params exists, else start fresh; 'yes': a matching
    checkpoint is required; 'no': always start fresh.
    """
    path = Path(checkpoint_path)
    if mode == "no" or not path.exists():
        if mode == "yes":
            raise DrnetError(f"--resume yes but no checkpoint at {path}")
        return 0, []
    state = load_checkpoint(path)
    if state["params_hash"] != params_hash:
        if mode == "yes":
            raise DrnetError(f"{path} was made with other params (hash {state['params_hash']} vs {params_hash}); "
                             f"use --resume no to start over")
        log.warning("ignoring %s: made with other params", path)
        return 0, []
    start = restore_training(state, modules, optimizers, path)
    log.info("resumed from %s at step %d", path, start)
    return start, list(state["extra"].get("metrics", []))
