"""Resumable, verified downloads with an ordered mirror list.

A download writes to ``<name>.part`` and resumes it with an HTTP Range request; the file is renamed to its
final name only after its checksum matches. A failed checksum deletes the partial file and says so in one
line. Files already present with the right checksum are not downloaded again.
"""

from __future__ import annotations

import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from drnet.errors import DrnetError
from drnet.io import ensure_dir, file_digest

log = logging.getLogger(__name__)
CHUNK = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """A file to fetch: its name on the mirrors and its expected digest (``algo:hex``; None = unknown)."""

    name: str
    digest: str | None = None

    def check(self, path: Path) -> str:
        """Return ``algo:hex`` of ``path``; raise DrnetError if it disagrees with the expected digest."""
        algo, expected = (self.digest.split(":", 1) if self.digest else ("sha256", None))
        actual = file_digest(path, algo)
        if expected is not None and actual != expected.lower():
            raise DrnetError(
                f"{path} failed its {algo} check (expected {expected}, got {actual}); the file is corrupt or "
                f"truncated: it was removed, run the download again"
            )
        return f"{algo}:{actual}"


def _fetch_once(url: str, part: Path, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "drnet-pipeline"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # range not satisfiable: the part file is already complete
            return
        raise
    with response:
        resumed = have and response.status == 206
        if have and not resumed:
            have = 0  # server ignored Range: start over
        total = response.headers.get("Content-Length")
        total = int(total) + have if total is not None else None
        with open(part, "ab" if resumed else "wb") as out, tqdm(
            total=total, initial=have, unit="B", unit_scale=True, desc=part.name.removesuffix(".part"),
            leave=False, disable=None,
        ) as bar:
            while block := response.read(CHUNK):
                out.write(block)
                bar.update(len(block))
        if total is not None and part.stat().st_size < total:
            raise ConnectionError(f"transfer ended at {part.stat().st_size} of {total} bytes")


def download(
    remote: RemoteFile,
    mirrors: Sequence[str],
    dest_dir: str | os.PathLike,
    retries: int = 3,
    timeout: float = 60.0,
    backoff: float = 1.0,
) -> tuple[Path, str]:
    """Fetch ``remote`` into ``dest_dir`` from the first mirror that works; return (path, digest).

    Each mirror is tried ``retries + 1`` times; an interrupted transfer resumes from where it stopped.
    """
    dest_dir = ensure_dir(dest_dir)
    final = dest_dir / remote.name
    if final.exists():
        try:
            return final, remote.check(final)
        except DrnetError:
            log.warning("%s exists but fails its checksum; downloading it again", final)
            final.unlink()
    part = dest_dir / (remote.name + ".part")
    errors: list[str] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + remote.name
        for attempt in range(retries + 1):
            try:
                _fetch_once(url, part, timeout)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                errors.append(f"{url}: {exc}")
                log.info("attempt %d for %s failed: %s", attempt + 1, url, exc)
                if attempt < retries:
                    time.sleep(backoff * (2**attempt))
        else:
            continue
        try:
            digest = remote.check(part)
        except DrnetError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, final)
        return final, digest
    last = errors[-1] if errors else "no mirrors configured"
    raise DrnetError(
        f"could not download {remote.name} from any of {len(mirrors)} mirror(s) (last error: {last}); check the "
        f"network or place the file in {dest_dir} by hand"
    )

