"""Reading params YAML text safely (no code, no aliases, no duplicate keys) and echoing values in errors."""

from __future__ import annotations

import reprlib
from typing import Any

import yaml

from drnet.errors import DrnetError

ECHO_CHARS = 80  # longest value echoed back in an error message


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
