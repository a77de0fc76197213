"""params.yaml: schema, validation, the demo overlay and command-line overrides.

Every knob of the pipeline lives in ``params.yaml``; one section per dataset, each with sub-sections per stage.
The ``demo`` top-level section is an overlay (tiny sizes, embedded sources) deep-merged over the paper
defaults when a stage runs with ``--variant demo``. Validation refuses unknown keys and out-of-range values
with one line naming the key and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import reprlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from drnet.errors import DrnetError

VARIANTS = ("paper", "demo", "proof")  # demo: tiny overlay; proof: the CPU disentanglement run
PosInt = Field(gt=0)
SEED_MAX = 2**32 - 1  # numpy's and torch's seeding range; larger seeds overflow inside torch
ECHO_CHARS = 80  # longest value echoed back in an error message


INT_MAX = 2**31 - 1  # largest integer any knob takes (counts, sizes, steps): beyond it torch/numpy overflow


class Strict(BaseModel):
    # allow_inf_nan=False: .inf / .nan are refused for every float in the schema (weights, lrs, timeouts, ...)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _ints_in_range(cls, value: Any, info: ValidationInfo) -> Any:
        """Every integer of the schema (also inside lists) lies within +-INT_MAX; fields may bound it tighter
        (seeds have their own range, 0..SEED_MAX)."""
        if info.field_name == "seed":
            return value
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT_MAX:
                raise ValueError(f"integers must lie within +-{INT_MAX} (2**31 - 1)")
        return value


class Runtime(Strict):
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["fp32", "bf16", "fp64"] = "fp32"
    num_workers: int = Field(2, ge=0, le=64)
    threads: int = Field(0, ge=0, le=256, description="torch intra-op threads; 0 = the cores the job owns "
                         "(OMP_NUM_THREADS or the affinity mask) less one per loader worker, at least 1")
    channels_last: bool = True
    compile: bool = False


class Download(Strict):
    mirrors: list[str] = Field(min_length=1)
    retries: int = Field(3, ge=0, le=20)
    timeout_s: float = Field(60.0, gt=0)


class DrnetModel(Strict):
    content_encoder: Literal["dcgan64", "resnet18", "vgg16_unet"] = "dcgan64"
    pose_encoder: Literal["dcgan64", "resnet18"] = "dcgan64"
    decoder: Literal["dcgan64", "vgg16_unet"] = "dcgan64"
    content_dim: int = Field(128, gt=0, le=4096)
    pose_dim: int = Field(10, gt=0, le=4096)
    width: int = Field(64, gt=0, le=1024, description="base channel count of the conv nets (DCGAN nf)")
    disc_hidden: int = Field(100, gt=0, le=4096)
    normalize: bool = Field(True, description="unit-norm pose vectors and LSTM predictions (paper; both codes)")
    normalize_content: bool = Field(True, description="unit-norm content vectors too (paper text, Lua drnet; "
                                                      "drnet-py normalises pose only)")

    @model_validator(mode="after")
    def _unet_pairs(self) -> DrnetModel:
        if (self.content_encoder == "vgg16_unet") != (self.decoder == "vgg16_unet"):
            raise ValueError("content_encoder and decoder must both be vgg16_unet (U-Net skips) or neither")
        return self


class DrnetTrain(Strict):
    steps: int = Field(gt=0)
    batch_size: int = Field(100, gt=1, le=8192)
    lr: float = Field(0.002, gt=0, le=1)
    beta1: float = Field(0.5, ge=0, lt=1)
    max_step: int | None = Field(20, gt=0, description="largest frame offset k between x_t and x_t+k; null: any "
                                                      "two frames of the clip (authors' KTH loader)")
    fresh_clips: bool = Field(False, description="draw a new clip for every item (MNIST; authors) instead of "
                                                 "reusing the store's fixed training clips")
    sim_weight: float = Field(1.0, ge=0, description="alpha: weight of the content similarity loss")
    adv_weight: float = Field(1e-4, ge=0, description="beta: weight of the pose encoder's adversarial loss")
    checkpoint_every: int = Field(500, gt=0)
    log_every: int = Field(10, gt=0)


class LstmModel(Strict):
    hidden: int = Field(256, gt=0, le=8192)
    layers: int = Field(2, gt=0, le=16)


class LstmTrain(Strict):
    steps: int = Field(gt=0)
    batch_size: int = Field(100, gt=0, le=8192)
    lr: float = Field(0.002, gt=0, le=1)
    beta1: float = Field(0.5, ge=0, lt=1)
    n_past: int = Field(gt=0)
    n_future: int = Field(gt=0)
    fresh_clips: bool = Field(False, description="a new clip for every item (MNIST), as train.fresh_clips")
    checkpoint_every: int = Field(500, gt=0)
    log_every: int = Field(10, gt=0)


class Generate(Strict):
    length: int = Field(500, gt=0, le=100_000, description="frames generated after the observed ones")
    n_clips: int = Field(4, gt=0, le=1024)
    fps: int = Field(10, gt=0, le=60)


class Probe(Strict):
    n_train: int = Field(2000, gt=10)
    max_iter: int = Field(2000, gt=0)
    position_bins: int = Field(4, gt=1, le=64, description="digit position is probed as a bins x bins grid cell")


class SwapEval(Strict):
    """The swap measure of disentanglement (drnet.eval.disentangle)."""

    reader_steps: int = Field(1500, gt=0, description="training steps of the reader network (real frames only)")
    reader_batch: int = Field(128, gt=1, le=4096)
    reader_width: int = Field(32, gt=0, le=512)
    n_pairs: int = Field(1000, gt=0, description="content/pose test pairs swapped")
    offsets: list[int] = Field([10, 100, 500], min_length=1, description="LSTM generation offsets scored")
    n_clips: int = Field(100, gt=0, description="test clips generated for the over-time scores")


class MnistData(Strict):
    source: Literal["idx", "sklearn_digits"] = "idx"
    image_size: Literal[32, 64, 128] = 64
    digit_size: int = Field(32, gt=0)
    num_digits: int = Field(2, ge=1, le=3)
    train_sequences: int = Field(10000, gt=1)
    test_sequences: int = Field(1000, gt=1)
    seq_len: int = Field(25, gt=1)
    max_speed: int = Field(4, gt=0, description="largest per-frame displacement in pixels")

    @model_validator(mode="after")
    def _digit_fits(self) -> MnistData:
        if self.digit_size >= self.image_size:
            raise ValueError(f"digit_size ({self.digit_size}) must be smaller than image_size ({self.image_size})")
        return self


class Mnist(Strict):
    download: Download
    data: MnistData
    model: DrnetModel
    train: DrnetTrain
    lstm_model: LstmModel
    lstm: LstmTrain
    generate: Generate
    probe: Probe
    disentangle: SwapEval

    @model_validator(mode="after")
    def _lengths(self) -> Mnist:
        if self.train.max_step is not None and self.train.max_step >= self.data.seq_len:
            raise ValueError(f"train.max_step ({self.train.max_step}) must be < data.seq_len ({self.data.seq_len})")
        if self.lstm.n_past + self.lstm.n_future > self.data.seq_len:
            raise ValueError(
                f"lstm.n_past + lstm.n_future ({self.lstm.n_past + self.lstm.n_future}) must be <= "
                f"data.seq_len ({self.data.seq_len})"
            )
        if not self.train.fresh_clips and self.train.batch_size > self.data.train_sequences:
            raise ValueError("train.batch_size must be <= data.train_sequences (each batch uses distinct clips)")
        return self


class Params(Strict):
    seed: int = Field(0, ge=0, le=SEED_MAX)
    runtime: Runtime = Runtime()
    mnist: Mnist
    # Other dataset sections are validated by their own models when present (see SECTION_MODELS).
    model_config = ConfigDict(extra="allow", frozen=True)


SECTION_MODELS: dict[str, type[BaseModel]] = {"mnist": Mnist}


def register_section(name: str, model: type[BaseModel]) -> None:
    """Register the schema of a dataset section (e.g. ``kth``) so that load_params validates it."""
    SECTION_MODELS[name] = model


class _AliasRefused(yaml.composer.ComposerError):
    """A YAML alias (``*name``) in a params text: refused, so that no alias bomb can expand."""


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases: params files never need them, and nested aliases (a "billion
    laughs" bomb) expand into values that take minutes to validate, hash or echo."""

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(None, None, f"alias *{event.anchor}", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201 - PyYAML's signature
        """A key given twice is refused (PyYAML keeps the last one silently: a pasted second ``train:`` section
        would replace the first without a word)."""
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # an unhashable key: PyYAML's own error follows
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {str(key)[:ECHO_CHARS]!r} is given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def safe_yaml(text: str, what: str) -> Any:
    """Parse params YAML (a file or one ``--set`` value) without code and without aliases; one-line errors."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise DrnetError(f"{what} nests YAML too deeply to read; params are a few levels deep") from None
    except _AliasRefused as exc:
        raise DrnetError(f"{what} uses a YAML alias ({exc.problem}) at line {exc.problem_mark.line + 1}; aliases "
                         f"are not allowed in params, write the value out") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise DrnetError(f"{what} is not valid YAML{where} ({problem}); fix the syntax") from None


def echo(value: Any) -> str:
    """A short repr of a user-given value for an error message (at most ECHO_CHARS characters)."""
    short = reprlib.Repr()
    short.maxlevel, short.maxlist, short.maxdict, short.maxstring = 3, 6, 6, ECHO_CHARS
    text = short.repr(value)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS - 3] + "..."


def deep_merge(base: dict, overlay: dict) -> dict:
    """Return ``base`` with ``overlay`` merged in recursively (overlay wins; lists are replaced)."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``a.b.c=value`` (value read as YAML) into (["a", "b", "c"], value)."""
    if "=" not in text:
        raise DrnetError(f"override {echo(text)} is not of the form section.key=value (e.g. mnist.train.steps=100)")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise DrnetError(f"override {echo(text)} has an empty key; write section.key=value")
    return parts, safe_yaml(raw, f"override {echo(text)}: the value")


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    out = copy.deepcopy(raw)
    for text in overrides:
        parts, value = parse_override(text)
        node = out
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise DrnetError(f"override {echo(text)}: {'.'.join(parts[:-1])} is not a section of params.yaml")
            node = node[part]
        if parts[-1] not in node:
            allowed = ", ".join(sorted(map(str, node)))
            key = ".".join(parts)[:ECHO_CHARS]
            raise DrnetError(f"override {echo(text)}: unknown key {key}; allowed here: {allowed}")
        node[parts[-1]] = value
    return out


def _format_error(exc: ValidationError, prefix: str, source: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p)[:ECHO_CHARS] for p in (prefix, *err["loc"]) if p != "")
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown key {loc}; check its spelling against the documented keys of its section"
    value = err.get("input")
    got = "" if isinstance(value, dict) else f" (got {echo(value)})"
    msg = err["msg"].replace("Value error, ", "")
    return f"{source}: {loc}: {msg}{got}"


