"""Atomic file writes and checksums: partial outputs never look complete."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from drnet.errors import DrnetError

log = logging.getLogger(__name__)
_UMASK = os.umask(0)
os.umask(_UMASK)
TEMP_PREFIX = ".tmp-"
_RANDOM = r"[a-z0-9_]{8}"  # the random part tempfile.mkstemp/mkdtemp put in a name
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
# HDF5 reports a failed write inside a RuntimeError's text ("... errno = 27, error message = 'File too large'")
_ERRNOS = "|".join(str(e) for e in sorted(_DISK_FULL))
_DISK_FULL_TEXT = re.compile(rf"No space left on device|File too large|Disk quota exceeded|errno = (?:{_ERRNOS})\b")


def ensure_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and parents); raise a one-line DrnetError if it cannot be written to."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DrnetError(f"cannot create output folder {path}: {exc.strerror}; choose a writable location") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise DrnetError(f"output folder {path} is not writable; fix its permissions or choose another location")
    return path


def disk_full(exc: BaseException | None) -> BaseException | None:
    """The out-of-disk error (ENOSPC, EFBIG, EDQUOT) in ``exc``'s chain, or None.

    Libraries wrap it: torch's zip writer in a RuntimeError, h5py in a RuntimeError or OSError whose text carries
    ``errno = 27``; so both the errno and the message are looked at, in every exception of the chain.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            return exc
        if isinstance(exc, (OSError, RuntimeError)) and _DISK_FULL_TEXT.search(str(exc)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def temp_name_pattern(name: str, suffix: str = "") -> re.Pattern[str]:
    """The names our temp writers give ``name``'s temporaries: ``.tmp-<name>-<8 random chars><suffix>``.

    Also matches a temporary of a temporary (``.tmp-.tmp-<name>-<r>-<r><suffix>``: a writer that makes its own
    temp file, given a path from :func:`atomic_paths`).
    """
    prefix = re.escape(TEMP_PREFIX)
    return re.compile(rf"^(?:{prefix})+{re.escape(name)}(?:-{_RANDOM})+{re.escape(suffix)}$")


def is_temp_name(name: str) -> bool:
    """True for a name our temp writers create (``.tmp-...``, ``.old-...``): listings must skip these."""
    return name.startswith((TEMP_PREFIX, ".old-"))


def remove_stale_temps(folder: str | os.PathLike, pattern: re.Pattern[str]) -> list[Path]:
    """Remove files/folders in ``folder`` whose names match ``pattern`` (debris of a killed run); return them.

    Only names of our own temp pattern for one output are passed here, so another stage's live temporaries
    (other outputs) are never touched.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    if removed:
        log.info("removed %d stale temporary file(s) of a killed run in %s: %s",
                                         len(removed), folder, ", ".join(p.name for p in removed))
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name keeps the final suffix (libraries such as h5py or imageio choose formats by it)
    and starts with ``.tmp-`` so that an interrupted write never leaves a file that looks complete. Stale
    temporaries of the same output left by a killed run (same name pattern) are removed first.
    """
    path = Path(path)
    ensure_dir(path.parent)
    suffix = suffix or path.suffix
    remove_stale_temps(path.parent, temp_name_pattern(path.stem, suffix))
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}-", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp creates 0600; outputs get the usual permissions
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder next to ``path``; swap it in for ``path`` only if the block succeeds.

    An existing ``path`` is moved aside, the new folder renamed in, then the old one removed, so a reader sees
    the old folder or the new one, never a half-written one; on failure the temporary folder is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    ensure_dir(path.parent)
    remove_stale_temps(path.parent, temp_name_pattern(path.name))
    remove_stale_temps(path.parent, re.compile(rf"^\.old-{re.escape(path.name)}-{_RANDOM}$"))
    tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{path.name}-", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp creates 0700; the folder gets the usual permissions
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{path.name}-", dir=path.parent))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | os.PathLike]) -> Iterator[list[Path]]:
    """Temporary paths for several outputs that must appear together (train + test store, + summary).

    Every temporary is finished inside the block; only when the whole block succeeded are they renamed onto
    their final paths, one after the other (renames in one folder need no disk space). If the block fails,
    all temporaries are removed and no final path is touched, so a reader never sees a new train store beside
    an old test store. Should a rename itself fail, the outputs already renamed are removed too.
    """
    finals = [Path(p) for p in paths]
    with contextlib.ExitStack() as stack:
        tmps = [stack.enter_context(_temp_file(final)) for final in finals]
        yield tmps
        done: list[Path] = []
        try:
            for tmp, final in zip(tmps, finals):
                os.chmod(tmp, 0o666 & ~_UMASK)
                os.replace(tmp, final)
                done.append(final)
        except BaseException:
            for final in done:
                final.unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def _temp_file(path: Path) -> Iterator[Path]:
    """A temp path next to ``path`` (stale ones removed first), deleted on exit unless renamed away."""
    ensure_dir(path.parent)
    remove_stale_temps(path.parent, temp_name_pattern(path.stem, path.suffix))
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike, what: str = "JSON file", keys: Sequence[str] = ()) -> dict:
    """The JSON object in ``path``, holding ``keys``; one line if it is missing, unreadable, not JSON, not an
    object or lacks a key. what: what the file is, for the messages (e.g. "MNIST probe JSON")."""
    path = Path(path)
    fix = "re-run the stage that writes it"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DrnetError(f"{what} {path} not found; {fix} first") from None
    except OSError as exc:
        raise DrnetError(f"cannot read {what} {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DrnetError(f"{what} {path} is not valid JSON ({str(exc)[:120]}); {fix}") from None
    if not isinstance(data, dict):
        raise DrnetError(f"{what} {path} holds a JSON {type(data).__name__}, not an object; {fix}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise DrnetError(f"{what} {path} lacks {', '.join(map(repr, missing[:5]))}; it is from another stage or an "
                         f"older version: {fix}")
    return data


def file_digest(path: str | os.PathLike, algorithm: str = "sha256", chunk: int = 1 << 20) -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
