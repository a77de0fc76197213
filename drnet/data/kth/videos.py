"""Where a KTH raw folder's videos are: extracted AVIs or members of the six official zips, checked and extracted.

The videos ``personNN_<action>_dK_uncomp.avi`` sit either inside the zips (``boxing.zip`` ...) or extracted
anywhere below the folder (extracted files win over zip members). Zip members are checked from the zip's header
before anything is extracted: a member too large to be a KTH video (a zip bomb) is refused.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from drnet.data.kth.sequences import video_name
from drnet.errors import DrnetError
from drnet.io import disk_full, is_temp_name
from drnet.params import KTH_ACTIONS

KTH_ZIPS = tuple(f"{action}.zip" for action in KTH_ACTIONS)


@dataclass(frozen=True)
class VideoSource:
    """Where a video's bytes are: a file on disk, or ``member`` of the zip at ``path``."""

    path: Path
    member: str | None = None

    def label(self) -> str:
        return f"{self.path}:{self.member}" if self.member else str(self.path)


def extracted_videos(raw_dir: str | os.PathLike) -> dict[str, Path]:
    """KTH AVIs found anywhere below ``raw_dir``, by video name (sorted paths: the first one wins)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(raw_dir).rglob("*")):  # any case: Person01_Boxing_d1_uncomp.AVI is a KTH video too
        name = video_name(path.name)
        if name is None or name in found or any(is_temp_name(part) for part in path.relative_to(raw_dir).parts):
            continue  # not a KTH video, a second copy, or a killed run's temporary
        found[name] = path
    return found


def locate_videos(raw_dir: str | os.PathLike) -> dict[str, VideoSource]:
    """Every KTH video available in ``raw_dir``: extracted AVIs first, then members of the official zips."""
    raw_dir = Path(raw_dir)
    sources: dict[str, VideoSource] = {}
    for zip_name in KTH_ZIPS:
        zip_path = raw_dir / zip_name
        if not zip_path.exists():
            continue
        for member in _zip_members(zip_path):
            name = video_name(member)
            if name:
                sources.setdefault(name, VideoSource(zip_path, member))
    sources.update({name: VideoSource(path) for name, path in extracted_videos(raw_dir).items()})
    return dict(sorted(sources.items()))


def _zip_members(zip_path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DrnetError(f"{zip_path} is not a readable zip archive ({exc}); delete it and download it again") from None


MAX_MEMBER_BYTES = 256 << 20  # a KTH AVI is ~1-4 MB; a member declaring more is not a KTH video
MAX_MEMBER_RATIO = 100  # DivX video barely compresses; a member expanding 100x is a zip bomb


def oversized_member(archive: zipfile.ZipFile) -> str | None:
    """Why a member of ``archive`` is too large to extract (from the zip's header, before reading), or None."""
    for info in archive.infolist():
        if info.file_size > MAX_MEMBER_BYTES:
            return f"member {info.filename} declares {info.file_size} bytes, over the {MAX_MEMBER_BYTES}-byte cap"
        if info.file_size > 1 << 20 and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            return (f"member {info.filename} expands {info.compress_size} -> {info.file_size} bytes "
                    f"(over {MAX_MEMBER_RATIO}x: not a KTH video)")
    return None


def check_zip(zip_path: Path, remove: bool) -> None:
    """Check member sizes (header) and every member's CRC; on failure raise DrnetError (removing the file if asked)."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            problem = oversized_member(archive)
            if problem is None:
                bad = archive.testzip()
                problem = f"member {bad} fails its CRC check" if bad else None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if disk_full(exc):
            raise
        problem = str(exc)
    if problem is None:
        return
    if remove:
        zip_path.unlink(missing_ok=True)
    action = "it was removed, run the download again" if remove else "delete it and run the download again"
    raise DrnetError(f"{zip_path} is not a valid zip archive ({problem}): corrupt or truncated; {action}")


def extract_member(source: VideoSource, out) -> None:
    """Copy a zip member into the open file ``out``, refusing oversized members from the zip's header first."""
    try:
        with zipfile.ZipFile(source.path) as archive:
            problem = oversized_member(archive)
            if problem:
                raise DrnetError(f"{source.path}: {problem}; it is not an official KTH zip: delete it and download "
                                 f"it again")
            with archive.open(source.member) as member:
                shutil.copyfileobj(member, out, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if disk_full(exc):
            raise  # the zip is fine; the disk is full (the CLI says so in one line)
        raise DrnetError(f"{source.label()} cannot be extracted ({exc}); delete {source.path} and download "
                         f"it again") from None
