"""The source files a stage runs: its own module and every drnet/stages module it imports, transitively.

Found by walking the import graph with ``ast`` (module-level and function-local imports alike, relative imports,
``from package import submodule``, and ``"package.module:Name"`` strings that name a class imported lazily), so
the list follows the code: a module that is moved, split or newly imported shows up without anyone listing it.
Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first: those count too. Both front doors
declare these files per stage (stages/dag/render.py): DVC re-runs a stage when one of them changes content,
Snakemake when one is newer than the stage's outputs; an edit elsewhere leaves the stage alone. The training
stages hash the same files into their resume key (``code_digest``), so a re-run after an edit trains afresh.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from pathlib import Path

from stages.dag import ROOT

LOCAL_PACKAGES = ("drnet", "stages")
_LAZY_SPEC = re.compile(r"((?:drnet|stages)(?:\.\w+)+)(?::\w+)?")  # e.g. "drnet.models.dcgan:DcganEncoder"


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The file of module ``name`` under ``root`` (``a/b.py`` or ``a/b/__init__.py``), None if it is not one."""
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@functools.cache
def _imported(path: Path, name: str) -> frozenset[str]:
    """Local module names a file imports (candidates: a name without a file is an attribute, not a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from ..a import x
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _LAZY_SPEC.fullmatch(node.value)
            if match:
                found.add(match.group(1))
    return frozenset(m for m in found if m.split(".")[0] in LOCAL_PACKAGES)


def sources(module: str, root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``, sorted) of every file ``python -m module`` runs from this repository."""
    seen: set[str] = set()
    files: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name, root)
        if path is None:
            continue
        files.add(path)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # the packages it lives in
        todo += sorted(_imported(path, name))
    return sorted(p.relative_to(root).as_posix() for p in files)


def code_digest(module: str, root: Path | None = None) -> str:
    """sha256 over the path and bytes of every file ``sources(module)`` lists (``root``: the repository): the
    identity of the code ``python -m module`` runs; any edit, a comment included, changes it."""
    root = ROOT if root is None else root
    digest = hashlib.sha256()
    for rel in sources(module, root):
        data = (root / rel).read_bytes()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()
