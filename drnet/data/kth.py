"""KTH Actions: download, the sequences file, AVI decoding and the ingest into train/test video stores.

The raw folder (``data/raw/kth`` for the official data, ``data/demo/raw/kth`` for the synthetic source) holds
``00sequences.txt`` and the videos ``personNN_<action>_dK_uncomp.avi``, either inside the six official zips
(``boxing.zip`` ...) or extracted anywhere below the folder (extracted files win over zip members). A
``manifest.json`` records the sha256 of every raw file; ``"synthetic": true`` in it marks a synthetic source.

Ingest decodes every listed video (160x120, 25 fps, grey content in a colour container), keeps one grey
channel, resizes to ``image_size`` with area interpolation, cuts the subsequences of the sequences file and
writes one store per split, split by person: frames uint8 [N, S, S, 1], meta columns person (int), action
(str), scenario (str, d1..d4), subsequence (int: index of the range in frame order) and video (str).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# FFmpeg prints a line per damaged packet of a truncated AVI (the official person01_boxing_d4 is one); the ingest
# reports truncation itself in one warning, so FFmpeg is kept quiet unless the user asks otherwise.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from drnet.data.download import RemoteFile, download
from drnet.data.store import VideoStoreWriter
from drnet.errors import DrnetError
from drnet.io import (
    atomic_paths,
    atomic_write_json,
    disk_full,
    ensure_dir,
    file_digest,
    is_temp_name,
    remove_stale_temps,
    temp_name_pattern,
)
from drnet.params import KTH_ACTIONS, Download, KthData

log = logging.getLogger(__name__)

SEQUENCES_FILE = "00sequences.txt"
MANIFEST_FILE = "manifest.json"
KTH_ZIPS = tuple(f"{action}.zip" for action in KTH_ACTIONS)
KTH_TERMS = (
    "KTH Actions dataset (C. Schuldt, I. Laptev, B. Caputo): free for research and non-commercial use. "
    "Publications using it must cite: C. Schuldt, I. Laptev and B. Caputo, 'Recognizing Human Actions: "
    "A Local SVM Approach', ICPR 2004. Source: https://www.csc.kth.se/cvap/actions/"
)

_ACTION_GROUP = "|".join(KTH_ACTIONS)
_NAME = rf"person(\d{{2}})_({_ACTION_GROUP})_d([1-4])"
_LINE = re.compile(rf"^\s*{_NAME}\b(.*)$")
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_VIDEO_FILE = re.compile(rf"^{_NAME}_uncomp\.avi$")
T = TypeVar("T")
R = TypeVar("R")


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


@dataclass(frozen=True)
class VideoSource:
    """Where a video's bytes are: a file on disk, or ``member`` of the zip at ``path``."""

    path: Path
    member: str | None = None

    def label(self) -> str:
        return f"{self.path}:{self.member}" if self.member else str(self.path)


MISSING_MARK = "*missing*"


def parse_sequences(path: str | os.PathLike) -> list[KthVideo]:
    """Parse the official ``00sequences.txt`` by meaning: video name, the word ``frames``, ``a-b`` ranges.

    Prose lines (the header, which also names persons) and blank lines are skipped; line endings may be CRLF and
    the whitespace between the fields any mix of spaces and tabs. A video listed as ``*missing*`` (the official
    file's ``person13_handclapping_d3``) is returned with no ranges: reported by the callers, not fatal.
    Overlapping ranges (the official file has 7 pairs) are kept as listed and warned about once. Returns the
    videos sorted by name. A line that names a video but whose ranges cannot be read, or a file with no video
    lines, raises a one-line DrnetError naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        raise DrnetError(f"{path} not found; run the kth_download stage or place the official {SEQUENCES_FILE} there")
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise DrnetError(f"cannot read {path}: {exc.strerror}") from None
    videos: dict[str, KthVideo] = {}
    overlaps: list[str] = []
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
        for (a0, a1), (b0, b1) in zip(ranges, ranges[1:]):
            if b0 <= a1:
                overlaps.append(f"{match.group(0).split()[0]} {a0}-{a1}, {b0}-{b1}")
        video = KthVideo(int(person), action, f"d{scenario}", tuple(ranges))
        if video.name in videos:
            log.warning("%s lists %s twice; keeping the first line", path, video.name)
            continue
        videos[video.name] = video
    if not videos:
        raise DrnetError(f"{path} lists no videos (expected lines like 'person01_boxing_d1 frames 1-95, 96-185'); "
                         f"it is empty or not the KTH sequences file: delete it and download it again")
    if overlaps:
        log.warning("%s has %d pair(s) of overlapping ranges (kept as listed, like the authors' subsequences): %s",
                    path, len(overlaps), "; ".join(overlaps))
    return [videos[name] for name in sorted(videos)]


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
    """``person01_boxing_d1`` for ``.../person01_boxing_d1_uncomp.avi``; None for other names."""
    match = _VIDEO_FILE.match(Path(filename).name)
    return f"person{match.group(1)}_{match.group(2)}_d{match.group(3)}" if match else None


def extracted_videos(raw_dir: str | os.PathLike) -> dict[str, Path]:
    """KTH AVIs found anywhere below ``raw_dir``, by video name (sorted paths: the first one wins)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(raw_dir).rglob("*_uncomp.avi")):
        if any(is_temp_name(part) for part in path.relative_to(raw_dir).parts):
            continue  # a killed run's temporary, not a video
        name = video_name(path.name)
        if name and name not in found:
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