def resolve(raw: dict, variant: str = "paper") -> dict:
    """Apply the variant's overlay (``demo:`` or ``proof:``) over the paper values; return the plain merged dict."""
    if variant not in VARIANTS:
        raise DrnetError(f"unknown variant {variant!r}; use one of: {', '.join(VARIANTS)}")
    base = {k: v for k, v in raw.items() if k not in VARIANTS}
    for name in VARIANTS[1:]:
        if not isinstance(raw.get(name) or {}, dict):
            raise DrnetError(f"params: {name} must be a mapping of sections (the overlay), got {echo(raw[name])}")
    if variant != "paper":
        base = deep_merge(base, raw.get(variant) or {})
    return base


def validate(merged: dict, source: str = "params.yaml") -> dict:
    """Validate every known section; raise DrnetError with one line on the first problem.

    Returns the validated values as a plain dict with the keys of ``merged`` (coerced: ``seed: '7'`` -> 7, YAML's
    ``1e-3`` string -> 0.001), so that callers never use a value the schema has not checked.
    """
    _register_all()
    unknown = sorted(str(k) for k in set(merged) - {"seed", "runtime", *VARIANTS} - set(SECTION_MODELS))
    if unknown:
        raise DrnetError(
            f"{source}: unknown section {echo(unknown[0])}; known sections: "
            f"{', '.join(sorted({'seed', 'runtime', *SECTION_MODELS}))}"
        )
    for name in VARIANTS[1:]:
        if not isinstance(merged.get(name) or {}, dict):
            raise DrnetError(f"{source}: {name} must be a mapping of sections (the overlay), got {echo(merged[name])}")
    try:
        values = Params.model_validate(merged).model_dump(exclude_unset=True)
        for name, model in SECTION_MODELS.items():
            if name in merged and name != "mnist":
                values[name] = model.model_validate(merged[name]).model_dump(exclude_unset=True)
    except ValidationError as exc:
        title = exc.title
        prefix = "" if title == "Params" else next(
            (n for n, m in SECTION_MODELS.items() if m.__name__ == title and n != "mnist"), ""
        )
        raise DrnetError(_format_error(exc, prefix, source)) from None
    return values


