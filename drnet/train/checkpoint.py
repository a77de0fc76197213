"""Checkpoints: state_dicts only, loaded with ``weights_only=True`` (loading never executes code).

A checkpoint holds the state_dict of every module and optimizer, the step, torch RNG states, the resolved
params section, its resume key and the metric rows logged so far, so a killed run resumes to the same result
as an unbroken one. Files are written to a temporary name and renamed.

The resume key (stored under ``params_hash``) names everything the run is made from: the params hash, the
training store's ``frames_sha256`` and the sha256 of any upstream model file (``resume_key``). A checkpoint
whose key differs is never resumed: after a rebuilt store or a retrained DrNet, training starts over.
Every file is checked for the keys, kinds and tensor shapes it must have before anything is restored from it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from drnet.errors import DrnetError
from drnet.io import atomic_path

log = logging.getLogger(__name__)
FORMAT = "drnet-checkpoint-v1"
# What a final model file's ``extra`` must hold, by kind (written by the training loops).
MODEL_FILE_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "drnet": {"model": dict, "channels": int, "image_size": int},
    "ae": {"encoder": str, "latent_dim": int, "channels": int, "width": int, "image_size": int},
    "lstm": {"pose_dim": int, "content_dim": int, "hidden": int, "layers": int, "n_past": int, "n_future": int},
}
_TOP_KEYS: dict[str, type | tuple[type, ...]] = {"step": int, "modules": dict, "optimizers": dict, "rng": dict,
                                                 "params_hash": str, "extra": dict}


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module under DDP / torch.compile wrappers."""
    module = getattr(module, "module", module)
    return getattr(module, "_orig_mod", module)


def save_checkpoint(path: str | Path, *, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                    step: int, params: dict, params_hash: str, extra: dict[str, Any] | None = None) -> Path:
    state = {
        "format": FORMAT,
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
    from drnet.data.store import VideoStore

    return str(VideoStore(path).attrs.get("frames_sha256") or file_sha256(path))


def resume_key(params_hash: str, *, data: str | Path | None = None,
               upstream: Mapping[str, str | Path] | None = None) -> str:
    """The key a checkpoint is resumed under: ``params=<hash>;data=<frames_sha256>;<name>=<file sha256>...``.

    data: the training store (its frames_sha256); upstream: model files the run builds on, by name (e.g.
    ``{"drnet": "data/models/mnist/drnet.pt"}`` for the LSTM). Pass it as the training loops' ``params_hash``.
    """
    parts = {"params": params_hash}
    if data is not None:
        parts["data"] = store_sha256(data)
    for name, path in (upstream or {}).items():
        parts[name] = file_sha256(path)
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _key_parts(key: str) -> dict[str, str]:
    if "=" not in key:  # a checkpoint from before inputs were part of the key: its params hash alone
        return {"params": key}
    return dict(part.split("=", 1) for part in key.split(";") if "=" in part)


def key_mismatch(saved: str, current: str) -> str | None:
    """Why a checkpoint made under key ``saved`` must not be resumed under ``current`` (None: it may)."""
    if saved == current:
        return None
    old, new = _key_parts(saved), _key_parts(current)
    for name in new:
        if old.get(name) == new[name]:
            continue
        if name not in old:
            return f"before its {name} identity was recorded (cannot tell whether the {name} input is the same)"
        if name == "params":
            return f"with other params (hash {old[name][:12]} vs {new[name][:12]} now)"
        if name == "data":
            return (f"from other training data (store frames_sha256 {old[name][:12]} vs {new[name][:12]} now: the "
                    f"store was rebuilt)")
        return f"from another {name} model file (sha256 {old[name][:12]} vs {new[name][:12]} now: it was retrained)"
    return f"with another resume key ({saved[:40]} vs {current[:40]})"


def load_weights(path: str | Path, what: str = "checkpoint") -> Any:
    """``torch.load(path, weights_only=True)`` (no code runs) with one-line errors; every load goes through here.

    what: what the file is, for the messages (e.g. "checkpoint", "action classifier file").
    """
    path = Path(path)
    if not path.exists():
        raise DrnetError(f"{what} {path} not found; run the stage that writes it first")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for corrupt files
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DrnetError(f"{what} {path} cannot be loaded safely ({first}); delete it and re-run the stage that "
                         f"writes it") from None


def require(obj: Any, fields: Mapping[str, type | tuple[type, ...]], path: str | Path, what: str) -> None:
    """Refuse in one line unless ``obj`` is a dict holding each field with a value of the given kind."""
    if not isinstance(obj, dict):
        raise DrnetError(f"{path} is not a {what} (it holds a {type(obj).__name__}); delete it and re-run the stage "
                         f"that writes it")
    for name, kind in fields.items():
        value = obj.get(name)
        if name not in obj or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            kinds = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            found = "no such key" if name not in obj else f"found {type(value).__name__}"
            raise DrnetError(f"{path} is not a valid {what}: '{name}' must be a {kinds} ({found}); delete it and "
                             f"re-run the stage that writes it")


def _state_dict_shapes(saved: Any, expected: Mapping[str, torch.Tensor], path: str | Path, what: str) -> None:
    """Refuse unless ``saved`` maps exactly ``expected``'s names to tensors of the same shapes."""
    if not isinstance(saved, dict) or not all(isinstance(v, torch.Tensor) for v in saved.values()):
        raise DrnetError(f"{path}: {what} is not a mapping of tensors; the file is damaged or not a drnet file")
    missing, unexpected = sorted(set(expected) - set(saved)), sorted(set(saved) - set(expected))
    if missing or unexpected:
        detail = f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}"
        raise DrnetError(f"{path}: {what} do not fit this architecture ({detail}, {len(missing)} missing, "
                         f"{len(unexpected)} unexpected); the file was made with other model params: retrain or "
                         f"restore those params")
    for name, tensor in expected.items():
        if tuple(saved[name].shape) != tuple(tensor.shape):
            raise DrnetError(f"{path}: {what} do not fit this architecture ({name!r} has shape "
                             f"{list(saved[name].shape)}, expected {list(tensor.shape)}); the file was made with other "
                             f"model params: retrain or restore those params")


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint or model file safely; one line if it is missing, corrupt, not ours or malformed."""
    path = Path(path)
    state = load_weights(path, "checkpoint")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise DrnetError(f"{path} is not a drnet checkpoint; delete it and re-run training")
    require(state, _TOP_KEYS, path, "drnet checkpoint")
    for name, tensors in state["modules"].items():
        if not isinstance(tensors, dict):
            raise DrnetError(f"{path}: the '{name}' weights are not a state_dict; delete it and re-run training")
    kind = state["extra"].get("kind")
    if kind is not None:
        if kind not in MODEL_FILE_KEYS:
            raise DrnetError(f"{path} holds a model of unknown kind {str(kind)[:40]!r} (known: "
                             f"{', '.join(MODEL_FILE_KEYS)}); delete it and re-run training")
        _check_description(state["extra"], kind, path)
    return state


def _check_description(extra: dict, kind: str, path: Path) -> None:
    """A model file's own description of its architecture (``extra``): keys, kinds and sane sizes."""
    require(extra, MODEL_FILE_KEYS[kind], path, f"'{kind}' model file")
    for name, kind_of in MODEL_FILE_KEYS[kind].items():
        if kind_of is int and not 0 <= extra[name] <= 65536:
            raise DrnetError(f"{path}: the '{kind}' model file records {name}={extra[name]}, outside 0..65536; it is "
                             f"damaged or not a drnet file: retrain it")
    if kind == "drnet":
        from pydantic import ValidationError

        from drnet.params import DrnetModel

        try:
            DrnetModel.model_validate(extra["model"])
        except ValidationError as exc:
            err = exc.errors()[0]
            raise DrnetError(f"{path}: the model description is invalid ({'.'.join(map(str, err['loc']))}: "
                             f"{err['msg'][:120]}); it is damaged or not a drnet file: retrain it") from None


