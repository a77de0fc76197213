"""Validation of a params tree against the schema, with one-line errors that name the key; typed sections."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from drnet.errors import DrnetError
from drnet.params.schema import SECTIONS, VARIANTS, Params
from drnet.params.text import ECHO_CHARS, echo


def _format_error(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p)[:ECHO_CHARS] for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown key {loc}; check its spelling against the documented keys of its section"
    value = err.get("input")
    got = "" if isinstance(value, dict) else f" (got {echo(value)})"
    msg = err["msg"].replace("Value error, ", "")
    return f"{source}: {loc}: {msg}{got}"


def validate(merged: dict, source: str = "params.yaml") -> dict:
    """Validate every section; raise DrnetError with one line on the first problem.

    Returns the validated values as a plain dict with the keys of ``merged`` (coerced: ``seed: '7'`` -> 7, YAML's
    ``1e-3`` string -> 0.001), so that callers never use a value the schema has not checked.
    """
    known = [name for name in Params.model_fields if name not in VARIANTS]
    unknown = sorted(str(k) for k in set(merged) - set(Params.model_fields))
    if unknown:
        raise DrnetError(f"{source}: unknown section {echo(unknown[0])}; known sections: {', '.join(sorted(known))}")
    for name in VARIANTS[1:]:
        if not isinstance(merged.get(name) or {}, dict):
            raise DrnetError(f"{source}: {name} must be a mapping of sections (the overlay), got {echo(merged[name])}")
    try:
        return Params.model_validate(merged).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise DrnetError(_format_error(exc, source)) from None


def section(params: dict, name: str) -> BaseModel:
    """The validated, typed view of one section (``mnist``, ``kth``, ``norb``, ``chairs``, ``leakage``, ...)."""
    return SECTIONS[name].model_validate(params[name])
