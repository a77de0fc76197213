"""Checkpoint and model files: the format, its checks, and loading a trained model by the file's kind.

A file holds state_dicts only and is loaded with ``weights_only=True`` (loading never executes code). A training
checkpoint holds the state_dict of every module and optimizer, the step, torch RNG states, the resolved params
section, its resume key and the metric rows logged so far (resuming: ``drnet.train.resume``). A final model file
holds the modules only (no optimizer or RNG state), and in ``extra`` its ``kind`` (drnet, ae, lstm, classifier)
with the architecture it was built with, so ``load_model`` rebuilds it from the file alone, never from params
(nanoGPT's ``model_args``).
Files are written to a temporary name and renamed. Every file is checked for the keys, kinds and tensor shapes
it must have before anything is restored from it; each refusal is one line that says what to do.

Layer: above ``drnet.models`` (it builds the networks), below ``drnet.train`` and everything that loads models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from drnet.errors import DrnetError
from drnet.io import atomic_path, file_digest
from drnet.models import DrNet
from drnet.models.autoencoder import AeFrameModel, AutoEncoder
from drnet.models.classifiers import ActionClassifier
from drnet.models.lstm import PoseLSTM
from drnet.params import DrnetModel
from drnet.params.schema import LstmModel

FORMAT = "drnet-checkpoint-v1"
# What a final model file's ``extra`` must hold, by kind (written by the training loops and the classifier stage).
MODEL_FILE_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "drnet": {"model": dict, "channels": int, "image_size": int},
    "ae": {"encoder": str, "latent_dim": int, "channels": int, "width": int, "image_size": int},
    "lstm": {"pose_dim": int, "content_dim": int, "hidden": int, "layers": int, "n_past": int, "n_future": int},
    "classifier": {"channels": int, "width": int, "clip_len": int, "image_size": int, "classes": list},
}
KIND_NAMES = {"drnet": "DrNet", "ae": "autoencoder", "lstm": "pose LSTM", "classifier": "action classifier"}
_TOP_KEYS: dict[str, type | tuple[type, ...]] = {"step": int, "modules": dict, "optimizers": dict, "rng": dict,
                                                 "params_hash": str, "extra": dict}
# The KTH action classifier's file before it was a checkpoint (a plain dict); still read.
_OLD_CLASSIFIER_KEYS: dict[str, type | tuple[type, ...]] = {"state_dict": dict, **MODEL_FILE_KEYS["classifier"]}


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
        # a model file (no optimizers) holds no RNG state: nothing resumes from it, and the RNG a loader consumed
        # would make a finished run, resumed and written again, a file of other bytes (its dependents re-run)
        "rng": {"torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []} if optimizers else {},
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
    return check_checkpoint(load_weights(path, "checkpoint"), path)


def check_checkpoint(state: Any, path: Path) -> dict:
    """``state`` (as loaded from ``path``) if it is a well-formed checkpoint or model file; else one line."""
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
    described = {"drnet": lambda: DrnetModel.model_validate(extra["model"]),
                 "lstm": lambda: LstmModel.model_validate({"hidden": extra["hidden"], "layers": extra["layers"]})}
    if kind in described:
        from pydantic import ValidationError

        try:
            described[kind]()
        except ValidationError as exc:
            err = exc.errors()[0]
            raise DrnetError(f"{path}: the model description is invalid ({'.'.join(map(str, err['loc']))}: "
                             f"{err['msg'][:120]}); it is damaged or not a drnet file: retrain it") from None


def _check_weights(state: dict, name: str, module: nn.Module, path: str | Path) -> None:
    """Refuse in one line unless the file holds ``name``'s weights with the names and shapes ``module`` has."""
    if name not in state["modules"]:
        raise DrnetError(f"{path} has no '{name}' weights (it holds {sorted(state['modules'])}); "
                         f"it was written by another stage or architecture")
    _state_dict_shapes(state["modules"][name], unwrap(module).state_dict(), path, f"'{name}' weights")


def restore_modules(state: dict, modules: dict[str, nn.Module], path: str | Path = "checkpoint") -> None:
    """Load module state_dicts; a checkpoint of another architecture is refused with one line."""
    for name, module in modules.items():
        _check_weights(state, name, module, path)
        try:
            unwrap(module).load_state_dict(state["modules"][name])
        except RuntimeError as exc:
            detail = str(exc).strip().splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
            raise DrnetError(f"{path}: '{name}' weights do not fit this architecture ({detail[:200]}); the checkpoint "
                             f"was made with other model params: retrain or restore those params") from None


def _built(state: dict, path: Path, construct: Callable[[], tuple[nn.Module, dict[str, nn.Module]]]) -> nn.Module:
    """``construct()``'s model (and its named parts) with the file's weights restored.

    The model is first built on the meta device (no memory) and its parts checked against the file's tensors, so
    a description asking for a network the weights do not fit (image size 65536, a 65536-cell LSTM) is refused
    in one line before anything is allocated.
    """
    kind = state["extra"]["kind"]
    try:
        with torch.device("meta"):
            _, parts = construct()
    except ValueError as exc:
        raise DrnetError(f"{path}: the '{kind}' model file describes a network that cannot be built ({exc}); it is "
                         f"damaged or not a drnet file: retrain it") from None
    for name, module in parts.items():
        _check_weights(state, name, module, path)
    model, parts = construct()
    restore_modules(state, parts, path)
    return model


def load_state_dict_checked(module: nn.Module, saved: Any, path: str | Path, what: str) -> None:
    """``module.load_state_dict(saved)`` after checking names and shapes; one line when they do not fit."""
    _state_dict_shapes(saved, module.state_dict(), path, what)
    module.load_state_dict(saved)


