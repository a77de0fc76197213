"""Raw folders: the ``manifest.json`` every download or synthetic stage writes, and the checks around it.

A raw folder (``data/raw/<dataset>`` for official data, ``data/demo/raw/<dataset>`` for a synthetic source)
carries a ``manifest.json`` with the sha256 of every raw file; ``"synthetic": true`` in it marks a synthetic
source. Builds check that marker against ``<dataset>.data.source``; synthetic writers refuse to replace a folder
that is not their own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from drnet.errors import DrnetError

MANIFEST_FILE = "manifest.json"


def read_manifest(raw_dir: str | os.PathLike) -> dict:
    """The raw folder's ``manifest.json`` ({} when absent)."""
    path = Path(raw_dir) / MANIFEST_FILE
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DrnetError(f"{path} is not valid JSON ({exc}); delete it and re-run the stage that wrote it") from None
    if not isinstance(manifest, dict):
        raise DrnetError(f"{path} must hold a JSON object; delete it and re-run the stage that wrote it")
    return manifest


def open_raw_folder(raw_dir: str | os.PathLike, dataset: str, source: str, synthetic_kind: str) -> tuple[Path, bool]:
    """Check a raw folder exists and that its manifest's synthetic marker matches ``<dataset>.data.source``.

    Returns (raw folder, synthetic). One-line refusals name the stage to run or the param to fix.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise DrnetError(f"raw folder {raw_dir} not found; run the {dataset}_download (official) or {dataset}_synth "
                         f"(synthetic) stage first")
    synthetic = bool(read_manifest(raw_dir).get("synthetic", False))
    if synthetic != (source == "synthetic"):
        found = f"{synthetic_kind} (see its manifest.json)" if synthetic else "no synthetic marker"
        raise DrnetError(f"{dataset}.data.source is {source!r} but {raw_dir} holds {found}; point --raw at the "
                         f"matching raw folder or set {dataset}.data.source")
    return raw_dir, synthetic


def refuse_foreign_folder(out_dir: Path, what: str) -> None:
    """Refuse to replace ``out_dir`` unless it is absent, empty or synthetic (a synthetic writer's own folder)."""
    if out_dir.exists() and any(out_dir.iterdir()) and not read_manifest(out_dir).get("synthetic"):
        raise DrnetError(f"{out_dir} exists and is not a synthetic {what} folder; refusing to replace it: choose "
                         f"another --out or remove it")
