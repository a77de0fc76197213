"""Resumable, verified downloads with an ordered mirror list.

A download writes to ``<name>.part`` (opened with O_NOFOLLOW) and resumes it with an HTTP Range request, only
when the server's ``Content-Range`` starts where the part ends (else it starts over); the file is renamed to its
final name only after its checksum and format check pass. A failed check deletes the fresh file and says so in
one line. A cut transfer (also a cut chunked one: ``http.client.IncompleteRead``) is retried, then the next
mirror is tried. Files already present with the right checksum are not downloaded again; a user's own copy in
a local folder is copied and verified instead of downloaded, and never deleted.
"""

from __future__ import annotations

import errno
import http.client
import logging
import os
import re
import shutil
import stat
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from drnet.errors import DrnetError
from drnet.io import disk_full, ensure_dir, file_digest

log = logging.getLogger(__name__)
CHUNK = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """A file to fetch: its name on the mirrors and its expected digest (``algo:hex``; None = unknown)."""

    name: str
    digest: str | None = None

    def check(self, path: Path, remove: bool = True) -> str:
        """Return ``algo:hex`` of ``path``; raise DrnetError if it disagrees with the expected digest.

        ``remove`` only changes the wording: the caller removes a failed download of its own.
        """
        algo, expected = (self.digest.split(":", 1) if self.digest else ("sha256", None))
        actual = file_digest(path, algo)
        if expected is not None and actual != expected.lower():
            tail = "the file is corrupt or truncated: it was removed, run the download again" if remove else \
                "it is not the official file"
            raise DrnetError(f"{path} failed its {algo} check (expected {expected}, got {actual}); {tail}")
        return f"{algo}:{actual}"


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


class _Restart(ConnectionError):
    """The server's answer cannot be appended to the ``.part`` file: it was discarded, start over from zero."""


