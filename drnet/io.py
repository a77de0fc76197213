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
    temp file, given a path inside an :class:`OutputSet`'s temporary folder).
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


OWNER_FILE = ".drnet-output.json"  # in every output folder: the files the stage wrote there
FRONT_DOOR_FILES = frozenset({".snakemake_timestamp"})  # Snakemake's stamp in a directory() output it ran


def folder_files(folder: Path) -> list[str]:
    """Every file and link below ``folder`` (relative POSIX paths, sorted), its owner list excepted."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel != OWNER_FILE:
                found.append(rel)
    return sorted(found)


def refuse_foreign(path: str | os.PathLike) -> None:
    """Refuse (one-line DrnetError) to replace an existing folder at an output path that holds anything its
    owner list (written by the stage that made it) does not name: a user's folder, or a user's file added to
    a stage's folder. Absent paths, files, empty folders and the front doors' own stamps pass."""
    path = Path(path)
    if not path.is_dir():
        return
    try:
        listed = set(json.loads((path / OWNER_FILE).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        listed = set()
    foreign = [name for name in folder_files(path) if name not in listed and name not in FRONT_DOOR_FILES]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise DrnetError(f"output {path} is a folder holding {shown}, which no stage wrote there; refusing to "
                         f"replace it: move your files out or choose another output path")


class OutputSet:
    """Several outputs replaced as one unit: all written complete under temporary names, then all renamed.

    Each output ``dir/name`` is written at ``dir/.tmp-name-<random>/name`` (final name and suffix kept, so
    libraries pick formats by it, and files a writer puts beside it, ``name.md`` beside ``name.csv``, travel
    with it). :meth:`commit` moves the previous outputs aside, renames every new one in, then deletes the old;
    should a rename fail, the new ones are removed and the old ones put back. Until then no final path is
    touched, so on any failure the previous outputs stay as they were. Existing folders at output paths must
    be a stage's own (:func:`refuse_foreign`); a committed folder gets an owner list naming its files.
    """

    def __init__(self, paths: Sequence[str | os.PathLike]):
        self.finals = [Path(p) for p in paths]
        seen: dict[str, Path] = {}
        for final in self.finals:
            key = os.path.realpath(final)
            if key in seen:
                raise DrnetError(f"{seen[key]} and {final} name the same output; give each output its own path")
            seen[key] = final
            refuse_foreign(final)
        self.dirs: list[Path] = []

    def open(self) -> list[Path]:
        """Create the temporary folders (removing a killed run's); return the paths to write."""
        for final in self.finals:
            ensure_dir(final.parent)
            remove_stale_temps(final.parent, temp_name_pattern(final.name))
            self.dirs.append(Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{final.name}-", dir=final.parent)))
        return [tmp / final.name for tmp, final in zip(self.dirs, self.finals)]

    def final_of(self, path: str | os.PathLike) -> Path:
        """The final path of a path written inside one of the temporary folders (else ``path`` itself)."""
        path = Path(path)
        for tmp, final in zip(self.dirs, self.finals):
            if path.parent == tmp:
                return final.parent / path.name
        return path

    def commit(self) -> list[Path]:
        """Rename every output into place (nothing, when nothing was written: a DDP rank that writes none)."""
        written = [tmp / final.name for tmp, final in zip(self.dirs, self.finals)
                   if os.path.lexists(tmp / final.name)]
        if not written:
            return []
        if len(written) < len(self.finals):
            missing = [final for tmp, final in zip(self.dirs, self.finals) if not os.path.lexists(tmp / final.name)]
            raise DrnetError(f"the stage did not write {missing[0]}; none of its outputs were replaced")
        moves = [(tmp / name, final.parent / name) for tmp, final in zip(self.dirs, self.finals)
                 for name in sorted(os.listdir(tmp)) if not is_temp_name(name)]  # a writer's own debris stays
        for new, _ in moves:
            if new.is_dir() and not new.is_symlink():
                (new / OWNER_FILE).write_text(json.dumps({"files": folder_files(new)}, indent=1) + "\n")
        backups: list[tuple[Path, Path]] = []
        placed: list[Path] = []
        try:
            for new, final in moves:
                if os.path.lexists(final):
                    backup = new.parent / f".old-{final.name}"
                    os.replace(final, backup)
                    backups.append((backup, final))
                _chmod_new(new)
                os.replace(new, final)
                placed.append(final)
        except BaseException:
            for final in placed:
                _remove(final)
            for backup, final in backups:
                os.replace(backup, final)
            raise
        return [final for _, final in moves]

    def discard(self) -> None:
        """Remove the temporary folders (with whatever is left in them: failed outputs, replaced old ones)."""
        for tmp in self.dirs:
            shutil.rmtree(tmp, ignore_errors=True)
        self.dirs = []


def _chmod_new(path: Path) -> None:
    """mkstemp/mkdtemp create 0600/0700; outputs get the usual permissions."""
    if path.is_symlink():
        return
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_UMASK)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def output_set(paths: Sequence[str | os.PathLike]) -> Iterator[list[Path]]:
    """Temporary paths for outputs that must appear together (train + test store + summary): renamed onto
    their final paths only when the whole block succeeded (:class:`OutputSet`)."""
    outputs = OutputSet(paths)
    try:
        tmps = outputs.open()
        yield tmps
        outputs.commit()
    finally:
        outputs.discard()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder for ``path``; swap it in for ``path`` only if the block succeeds.

    A reader sees the old folder or the new one, never a half-written one; on failure ``path`` is left as it
    was. An existing ``path`` holding files its writer did not put there is refused (:func:`refuse_foreign`).
    """
    with output_set([path]) as (tmp,):
        tmp.mkdir()
        yield tmp


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