def _register_all() -> None:
    import drnet.params_datasets  # noqa: F401  (registers the kth, norb and chairs sections)


def load_raw(path: str | Path = "params.yaml") -> dict:
    path = Path(path)
    if not path.exists():
        raise DrnetError(f"{path} not found; run from the repository root or pass --params PATH")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DrnetError(f"{path} is not UTF-8 text (byte {exc.start}); a params file is YAML text") from None
    except OSError as exc:
        raise DrnetError(f"cannot read {path} ({exc.strerror}); pass a readable params file with --params") from None
    raw = safe_yaml(text, str(path))
    if not isinstance(raw, dict):
        raise DrnetError(f"{path} must hold a mapping of sections (mnist:, kth:, ...)")
    return raw


def load_params(
    path: str | Path = "params.yaml", variant: str = "paper", overrides: list[str] | None = None
) -> dict:
    """Load, overlay, override and validate params; return the resolved plain dict (validated)."""
    raw = load_raw(path)
    validate(raw, str(path))
    overrides = overrides or []
    overlay = [o for o in overrides if o.strip().split(".")[0] in VARIANTS]  # edits of an overlay itself
    raw = apply_overrides(raw, overlay)
    merged = apply_overrides(resolve(raw, variant), [o for o in overrides if o not in overlay])
    return validate(merged, f"{path} (variant {variant})" if variant != "paper" else str(path))


def section(params: dict, name: str) -> BaseModel:
    """The validated, typed view of one dataset section."""
    _register_all()
    return SECTION_MODELS[name].model_validate(params[name])


def params_hash(obj: Any) -> str:
    """Short stable hash of a params (sub)tree, recorded in outputs for provenance."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]
