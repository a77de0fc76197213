"""Download small NORB: the six ``.mat.gz`` files from the mirrors, gunzipped and checked, and a manifest.

The mirror publishes no checksums: each transfer is checked by gzip's CRC and the format's header, and its
sha256 recorded in the raw folder's ``manifest.json`` (fill in :data:`NORB_SHA256` to verify them instead).
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path

from drnet.data.download import RemoteFile, download
from drnet.data.norb.files import NORB_FILES
from drnet.data.norb.format import parse_header, read_header, read_header_bytes
from drnet.data.raw import MANIFEST_FILE
from drnet.errors import DrnetError
from drnet.io import atomic_path, atomic_write_json, disk_full, ensure_dir, file_digest
from drnet.params import Download

log = logging.getLogger(__name__)

# The mirror does not publish checksums; fill these in (``sha256:<hex>`` of the .mat.gz as served) to verify.
NORB_SHA256: dict[str, str | None] = {f"{name}.gz": None for name in NORB_FILES}
NORB_TERMS = (
    "small NORB dataset (Y. LeCun, F.J. Huang, L. Bottou): for research use. Publications using it must cite: "
    "Y. LeCun, F.J. Huang and L. Bottou, 'Learning Methods for Generic Object Recognition with Invariance to Pose "
    "and Lighting', CVPR 2004. Source: https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
)


def _decompress(gz: Path, mat: Path) -> None:
    """Gunzip ``gz`` to ``mat`` (atomic), no further than its header declares (+1 byte to notice extra data).

    A corrupt gzip raises DrnetError; a full disk raises the OSError untouched, so the caller keeps the valid
    ``.gz`` and the CLI reports the disk, not a corrupt download.
    """
    try:
        with gzip.open(gz, "rb") as src:
            head = read_header_bytes(src)
            header = parse_header(head, gz)
            src.seek(0)
            with atomic_path(mat) as tmp, open(tmp, "wb") as dst:
                left = header.offset + header.nbytes + 1
                while left > 0 and (block := src.read(min(left, 1 << 20))):
                    try:
                        dst.write(block)
                    except OSError as exc:
                        raise _WriteError(exc) from exc
                    left -= len(block)
    except _WriteError as exc:
        raise exc.error from None
    except (OSError, EOFError, zlib.error) as exc:
        if disk_full(exc):
            raise
        raise DrnetError(f"{gz} is not a complete gzip file ({exc}): corrupt or truncated; delete it and run the "
                         f"download again") from None


class _WriteError(Exception):
    """An error writing the decompressed file (the disk, not the download)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


def _valid_mat(path: Path) -> bool:
    try:
        read_header(path)
        return True
    except DrnetError as exc:
        log.warning("%s", exc)
        return False


def _own_mat(local_dir: str | os.PathLike | None, name: str) -> Path | None:
    """The user's decompressed ``name`` in ``local_dir``, when there is no ``.gz`` of it there (that one wins)."""
    if local_dir is None or (Path(local_dir) / f"{name}.gz").exists() or not (Path(local_dir) / name).exists():
        return None
    return Path(local_dir) / name


def fetch_norb(raw_dir: str | os.PathLike, cfg: Download, manifest_path: str | os.PathLike | None = None,
               backoff: float = 1.0, digests: Mapping[str, str | None] | None = None,
               local_dir: str | os.PathLike | None = None) -> dict:
    """Make ``raw_dir`` hold the six small-NORB ``.mat`` files; write and return its manifest.

    Each ``.mat.gz`` is fetched from ``cfg.mirrors`` (resumable, retried), checked against ``digests``
    (default :data:`NORB_SHA256`; unknown digests are recorded, not checked), gunzipped (gzip's CRC catches a
    corrupt transfer) and its ``.mat`` checked against the format. A valid ``.mat`` already present is used
    without the network; a ``.mat.gz`` already present and verified is not fetched again; a ``.mat.gz`` or
    ``.mat`` in ``local_dir`` (the user's own copy, never modified) is copied in instead of downloaded.
    """
    raw_dir = ensure_dir(raw_dir)
    digests = {**NORB_SHA256, **(digests or {})}
    announced = False
    files: dict[str, str] = {}
    for name in NORB_FILES:
        mat, gz = raw_dir / name, raw_dir / f"{name}.gz"
        own_mat = _own_mat(local_dir, name)
        if own_mat is not None and not mat.exists() and not gz.exists():
            read_header(own_mat)  # its error names the user's file, which is never modified
            with atomic_path(mat) as tmp:
                shutil.copyfile(own_mat, tmp)
            log.info("using your copy %s", own_mat)
        if mat.exists() and not gz.exists() and _valid_mat(mat):
            log.info("using %s (already present, no .gz)", mat)
            files[name] = "sha256:" + file_digest(mat)
            continue
        fresh = not gz.exists()
        if fresh and not announced and not (local_dir and (Path(local_dir) / gz.name).exists()):
            print(f"Terms of use: {NORB_TERMS}", file=sys.stderr)
            announced = True
        path, digest = download(RemoteFile(gz.name, digests.get(gz.name)), cfg.mirrors, raw_dir,
                                retries=cfg.retries, timeout=cfg.timeout_s, backoff=backoff, local_dir=local_dir)
        files[gz.name] = digest
        if fresh or not mat.exists() or not _valid_mat(mat):
            written = False  # the .mat is replaced only by a complete gunzip: a failed one leaves any .mat as it was
            try:
                _decompress(path, mat)
                written = True
                read_header(mat)
            except DrnetError:  # the download is corrupt (a full disk raises OSError and keeps the .gz)
                if written:
                    mat.unlink()
                if fresh:
                    path.unlink(missing_ok=True)
                raise
        files[name] = "sha256:" + file_digest(mat)
    manifest = {"dataset": "norb", "synthetic": False, "files": dict(sorted(files.items())), "terms": NORB_TERMS,
                "mirrors": list(cfg.mirrors)}
    atomic_write_json(manifest_path or raw_dir / MANIFEST_FILE, manifest)
    return manifest
