"""Helpers the Snakefile uses: config validation, per-rule ``--set`` overrides from ``--config`` and the digest
of the params values each rule runs with (its re-run trigger)."""

from __future__ import annotations

import shlex

import yaml

from drnet.errors import DrnetError
from drnet.params import VARIANTS, deep_merge, load_raw, lookup, params_hash, resolve, safe_yaml, validate


def merged_config(cli_config: dict, path: str = "params.yaml", replace: bool = False) -> dict:
    """Snakemake's config: ``path`` loaded safely (never through yte, which runs code) with the command line's
    --config values merged on top (nested mappings merged, other values replaced), as ``configfile:`` merges
    them; ``replace`` (--replace-workflow-config) keeps the command line's config alone."""
    return dict(cli_config) if replace else deep_merge(load_raw(path), cli_config)


def check_config(config: dict, path: str = "params.yaml") -> None:
    """Validate Snakemake's config (params.yaml plus any --config) for both variants; one line on failure."""
    validate(resolve(config, "paper"), f"{path} (with --config)")
    for variant in VARIANTS[1:]:
        validate(resolve(config, variant), f"{path} {variant} overlay (with --config)")


def _flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, dotted + "."))
        else:
            # --config gives strings; read them as params YAML (no aliases, one-line errors)
            out[dotted] = safe_yaml(value, f"--config value of {dotted}") if isinstance(value, str) else value
    return out


def overrides(config: dict, keys: list[str], path: str = "params.yaml") -> str:
    """``--set k=v`` flags for values where Snakemake's config differs from params.yaml, limited to ``keys``
    (and their demo/proof-overlay counterparts), so that a rule re-runs only when its own params change."""
    base, now = _flatten(load_raw(path)), _flatten(config)
    unknown = sorted(set(now) - set(base))
    if unknown:
        raise DrnetError(f"--config sets unknown key {unknown[0]}; it must already exist in {path}")
    flags = []
    for dotted, value in sorted(now.items()):
        if value == base[dotted]:
            continue
        key = dotted.split(".", 1)[1] if dotted.split(".")[0] in VARIANTS else dotted
        if any(key == k or key.startswith(k + ".") for k in keys):
            text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
            flags.append(f"--set {shlex.quote(f'{dotted}={text}')}")
    return " ".join(flags)


def params_digest(config: dict, keys: list[str], variant: str) -> str:
    """Hash of the values a rule's stage reads: its params ``keys`` in Snakemake's config (params.yaml plus any
    --config) resolved for its ``variant`` (the ``demo:``/``proof:`` overlay on top). A rule carries it as a
    param, and Snakemake re-runs a job whose params changed since its outputs were made, so editing params.yaml
    re-runs exactly the rules that read the edited value (a --config value too), as DVC's params do."""
    tree = resolve(config, variant)
    return params_hash({key: lookup(tree, key) for key in keys})
