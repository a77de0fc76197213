"""Resuming a training run: the resume key, and restoring modules, optimizers and RNG from a checkpoint.

The resume key (stored under a checkpoint's ``params_hash``) names everything the run is made from: the params
hash, the training store's ``frames_sha256``, the sha256 of any upstream model file, the digest of the code the
stage runs and the runtime settings that change results (``resume_key``). A checkpoint whose key differs is never
resumed: after a rebuilt store, a retrained DrNet or an edit of the training code, training starts over. Only
``DRNET_RESUME_ACROSS_CODE=1`` in the environment resumes a checkpoint whose key differs in its code alone (a
long run kept across an edit its user knows to be unrelated; never the default).
A file that is not a resumable checkpoint for the run's modules and optimizers is refused in one line before
anything is restored from it. The file format itself lives in ``drnet.checkpoint``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from drnet.checkpoint import load_checkpoint, restore_modules
from drnet.data.store import VideoStore
from drnet.errors import DrnetError

log = logging.getLogger(__name__)

ACROSS_CODE_ENV = "DRNET_RESUME_ACROSS_CODE"  # "1": resume a checkpoint of other code (the key's code part alone)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise DrnetError(f"{path} not found; run the stage that writes it first") from None
    except OSError as exc:
        raise DrnetError(f"cannot read {path} ({exc.strerror}); pass the model file the stage wrote") from None
    return digest.hexdigest()


def store_sha256(path: str | Path) -> str:
    """The content identity of a video store: its ``frames_sha256`` attribute (the file's sha256 if absent)."""
    return str(VideoStore(path).attrs.get("frames_sha256") or file_sha256(path))


def resume_key(params_hash: str, *, data: str | Path | None = None,
               upstream: Mapping[str, str | Path] | None = None, code: str | None = None,
               runtime: str | None = None) -> str:
    """The key a checkpoint is resumed under: ``params=<hash>;data=<frames_sha256>;<name>=<file sha256>...;
    code=<digest>;runtime=<settings>``.

    data: the training store (its frames_sha256); upstream: model files the run builds on, by name (e.g.
    ``{"drnet": "data/models/mnist/drnet.pt"}`` for the LSTM); code: the digest of the source files the stage
    runs (computed by the caller: the library does not know the stage's files); runtime: the runtime settings
    that change results (``drnet.runtime.context.result_settings``). Pass it as the training loops' ``params_hash``.
    """
    parts = {"params": params_hash}
    if data is not None:
        parts["data"] = store_sha256(data)
    for name, path in (upstream or {}).items():
        parts[name] = file_sha256(path)
    if code is not None:
        parts["code"] = code
    if runtime is not None:
        parts["runtime"] = runtime
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _key_parts(key: str) -> dict[str, str]:
    if "=" not in key:  # a checkpoint from before inputs were part of the key: its params hash alone
        return {"params": key}
    return dict(part.split("=", 1) for part in key.split(";") if "=" in part)


def key_mismatch(saved: str, current: str, ignore: Collection[str] = ()) -> str | None:
    """Why a checkpoint made under key ``saved`` must not be resumed under ``current`` (None: it may); the parts
    named in ``ignore`` (e.g. ``code``) are not compared."""
    if saved == current:
        return None
    old, new = _key_parts(saved), _key_parts(current)
    for name in new:
        if name in ignore or old.get(name) == new[name]:
            continue
        if name not in old:
            return f"before its {name} identity was recorded (cannot tell whether the {name} input is the same)"
        if name == "params":
            return f"with other params (hash {old[name][:12]} vs {new[name][:12]} now)"
        if name == "code":
            return (f"with other code (digest {old[name][:12]} vs {new[name][:12]} now: a source file the stage runs "
                    f"was edited; {ACROSS_CODE_ENV}=1 keeps it across an edit you know to be unrelated)")
        if name == "runtime":
            return f"with other runtime settings ({old[name]} vs {new[name]} now)"
        if name == "data":
            return (f"from other training data (store frames_sha256 {old[name][:12]} vs {new[name][:12]} now: the "
                    f"store was rebuilt)")
        return f"from another {name} model file (sha256 {old[name][:12]} vs {new[name][:12]} now: it was retrained)"
    if ignore and all(old.get(name) == value for name, value in new.items() if name not in ignore):
        return None
    return f"with another resume key ({saved[:40]} vs {current[:40]})"


def _check_optimizer(saved: Any, opt: torch.optim.Optimizer, name: str, path: Path) -> None:
    """Refuse unless ``saved`` is an optimizer state_dict whose groups and per-parameter state fit ``opt``."""
    what = f"the '{name}' optimizer state"
    if not isinstance(saved, dict) or not isinstance(saved.get("state"), dict) \
            or not isinstance(saved.get("param_groups"), list):
        raise DrnetError(f"{path}: {what} is not an optimizer state_dict (needs 'state' and 'param_groups'); "
                         f"delete the checkpoint and re-run training")
    groups = saved["param_groups"]
    sizes = [len(g.get("params", [])) if isinstance(g, dict) else -1 for g in groups]
    want = [len(g["params"]) for g in opt.param_groups]
    if sizes != want:
        raise DrnetError(f"{path}: {what} has parameter groups of sizes {sizes[:8]}, expected {want[:8]}; it was "
                         f"made for another model: use --resume no to start over")
    params = {pid: p for g, group in zip(groups, opt.param_groups) for pid, p in zip(g["params"], group["params"])}
    for pid, entries in saved["state"].items():
        if pid not in params or not isinstance(entries, dict):
            raise DrnetError(f"{path}: {what} holds state for unknown parameter {str(pid)[:20]}; use --resume no to "
                             f"start over")
        for key, value in entries.items():
            if not isinstance(value, torch.Tensor):
                continue
            if value.ndim and tuple(value.shape) != tuple(params[pid].shape):
                raise DrnetError(f"{path}: {what} '{key}' of parameter {pid} has shape {list(value.shape)}, expected "
                                 f"{list(params[pid].shape)}; it was made for another model: use --resume no to "
                                 f"start over")


def check_checkpoint_of_stage(state: dict, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                              path: str | Path) -> None:
    """Refuse in one line unless ``state`` is a training checkpoint holding these modules and optimizers (not a
    final model file, not another stage's checkpoint): such a file is never overwritten by a fresh start."""
    path = Path(path)
    kind = state["extra"].get("kind")
    if kind is not None or (optimizers and not state["optimizers"]):
        raise DrnetError(f"{path} is a final {kind or 'model'} model file (no optimizer state), not a resumable "
                         f"training checkpoint; pass --checkpoint the checkpoint path (data/.../checkpoints/...)")
    for name in modules:
        if name not in state["modules"]:
            raise DrnetError(f"{path} has no '{name}' weights (it holds {sorted(state['modules'])}); it is the "
                             f"checkpoint of another stage: pass this stage's --checkpoint")
    for name in optimizers:
        if name not in state["optimizers"]:
            raise DrnetError(f"{path} has no '{name}' optimizer state (it holds {sorted(state['optimizers'])}); it is "
                             f"the checkpoint of another stage: pass this stage's --checkpoint")


def check_training_state(state: dict, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                         path: str | Path) -> None:
    """Refuse in one line unless ``state`` is a resumable checkpoint for these modules and optimizers."""
    path = Path(path)
    check_checkpoint_of_stage(state, modules, optimizers, path)
    for name, opt in optimizers.items():
        _check_optimizer(state["optimizers"][name], opt, name, path)
    rng = state["rng"].get("torch")
    if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8 or rng.shape != torch.get_rng_state().shape:
        raise DrnetError(f"{path}: the saved torch RNG state is missing or malformed; delete the checkpoint and "
                         f"re-run training")
    metrics = state["extra"].get("metrics", [])
    if not isinstance(state["rng"].get("cuda", []), list) or not isinstance(metrics, list) \
            or not all(isinstance(row, dict) for row in metrics):
        raise DrnetError(f"{path}: the saved CUDA RNG states or metric rows are malformed; delete the checkpoint and "
                         f"re-run training")
    if state["step"] < 0:
        raise DrnetError(f"{path}: step {state['step']} is negative; delete the checkpoint and re-run training")


def restore_training(state: dict, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                     path: str | Path) -> int:
    """Restore modules, optimizers and RNG (after ``check_training_state``); return the step to continue from."""
    check_training_state(state, modules, optimizers, path)
    restore_modules(state, modules, path)
    for name, opt in optimizers.items():
        opt.load_state_dict(state["optimizers"][name])
    torch.set_rng_state(state["rng"]["torch"])
    if state["rng"]["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    return int(state["step"])


def resume(checkpoint_path: str | Path, params_hash: str, mode: str, modules: dict[str, nn.Module],
           optimizers: dict[str, torch.optim.Optimizer]) -> tuple[int, list[dict], str]:
    """Continue from ``checkpoint_path`` if allowed; return (start step, metric rows logged so far, the key the
    run goes on under).

    params_hash: the run's resume key (``resume_key``: params hash + data, upstream-model, code and runtime
    identities; a bare params hash also works). mode 'auto': resume when a checkpoint with the same key exists,
    else start fresh with one INFO line saying why; 'yes': a matching checkpoint is required; 'no': always start
    fresh. With ``DRNET_RESUME_ACROSS_CODE=1`` a key that differs in its code part alone still resumes (one
    WARNING line) and the run goes on under the checkpoint's own key: it stays the run it was, so a finished run
    rewrites the same model file and what was trained from that file is not retrained.
    A file that is not a resumable checkpoint for these modules (a final model file, missing keys, wrong
    shapes) is refused in one line in every mode but 'no'.
    """
    path = Path(checkpoint_path)
    if mode == "no" or not path.exists():
        if mode == "yes":
            raise DrnetError(f"--resume yes but no checkpoint at {path}")
        return 0, [], params_hash
    state = load_checkpoint(path)
    # What the file is first, then whether it was made from these inputs: a checkpoint of other params (say another
    # pose size) starts a fresh run in 'auto' mode, not a shape error; shapes are checked once the key matches.
    check_checkpoint_of_stage(state, modules, optimizers, path)
    why = key_mismatch(state["params_hash"], params_hash)
    if why and os.environ.get(ACROSS_CODE_ENV) == "1" and key_mismatch(state["params_hash"], params_hash, {"code"}) \
            is None:
        log.warning("%s=1: resuming %s although it was made %s", ACROSS_CODE_ENV, path, why)
        why, params_hash = None, state["params_hash"]
    if why:
        if mode == "yes":
            raise DrnetError(f"--resume yes but {path} was made {why}; use --resume no (or auto) to start over")
        log.info("starting fresh, not resuming: %s was made %s", path, why)
        return 0, [], params_hash
    start = restore_training(state, modules, optimizers, path)
    log.info("resumed from %s at step %d", path, start)
    # metric names interned, as the loop's literal names are: pickle shares equal objects, so a finished run
    # resumed and written again gives a file of the same bytes
    rows = [{sys.intern(name): value for name, value in row.items()} for row in state["extra"].get("metrics", [])]
    return start, rows, params_hash
