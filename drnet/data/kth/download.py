"""Download KTH Actions: the sequences file and the six action zips (resumable, CRC-checked), and a manifest.

The zips' checksums are not published: each zip is checked member by member and its sha256 recorded in the raw
folder's ``manifest.json``, with the videos the sequences file lists but the folder lacks.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

from drnet.data.download import RemoteFile, download
from drnet.data.kth.sequences import SEQUENCES_FILE, KthVideo, parse_sequences
from drnet.data.kth.videos import KTH_ZIPS, check_zip, extracted_videos, locate_videos
from drnet.data.raw import MANIFEST_FILE
from drnet.io import atomic_path, atomic_write_json, ensure_dir, file_digest
from drnet.params import KTH_ACTIONS, Download

log = logging.getLogger(__name__)

KTH_TERMS = (
    "KTH Actions dataset (C. Schuldt, I. Laptev, B. Caputo): free for research and non-commercial use. "
    "Publications using it must cite: C. Schuldt, I. Laptev and B. Caputo, 'Recognizing Human Actions: "
    "A Local SVM Approach', ICPR 2004. Source: https://www.csc.kth.se/cvap/actions/"
)


def fetch_kth(raw_dir: str | os.PathLike, cfg: Download, manifest_path: str | os.PathLike | None = None,
              backoff: float = 1.0, local_dir: str | os.PathLike | None = None) -> dict:
    """Make ``raw_dir`` hold the sequences file and the six actions' videos; write and return its manifest.

    Files already present (zips or extracted AVIs) are used without the network; files in ``local_dir`` (the
    user's own copies: the sequences file, zips, or an action's extracted AVIs at any depth) are copied in
    instead of downloaded. The zips' checksums are not published, so each zip is checked member by member (CRC)
    and its sha256 recorded in the manifest.
    """
    raw_dir = ensure_dir(raw_dir)
    announced = False

    def fetch(name: str, validate=None) -> tuple[Path, str, bool]:
        nonlocal announced
        fresh = not (raw_dir / name).exists()
        if fresh and not announced and not (local_dir and (Path(local_dir) / name).exists()):
            print(f"Terms of use: {KTH_TERMS}", file=sys.stderr)
            announced = True
        path, digest = download(RemoteFile(name), cfg.mirrors, raw_dir, retries=cfg.retries,
                                timeout=cfg.timeout_s, backoff=backoff, validate=validate, local_dir=local_dir)
        return path, digest, fresh

    files: dict[str, str] = {}
    # a fresh sequences file that does not parse is removed by download(), never reused on the next run
    seq_path, files[SEQUENCES_FILE], _ = fetch(SEQUENCES_FILE, validate=parse_sequences)
    listed = parse_sequences(seq_path)
    extracted = extracted_videos(raw_dir)
    local = Path(local_dir) if local_dir is not None and Path(local_dir).is_dir() else None
    for action, zip_name in zip(KTH_ACTIONS, KTH_ZIPS):
        avis = {n: p for n, p in extracted.items() if n.split("_")[1] == action}
        if not avis and not (raw_dir / zip_name).exists() and local and not (local / zip_name).exists():
            avis = _copy_local_avis(local, raw_dir, action)
        if avis and not (raw_dir / zip_name).exists():
            log.info("using %d extracted %s videos in %s (no %s)", len(avis), action, raw_dir, zip_name)
            files.update({p.relative_to(raw_dir).as_posix(): "sha256:" + file_digest(p) for p in avis.values()})
            continue
        path, digest, fresh = fetch(zip_name)
        check_zip(path, remove=fresh)
        files[zip_name] = digest
    manifest = _manifest(raw_dir, listed, files, synthetic=False)
    manifest["terms"] = KTH_TERMS
    atomic_write_json(manifest_path or raw_dir / MANIFEST_FILE, manifest)
    return manifest


def _copy_local_avis(local: Path, raw_dir: Path, action: str) -> dict[str, Path]:
    """Copy the user's extracted ``action`` AVIs from ``local`` (kept as they are) to the same places below
    ``raw_dir``; return them by video name."""
    copied = {}
    for name, source in extracted_videos(local).items():
        if name.split("_")[1] == action:
            copied[name] = raw_dir / source.relative_to(local)
            with atomic_path(copied[name]) as tmp:
                shutil.copyfile(source, tmp)
    if copied:
        log.info("copied your %d extracted %s videos from %s", len(copied), action, local)
    return copied


def _manifest(raw_dir: Path, listed: list[KthVideo], files: dict[str, str], synthetic: bool) -> dict:
    available = set(locate_videos(raw_dir))
    names = {v.name for v in listed}
    missing = sorted((names - available) | {v.name for v in listed if v.listed_missing})
    unlisted = sorted(available - names)
    for name in missing:
        log.warning("%s lists %s but no such video is in %s; it is skipped", SEQUENCES_FILE, name, raw_dir)
    if unlisted:
        log.warning("%d videos in %s are not listed in %s and are ignored: %s", len(unlisted), raw_dir,
                    SEQUENCES_FILE, ", ".join(unlisted))
    return {"dataset": "kth", "synthetic": synthetic, "files": dict(sorted(files.items())),
            "listed_videos": len(names), "available_videos": len(available & names) - len(set(missing) & available),
            "missing_videos": missing, "unlisted_videos": unlisted}
