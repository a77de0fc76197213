"""Command-line overrides of single params: ``--set section.key=value`` (value read as params YAML)."""

from __future__ import annotations

import copy
from typing import Any

from drnet.errors import DrnetError
from drnet.params.text import ECHO_CHARS, echo, safe_yaml


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
    """``raw`` with each ``section.key=value`` override set; a key must already exist (one line otherwise)."""
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