def _open_part(part: Path, append: bool) -> int:
    """Open ``part`` for writing without following a symlink planted in its place (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_APPEND if append else os.O_TRUNC)
    try:
        return os.open(part, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DrnetError(f"{part} is a symbolic link; downloads never write through links: remove it and run the "
                             f"download again") from None
        raise


def _part_size(part: Path) -> int:
    try:
        st = os.lstat(part)
    except FileNotFoundError:
        return 0
    if stat.S_ISLNK(st.st_mode):
        raise DrnetError(f"{part} is a symbolic link; downloads never write through links: remove it and run the "
                         f"download again")
    return st.st_size


def _fetch_once(url: str, part: Path, timeout: float) -> None:
    have = _part_size(part)
    request = urllib.request.Request(url, headers={"User-Agent": "drnet-pipeline"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # range not satisfiable: complete only if the server's size is ours
            whole = _CONTENT_RANGE.match((exc.headers.get("Content-Range") or "").replace("*", "0-0", 1))
            if whole and whole.group(3) == str(have):
                return
            part.unlink(missing_ok=True)
            raise _Restart(f"server refused the range from byte {have} ({exc.headers.get('Content-Range')}); "
                           f"the partial file was discarded") from None
        raise
    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        offset, total = 0, length
        if response.status == 206:  # a part: it must continue ours (or be the whole file, from byte 0)
            offset, total = _check_range(response.headers.get("Content-Range"), have, length, part)
        fd = _open_part(part, append=offset > 0)
        with os.fdopen(fd, "ab" if offset else "wb") as out, tqdm(
            total=total, initial=offset, unit="B", unit_scale=True, desc=part.name.removesuffix(".part"),
            leave=False, disable=None,
        ) as bar:
            while True:
                try:
                    block = response.read(CHUNK)
                except http.client.IncompleteRead as exc:  # a cut (chunked) transfer: keep what arrived, resume
                    out.write(exc.partial)
                    raise
                if not block:
                    break
                out.write(block)
                bar.update(len(block))
        size = _part_size(part)
        if total is not None and size != total:
            raise ConnectionError(f"transfer ended at {size} of {total} bytes")


def _check_range(header: str | None, have: int, length: int | None, part: Path) -> tuple[int, int | None]:
    """(offset, total size) of a 206 answer to ``Range: bytes=<have>-``; _Restart unless it continues the part.

    A server that sends the whole body with 206 (no or a wrong Content-Range, or a body as long as the file)
    would splice the file onto itself; such an answer is written from byte 0 when it says it starts there,
    else the part file is discarded and the download restarts.
    """
    match = _CONTENT_RANGE.match(header or "")
    if match is None:
        part.unlink(missing_ok=True)
        raise _Restart(f"server answered a resume with 206 but no usable Content-Range ({header!r}); the partial file "
                       f"was discarded")
    first, last, total = int(match.group(1)), int(match.group(2)), match.group(3)
    total = int(total) if total != "*" else None
    if length is not None and length != last - first + 1:
        part.unlink(missing_ok=True)
        raise _Restart(f"server's Content-Range {header!r} disagrees with its Content-Length {length}; the partial "
                       f"file was discarded")
    if first == 0:
        return 0, total  # the whole file: overwrite the part
    if first != have:
        part.unlink(missing_ok=True)
        raise _Restart(f"server resumed at byte {first}, not at {have} where the partial file ends; it was discarded")
    return have, total


def download(
    remote: RemoteFile,
    mirrors: Sequence[str],
    dest_dir: str | os.PathLike,
    retries: int = 3,
    timeout: float = 60.0,
    backoff: float = 1.0,
    validate: Callable[[Path], object] | None = None,
    local_dir: str | os.PathLike | None = None,
) -> tuple[Path, str]:
    """Fetch ``remote`` into ``dest_dir`` from the first mirror that works; return (path, digest).

    Each mirror is tried ``retries + 1`` times; an interrupted transfer resumes from where it stopped.
    ``validate(path)`` (a format check raising DrnetError) runs on the fresh file before it gets its final name;
    a fresh file that fails it is removed, so it is never reused. A copy in ``local_dir`` (the user's own file)
    is copied and verified instead of downloaded; if it fails its checksum it is left untouched and refused.
    A file already at the destination that fails its checksum is refused, not deleted (our downloads are
    verified before they are renamed, so it was placed there by someone).
    """
    dest_dir = ensure_dir(dest_dir)
    final = dest_dir / remote.name
    if final.exists():
        try:
            return final, remote.check(final, remove=False)
        except DrnetError as exc:
            raise DrnetError(f"{exc}; it was left in place: delete it to download it again, or put your copy in "
                             f"the local folder (see the stage's --from)") from None
    part = dest_dir / (remote.name + ".part")
    if local_dir is not None and (Path(local_dir) / remote.name).exists():
        return _from_local(remote, Path(local_dir) / remote.name, part, final, validate)
    errors: list[str] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + remote.name
        for attempt in range(retries + 1):
            try:
                try:
                    _fetch_once(url, part, timeout)
                except _Restart as exc:  # the part was discarded: ask again for the whole file, at once
                    log.warning("%s: %s; downloading it from the start", url, exc)
                    _fetch_once(url, part, timeout)
                break
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError) as exc:
                if disk_full(exc):
                    raise  # not the network: keep the part for resuming, the CLI reports the full disk
                errors.append(f"{url}: {exc!r}" if isinstance(exc, http.client.HTTPException) else f"{url}: {exc}")
                log.info("attempt %d for %s failed: %s", attempt + 1, url, errors[-1])
                if attempt < retries:
                    time.sleep(backoff * (2**attempt))
        else:
            continue
        return _finish(remote, part, final, validate), remote.check(final)
    last = errors[-1] if errors else "no mirrors configured"
    raise DrnetError(
        f"could not download {remote.name} from any of {len(mirrors)} mirror(s) (last error: {last}); check the "
        f"network, or put your own copy in a local folder and pass it with the stage's --from"
    )


def _finish(remote: RemoteFile, part: Path, final: Path, validate: Callable[[Path], object] | None) -> Path:
    """Checksum and format-check a complete ``.part`` and give it its final name; remove it if it fails."""
    remote_ok = False
    try:
        remote.check(part)
        remote_ok = True
        if validate is not None:
            validate(part)
    except DrnetError as exc:
        part.unlink(missing_ok=True)
        if not remote_ok:
            raise
        raise DrnetError(f"the downloaded {final.name} fails its format check and was removed ({exc}); run the "
                         f"download again or try another mirror") from None
    os.replace(part, final)
    return final


def _from_local(remote: RemoteFile, source: Path, part: Path, final: Path,
                validate: Callable[[Path], object] | None) -> tuple[Path, str]:
    """Copy the user's ``source`` into place through ``part``; the user's file is never modified or removed."""
    try:
        remote.check(source, remove=False)
    except DrnetError as exc:
        raise DrnetError(f"your copy {exc}; it was left untouched: replace it with the official file or remove it "
                         f"from {source.parent} to download instead") from None
    if validate is not None:
        validate(source)  # its error names the user's file; nothing is removed
    log.info("using your copy %s (checksum verified)", source)
    part.unlink(missing_ok=True)
    fd = _open_part(part, append=False)
    with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return _finish(remote, part, final, validate), remote.check(final)
