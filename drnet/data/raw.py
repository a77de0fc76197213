"""Raw folders: the ``manifest.json`` every download or synthetic stage writes, and the checks around it.

A raw folder (``data/raw/<dataset>`` for official data, ``data/demo/raw/<dataset>`` for a synthetic source)
carries a ``manifest.json`` with the sha256 of every raw file; ``"synthetic": true`` in it marks a synthetic
source. Builds check that marker against ``<dataset>.data.source``.
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

