"""KTH's names and its sequences file (``00sequences.txt``): which videos exist and their subsequences.

Videos are named ``personNN_<action>_dK`` (files ``..._uncomp.avi``). The sequences file lists, after a prose
header, one line per video: the name, the word ``frames`` and 1-based inclusive frame ranges, one per repetition
of the action. The real file is irregular (CRLF, mixed whitespace, out-of-order and overlapping ranges, a video
marked ``*missing*``): it is parsed by meaning, not by exact whitespace.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from drnet.errors import DrnetError
from drnet.params import KTH_ACTIONS

log = logging.getLogger(__name__)

SEQUENCES_FILE = "00sequences.txt"
MISSING_MARK = "*missing*"
_ACTION_GROUP = "|".join(KTH_ACTIONS)
_NAME = rf"person(\d{{2}})_({_ACTION_GROUP})_d([1-4])"
# Names match in any case (``Person01_Boxing_d1``: a copy renamed by hand or by a case-insensitive file system)
_LINE = re.compile(rf"^\s*{_NAME}\b(.*)$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_VIDEO_FILE = re.compile(rf"^{_NAME}_uncomp\.avi$", re.IGNORECASE)
_SHOWN = 5  # names shown in a warning that counts many


@dataclass(frozen=True)
class KthVideo:
    """One line of the sequences file: a video and its subsequences (1-based inclusive, sorted by start).

    ``ranges`` is empty for a video the file lists as ``*missing*`` (listed, but absent from the dataset).
    """

    person: int
    action: str
    scenario: str
    ranges: tuple[tuple[int, int], ...]

    @property
    def name(self) -> str:
        return f"person{self.person:02d}_{self.action}_{self.scenario}"

    @property
    def filename(self) -> str:
        return f"{self.name}_uncomp.avi"

    @property
    def listed_missing(self) -> bool:
        return not self.ranges


def parse_sequences(path: str | os.PathLike) -> list[KthVideo]:
    """Parse the official ``00sequences.txt`` by meaning: video name, the word ``frames``, ``a-b`` ranges.

    Prose lines (the header, which also names persons) and blank lines are skipped; line endings may be CRLF and
    the whitespace between the fields any mix of spaces and tabs; a UTF-8 byte-order mark is skipped and names
    match in any case (``Person01_Boxing_d1`` is ``person01_boxing_d1``). A video listed as ``*missing*`` (the official
    file's ``person13_handclapping_d3``) is returned with no ranges: reported by the callers, not fatal.
    Overlapping ranges (the official file has 7 pairs) are kept as listed and a video listed twice keeps its
    first line; each is warned about once for the whole file, with a count. Returns the
    videos sorted by name. A line that names a video but whose ranges cannot be read, or a file with no video
    lines, raises a one-line DrnetError naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        raise DrnetError(f"{path} not found; run the kth_download stage or place the official {SEQUENCES_FILE} there")
    try:
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError as exc:
        raise DrnetError(f"cannot read {path}: {exc.strerror}") from None
    videos: dict[str, KthVideo] = {}
    overlaps: list[str] = []
    repeated: list[str] = []
    for number, line in enumerate(lines, start=1):
        match = _LINE.match(line)
        if not match:
            continue
        person, action, scenario, rest = match.groups()
        where = f"{path} line {number}"
        fields = rest.split(None, 1)
        if fields and fields[0].lower() == MISSING_MARK:
            ranges: list[tuple[int, int]] = []
        elif len(fields) != 2 or fields[0].lower() != "frames":
            raise DrnetError(f"{where}: expected '<video> frames a-b, c-d, ...' or '<video> {MISSING_MARK}', got "
                             f"{line.strip()!r}; fix the line")
        else:
            ranges = _parse_ranges(fields[1], where)
        ranges.sort()
        video = KthVideo(int(person), action.lower(), f"d{scenario}", tuple(ranges))
        if video.name in videos:
            repeated.append(f"{video.name} (line {number})")
            continue
        for (a0, a1), (b0, b1) in zip(ranges, ranges[1:]):
            if b0 <= a1:
                overlaps.append(f"{video.name} {a0}-{a1}, {b0}-{b1}")
        videos[video.name] = video
    if not videos:
        raise DrnetError(f"{path} lists no videos (expected lines like 'person01_boxing_d1 frames 1-95, 96-185'); "
                         f"it is empty or not the KTH sequences file: delete it and download it again")
    if repeated:
        log.warning("%s lists %d video line(s) again after the first (each video keeps its first line): %s", path,
                    len(repeated), _some(repeated))
    if overlaps:
        log.warning("%s has %d pair(s) of overlapping ranges (kept as listed, like the authors' subsequences): %s",
                    path, len(overlaps), _some(overlaps))
    return [videos[name] for name in sorted(videos)]


def _some(items: list[str]) -> str:
    """The first few of ``items`` joined, with how many more there are."""
    more = f"; and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return "; ".join(items[:_SHOWN]) + more


def _parse_ranges(text: str, where: str) -> list[tuple[int, int]]:
    ranges = []
    for part in text.split(","):
        if not part.strip():
            continue
        r = _RANGE.match(part)
        start, end = (int(r.group(1)), int(r.group(2))) if r else (0, -1)
        if not 1 <= start <= end:
            raise DrnetError(f"{where}: bad frame range {part.strip()!r} (expected a-b with 1 <= a <= b); fix the line")
        ranges.append((start, end))
    if not ranges:
        raise DrnetError(f"{where}: no frame ranges after 'frames'; fix the line")
    return ranges


def video_name(filename: str) -> str | None:
    """``person01_boxing_d1`` for ``.../person01_boxing_d1_uncomp.avi`` (any case: ``Person01_Boxing_d1_uncomp.AVI``
    too); None for other names."""
    match = _VIDEO_FILE.match(Path(filename).name)
    return f"person{match.group(1)}_{match.group(2).lower()}_d{match.group(3)}" if match else None
