"""Overlays: a variant's section tree (``demo:``, ``proof:``) and a named ablation, merged over the paper values."""

from __future__ import annotations

import copy

from drnet.errors import DrnetError
from drnet.params.schema import VARIANTS
from drnet.params.text import echo
from drnet.params.validate import validate


def deep_merge(base: dict, overlay: dict) -> dict:
    """Return ``base`` with ``overlay`` merged in recursively (overlay wins; lists are replaced)."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


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


def with_ablation(params: dict, dataset: str, name: str) -> dict:
    """Validated ``params`` with ablation ``name`` (``ablation.<name>`` of params.yaml) put over ``dataset``'s
    ``train`` section: what a stage run with ``--ablation NAME`` trains with (noadv: ``train.adv_weight`` 0)."""
    return validate(deep_merge(params, {dataset: {"train": params["ablation"][name]}}), f"params (ablation {name})")