def restore_modules(state: dict, modules: dict[str, nn.Module], path: str | Path = "checkpoint") -> None:
    """Load module state_dicts; a checkpoint of another architecture is refused with one line."""
    for name, module in modules.items():
        if name not in state["modules"]:
            raise DrnetError(f"{path} has no '{name}' weights (it holds {sorted(state['modules'])}); "
                             f"it was written by another stage or architecture")
        _state_dict_shapes(state["modules"][name], unwrap(module).state_dict(), path, f"'{name}' weights")
        try:
            unwrap(module).load_state_dict(state["modules"][name])
        except RuntimeError as exc:
            detail = str(exc).strip().splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
            raise DrnetError(f"{path}: '{name}' weights do not fit this architecture ({detail[:200]}); the checkpoint "
                             f"was made with other model params: retrain or restore those params") from None


def load_state_dict_checked(module: nn.Module, saved: Any, path: str | Path, what: str) -> None:
    """``module.load_state_dict(saved)`` after checking names and shapes; one line when they do not fit."""
    _state_dict_shapes(saved, module.state_dict(), path, what)
    module.load_state_dict(saved)


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


def check_training_state(state: dict, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                         path: str | Path) -> None:
    """Refuse in one line unless ``state`` is a resumable checkpoint for these modules and optimizers."""
    path = Path(path)
    kind = state["extra"].get("kind")
    if kind is not None or (optimizers and not state["optimizers"]):
        raise DrnetError(f"{path} is a final {kind or 'model'} model file (no optimizer state), not a resumable "
                         f"training checkpoint; pass --checkpoint the checkpoint path (data/.../checkpoints/...)")
    for name in modules:
        if name not in state["modules"]:
            raise DrnetError(f"{path} has no '{name}' weights (it holds {sorted(state['modules'])}); it is the "
                             f"checkpoint of another stage: pass this stage's --checkpoint")
    for name, opt in optimizers.items():
        if name not in state["optimizers"]:
            raise DrnetError(f"{path} has no '{name}' optimizer state (it holds {sorted(state['optimizers'])}); it is "
                             f"the checkpoint of another stage: pass this stage's --checkpoint")
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
           optimizers: dict[str, torch.optim.Optimizer]) -> tuple[int, list[dict]]:
    """Continue from ``checkpoint_path`` if allowed; return (start step, metric rows logged so far).

    params_hash: the run's resume key (``resume_key``: params hash + data and upstream-model identities; a bare
    params hash also works). mode 'auto': resume when a checkpoint with the same key exists, else start fresh
    with one INFO line saying why; 'yes': a matching checkpoint is required; 'no': always start fresh.
    A file that is not a resumable checkpoint for these modules (a final model file, missing keys, wrong
    shapes) is refused in one line in every mode but 'no'.
    """
    path = Path(checkpoint_path)
    if mode == "no" or not path.exists():
        if mode == "yes":
            raise DrnetError(f"--resume yes but no checkpoint at {path}")
        return 0, []
    state = load_checkpoint(path)
    check_training_state(state, modules, optimizers, path)
    why = key_mismatch(state["params_hash"], params_hash)
    if why:
        if mode == "yes":
            raise DrnetError(f"--resume yes but {path} was made {why}; use --resume no (or auto) to start over")
        log.info("starting fresh, not resuming: %s was made %s", path, why)
        return 0, []
    start = restore_training(state, modules, optimizers, path)
    log.info("resumed from %s at step %d", path, start)
    return start, list(state["extra"].get("metrics", []))