def fetch_kth(raw_dir: str | os.PathLike, cfg: Download, manifest_path: str | os.PathLike | None = None,
              backoff: float = 1.0, local_dir: str | os.PathLike | None = None) -> dict:
    """Make ``raw_dir`` hold the sequences file and the six actions' videos; write and return its manifest.

    Files already present (zips or extracted AVIs) are used without the network; files in ``local_dir`` (the
    user's own copies) are copied in instead of downloaded. The zips' checksums are not published, so each zip
    is checked member by member (CRC) and its sha256 recorded in the manifest.
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
    for action, zip_name in zip(KTH_ACTIONS, KTH_ZIPS):
        avis = {n: p for n, p in extracted.items() if n.split("_")[1] == action}
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


def decode_video(path: str | os.PathLike, image_size: int, label: str | None = None) -> tuple[np.ndarray, int]:
    """Decode an AVI into grey frames resized to ``image_size`` (area interpolation).

    Returns (uint8 [T, S, S, 1], the frame count the container declares, 0 if unknown). KTH stores grey content
    in colour frames, so one grey channel keeps all the information. Raises DrnetError naming ``label`` (default:
    the path) when the file cannot be opened or yields no frames.
    """
    label = label or str(path)
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
    if not capture.isOpened():
        raise DrnetError(f"{label} cannot be opened as a video (unreadable or corrupt); delete it and download or "
                         f"extract it again")
    declared = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            frames.append(cv2.resize(grey, (image_size, image_size), interpolation=cv2.INTER_AREA))
    finally:
        capture.release()
    if not frames:
        raise DrnetError(f"{label} holds no decodable frames (corrupt or truncated); delete it and download or "
                         f"extract it again")
    return np.stack(frames)[..., None], declared


@dataclass
class _Decoded:
    video: KthVideo
    frames: np.ndarray  # uint8 [T, S, S, 1]
    seconds: float
    declared: int = 0  # frames the container declares (0: unknown)
    truncated: bool = False


def _extract_member(source: VideoSource, out) -> None:
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


def _decode_task(video: KthVideo, source: VideoSource, image_size: int, tmp_dir: Path) -> _Decoded:
    start = time.perf_counter()
    if source.member is None:
        frames, declared = decode_video(source.path, image_size)
    else:
        with tempfile.NamedTemporaryFile(suffix=".avi", dir=tmp_dir) as tmp:
            _extract_member(source, tmp)
            tmp.flush()
            frames, declared = decode_video(tmp.name, image_size, label=source.label())
    truncated = declared > len(frames)
    if truncated:
        # a stream cut mid-frame may decode its last frame half-drawn: keep only the frames before it
        kept = max(len(frames) - 1, 1)
        log.warning("%s decodes to %d of the %d frames it declares (truncated, like the official "
                    "person01_boxing_d4); using its first %d frames: ranges past them are cut or dropped",
                    source.label(), len(frames), declared, kept)
        frames = frames[:kept]
    return _Decoded(video, frames, time.perf_counter() - start, declared, truncated)


def ordered_map(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """``pool.map`` with at most ``window`` tasks in flight; results come in the order of ``items``."""
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def ingest_kth(raw_dir: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike,
               cfg: KthData, threads: int = 1) -> dict[str, Any]:
    """Decode, cut and resize every listed video of the split persons into the train and test stores.

    Videos are decoded by ``threads`` workers and written in sorted name order, so the stores do not depend on
    the thread count. Both stores appear only when everything succeeded. Returns a summary (sizes, timing).
    """
    raw_dir, synthetic = open_raw_folder(raw_dir, "kth", cfg.source, "synthetic videos")
    listed = parse_sequences(raw_dir / SEQUENCES_FILE)
    sources = locate_videos(raw_dir)
    missing = [v.name for v in listed if v.listed_missing or v.name not in sources]
    for name in missing:
        log.warning("%s lists %s but the video is not in %s (or is marked %s); skipping it", SEQUENCES_FILE, name,
                    raw_dir, MISSING_MARK)
    split_of = {**{p: "train" for p in cfg.train_persons}, **{p: "test" for p in cfg.test_persons}}
    todo = [v for v in listed if v.name not in set(missing) and v.person in split_of]
    unused = sorted({v.person for v in listed if v.person not in split_of})
    if unused:
        log.info("persons %s are in neither kth.data.train_persons nor test_persons; their videos are skipped", unused)
    for split in ("train", "test"):
        if not any(split_of[v.person] == split for v in todo):
            persons = cfg.train_persons if split == "train" else cfg.test_persons
            raise DrnetError(f"no videos of the {split} persons {persons} in {raw_dir}; check "
                             f"kth.data.{split}_persons against the persons the raw folder holds")
    raw_files = sorted({raw_dir / SEQUENCES_FILE, *(sources[v.name].path for v in todo)})
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        digests = pool.map(file_digest, raw_files)
        checksums = {f.relative_to(raw_dir).as_posix(): f"sha256:{d}" for f, d in zip(raw_files, digests)}
    size = cfg.image_size
    source_name = "synthetic" if synthetic else "official"
    attrs = {"params": cfg.model_dump(), "missing_videos": missing, "fps": 25, "actions": list(KTH_ACTIONS)}
    outs = {"train": Path(train_out), "test": Path(test_out)}
    counts = {split: {"sequences": 0, "frames": 0, "dropped_short": 0} for split in outs}
    truncated: dict[str, list[int]] = {}
    decode_seconds: list[float] = []
    start = time.perf_counter()
    work_dir = ensure_dir(outs["train"].parent)
    remove_stale_temps(work_dir, temp_name_pattern("kth"))  # extraction folder of a killed run
    # both stores are finished first, then renamed together: never a new test.h5 beside an old train.h5
    with atomic_paths(list(outs.values())) as tmps, ExitStack() as stack:
        tmp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".tmp-kth-", dir=work_dir)))
        writers = {split: stack.enter_context(VideoStoreWriter(
            tmp, dataset="kth", split=split, source=source_name, synthetic=synthetic, frame_shape=(size, size, 1),
            raw_checksums=checksums, attrs=attrs, atomic=False)) for split, tmp in zip(outs, tmps)}
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(threads, 1)))
        stack.enter_context(logging_redirect_tqdm())

        def task(video: KthVideo) -> _Decoded:
            return _decode_task(video, sources[video.name], size, tmp_dir)

        results = ordered_map(pool, task, todo, window=2 * max(threads, 1))
        for decoded in tqdm(results, total=len(todo), desc="kth ingest", unit="video", disable=None):
            video, frames = decoded.video, decoded.frames
            split = split_of[video.person]
            t0 = time.perf_counter()
            kept = _write_subsequences(writers[split], decoded, cfg.min_length, counts[split])
            decode_seconds.append(decoded.seconds)
            if decoded.truncated:
                truncated[video.name] = [len(frames), decoded.declared]
            log.info("%s: %d frames, %d/%d subsequences kept, decode %.3f s, write %.3f s", video.name, len(frames),
                     kept, len(video.ranges), decoded.seconds, time.perf_counter() - t0)
        for split in writers:
            if counts[split]["sequences"] == 0:
                raise DrnetError(f"no {split} subsequence has at least kth.data.min_length={cfg.min_length} frames; "
                                 f"lower kth.data.min_length")
    total = time.perf_counter() - start
    mean = total / len(todo)
    log.info("ingested %d videos in %.1f s: %.3f s per video (decode %.3f s mean on %d threads)", len(todo), total,
             mean, float(np.mean(decode_seconds)), threads)
    return {"source": source_name, "synthetic": synthetic, "image_size": size, "videos": len(todo),
            "missing_videos": missing, "truncated_videos": truncated, "seconds_per_video": round(mean, 4), **counts}


def _write_subsequences(writer: VideoStoreWriter, decoded: _Decoded, min_length: int, counts: dict) -> int:
    video, frames = decoded.video, decoded.frames
    n = len(frames)
    kept = 0
    for index, (first, last) in enumerate(video.ranges):
        if first > n:
            log.warning("%s: range %d-%d starts after the video's %d frames; skipped", video.name, first, last, n)
            continue
        if last > n:
            log.warning("%s: range %d-%d ends after the video's %d frames; cut to %d-%d", video.name, first, last,
                        n, first, n)
            last = n
        if last - first + 1 < min_length:
            counts["dropped_short"] += 1
            continue
        writer.add(frames[first - 1:last], person=video.person, action=video.action, scenario=video.scenario,
                   subsequence=index, video=video.name)
        counts["sequences"] += 1
        counts["frames"] += last - first + 1
        kept += 1
    return kept
