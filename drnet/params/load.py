"""Loading params.yaml: read the file safely, validate it, apply the variant's overlay and the overrides."""

from __future__ import annotations

from pathlib import Path

from drnet.errors import DrnetError
from drnet.params.overlay import resolve
from drnet.params.overrides import apply_overrides
from drnet.params.schema import VARIANTS
from drnet.params.text import safe_yaml
from drnet.params.validate import validate


def load_raw(path: str | Path = "params.yaml") -> dict:
    """The params file as a plain mapping (safe YAML, not validated); one line if it is missing or unreadable."""
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