def _old_classifier(state: dict, path: Path) -> dict:
    """A classifier file of the old plain-dict format, as the checkpoint it would be today."""
    require(state, _OLD_CLASSIFIER_KEYS, path, "KTH action classifier file (written by stages.kth_classifier)")
    extra = {"kind": "classifier", **{k: state[k] for k in MODEL_FILE_KEYS["classifier"]}}
    return {"format": FORMAT, "step": 0, "modules": {"classifier": state["state_dict"]}, "optimizers": {},
            "rng": {}, "params": {}, "params_hash": "", "extra": extra}


def _build_drnet(state: dict, path: Path) -> nn.Module:
    extra = state["extra"]

    def construct() -> tuple[nn.Module, dict[str, nn.Module]]:
        model = DrNet(DrnetModel(**extra["model"]), channels=extra["channels"], image_size=extra["image_size"])
        return model, {"content_encoder": model.content_encoder, "pose_encoder": model.pose_encoder,
                       "decoder": model.decoder, "discriminator": model.discriminator}

    return _built(state, path, construct)


def _build_ae(state: dict, path: Path) -> nn.Module:
    extra = state["extra"]

    def construct() -> tuple[nn.Module, dict[str, nn.Module]]:
        ae = AutoEncoder(extra["encoder"], extra["latent_dim"], extra["channels"], extra["width"],
                         extra["image_size"])
        return AeFrameModel(ae), {"ae": ae}

    return _built(state, path, construct)


def _build_lstm(state: dict, path: Path) -> nn.Module:
    extra = state["extra"]

    def construct() -> tuple[nn.Module, dict[str, nn.Module]]:
        lstm = PoseLSTM(extra["pose_dim"], extra["content_dim"], extra["hidden"], extra["layers"],
                        normalize=extra.get("normalize", False), standardize=extra.get("standardize", False))
        return lstm, {"lstm": lstm}

    return _built(state, path, construct)


def _build_classifier(state: dict, path: Path) -> nn.Module:
    extra = state["extra"]
    sizes = {k: extra[k] for k in ("channels", "width", "clip_len", "image_size")}
    if not extra["classes"] or not all(1 <= v <= 4096 for v in sizes.values()):
        raise DrnetError(f"{path}: the action classifier file records no classes or sizes out of range ({sizes}); "
                         f"delete it and re-run the kth_classifier stage")
    try:
        model = ActionClassifier(extra["channels"], len(extra["classes"]), extra["width"], extra["clip_len"],
                                 extra["image_size"])
    except ValueError as exc:
        raise DrnetError(f"{path}: {exc}; delete it and re-run the kth_classifier stage") from None
    if "classifier" not in state["modules"]:
        raise DrnetError(f"{path} has no 'classifier' weights (it holds {sorted(state['modules'])}); delete it and "
                         f"re-run the kth_classifier stage")
    load_state_dict_checked(model, state["modules"]["classifier"], path, "the action classifier's weights")
    return model


_BUILDERS = {"drnet": _build_drnet, "ae": _build_ae, "lstm": _build_lstm, "classifier": _build_classifier}


def load_model(path: str | Path, kinds: Iterable[str], device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the trained model a model file holds, in eval mode on ``device``; return (model, file state).

    kinds: the kinds the caller accepts (drnet, ae, lstm, classifier); a file of another kind is refused in one
    line. The architecture comes from the file. Models: ``drnet`` -> ``DrNet``, ``ae`` -> ``AeFrameModel`` (the
    autoencoder behind the DrNet interface), ``lstm`` -> ``PoseLSTM``, ``classifier`` -> ``ActionClassifier``.
    """
    path, kinds = Path(path), tuple(kinds)
    unknown = [k for k in kinds if k not in _BUILDERS]
    if unknown or not kinds:
        raise ValueError(f"kinds must name some of {', '.join(_BUILDERS)}, got {kinds}")
    wanted = " or ".join(KIND_NAMES[k] for k in kinds)
    raw = load_weights(path, f"{wanted} file")
    if isinstance(raw, dict) and "format" not in raw and "state_dict" in raw:
        raw = _old_classifier(raw, path)
    state = check_checkpoint(raw, path)
    kind = state["extra"].get("kind")
    if kind is None:
        raise DrnetError(f"{path} is a resumable training checkpoint, not a {wanted} model file; pass the file the "
                         f"train stage wrote with --model-out")
    if kind not in kinds:
        raise DrnetError(f"{path} holds a '{kind}' model, not a {wanted}; pass the {kinds[0]} model file")
    return _BUILDERS[kind](state, path).to(device).eval(), state


def load_pinned_weights(path: str | Path, sha256: str, what: str, source: str) -> Any:
    """``load_weights`` of a file fetched by hand, after checking its sha256; one line naming the file to fetch and
    where to put it when it is absent or another file."""
    path = Path(path)
    if not path.is_file():
        raise DrnetError(f"{what} {path} not found; fetch {source} and put it at {path}")
    digest = file_digest(path)
    if digest != sha256:
        raise DrnetError(f"{what} {path} has sha256 {digest[:16]}..., not the {sha256[:16]}... params name; fetch "
                         f"{source} again and put it at {path} (or set params to this file's sha256)")
    return load_weights(path, what)


def fetched_fits(saved: Any, expected: Mapping[str, torch.Tensor], path: str | Path, what: str, source: str) -> None:
    """``_state_dict_shapes`` for a fetched file: the advice is to fetch the right file, not to retrain."""
    try:
        _state_dict_shapes(saved, expected, path, what)
    except DrnetError as exc:
        raise DrnetError(f"{str(exc).split('; the file')[0]}; it is not {source}: fetch that file and put it at "
                         f"{path}") from None
