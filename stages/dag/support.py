"""Helpers the Snakefile uses: config validation (a --config value no rule reads is refused), per-rule ``--set``
overrides from ``--config`` and the digest of the params values each rule runs with (its re-run trigger)."""

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


def _reads(key: str, keys: list[str]) -> bool:
    """Whether dotted ``key`` (a --config key, demo./proof. prefix included) lies under one of the params ``keys``."""
    key = key.split(".", 1)[1] if key.split(".")[0] in VARIANTS else key
    return any(key == k or key.startswith(k + ".") for k in keys)


def check_overrides_reach(config: dict, keys: list[str], path: str = "params.yaml") -> None:
    """Refuse in one line a --config value that no rule would receive: one set under a key absent from ``path``
    or under a key none of the rules' params ``keys`` covers (it would be dropped: no rule re-runs)."""
    base, now = _flatten(load_raw(path)), _flatten(config)
    for dotted, value in sorted(now.items()):
        if dotted not in base:
            raise DrnetError(f"--config sets unknown key {dotted}; it must already exist in {path}")
        if value != base[dotted] and not _reads(dotted, keys):
            raise DrnetError(f"--config sets {dotted}, which no stage reads (no rule declares it), so it would "
                             f"change nothing; set a key a stage reads (the params of the rules in dvc.yaml)")


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
        if _reads(dotted, keys):
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
