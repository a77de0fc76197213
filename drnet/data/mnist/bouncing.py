"""Bouncing two-colour MNIST: digit sources and the sequence generator.

Sources of 32x32 grey digits (uint8 [N, 32, 32]) with labels:
- ``idx``: the official MNIST IDX files (downloaded and md5-verified by ``stages/mnist_download.py``),
- ``sklearn_digits``: scikit-learn's bundled 8x8 handwritten digits (real data shipped with a declared
  dependency), upscaled to the digit size; the offline default of the demo. Outputs say so (``synthetic``).

The generator follows the paper: 64x64 RGB frames, each digit drawn in its own colour channel, moving with a
constant velocity and bouncing off the walls; where digits overlap the later one occludes the earlier one.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np

from drnet.data.download import RemoteFile
from drnet.errors import DrnetError
from drnet.io import disk_full

MNIST_FILES = {
    "train_images": RemoteFile("train-images-idx3-ubyte.gz", "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": RemoteFile("train-labels-idx1-ubyte.gz", "md5:d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": RemoteFile("t10k-images-idx3-ubyte.gz", "md5:9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": RemoteFile("t10k-labels-idx1-ubyte.gz", "md5:ec29112dd5afa0611ce80d1b7f02629c"),
}
IDX_MAGIC = {2051: 3, 2049: 1}  # images: 3 dims, labels: 1 dim
IDX_KIND = {2051: "images", 2049: "labels"}
MAX_IDX_BYTES = 256 << 20  # the largest official file (train images) holds 47 MB; refuse headers asking for more
MAX_DIGIT_SIDE = 1024


def read_idx(path: str | Path, kind: str | None = None) -> np.ndarray:
    """Parse an IDX file, gzipped or not: big-endian magic 2051 (images uint8 [N, H, W]) or 2049 (labels [N]).

    ``kind`` ("images" or "labels"), when given, must match the magic, so an images file under a labels name is
    refused. The header is read first and the data size capped before anything is allocated, and a gzip is
    streamed with that cap: a small file expanding to gigabytes is refused, not inflated.
    """
    path = Path(path)
    if not path.exists():
        raise DrnetError(f"{path} not found; run the mnist_download stage or place the official IDX files there")
    fix = "delete it and download it again"
    try:
        with open(path, "rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"  # by content, not name: a .part or an unpacked .gz reads too
        with (gzip.open if gzipped else open)(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise DrnetError(f"{path} is too short to be an IDX file; {fix}")
            magic = struct.unpack(">i", head[:4])[0]
            if magic not in IDX_MAGIC:
                raise DrnetError(f"{path} has IDX magic {magic}, expected 2051 (images) or 2049 (labels); wrong file?")
            if kind is not None and IDX_KIND[magic] != kind:
                raise DrnetError(f"{path} holds MNIST {IDX_KIND[magic]} (IDX magic {magic}) where {kind} are expected; "
                                 f"the files are swapped or misnamed: put each official file under its own name")
            ndim = IDX_MAGIC[magic]
            head += f.read(4 * ndim - 4)
            if len(head) < 4 + 4 * ndim:
                raise DrnetError(f"{path} is truncated inside its header; {fix}")
            dims = struct.unpack(f">{ndim}i", head[4:4 + 4 * ndim])
            _check_dims(path, dims)
            expected = math.prod(dims)  # Python ints: no overflow
            data = f.read(expected + 1)
    except (OSError, EOFError, zlib.error) as exc:
        if disk_full(exc):
            raise
        raise DrnetError(f"{path} is corrupt or truncated ({exc}); {fix}") from None
    if len(data) != expected:
        what = "more than" if len(data) > expected else f"{len(data)} bytes of data for"
        raise DrnetError(f"{path} holds {what} the {expected} bytes its dims {list(dims)} declare: truncated or "
                         f"corrupt; {fix}")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def _check_dims(path: Path, dims: tuple[int, ...]) -> None:
    """Counts > 0, images with a sane side, and a total size under the cap (checked before reading the data)."""
    if any(d <= 0 for d in dims):
        raise DrnetError(f"{path} declares dims {list(dims)}; every dim must be > 0: corrupt header, delete it and "
                         f"download it again")
    if len(dims) == 3 and max(dims[1:]) > MAX_DIGIT_SIDE:
        raise DrnetError(f"{path} declares {dims[1]}x{dims[2]} images (MNIST digits are 28x28, at most "
                         f"{MAX_DIGIT_SIDE} accepted): wrong or corrupt file, delete it and download it again")
    if math.prod(dims) > MAX_IDX_BYTES:
        raise DrnetError(f"{path} declares dims {list(dims)} ({math.prod(dims)} bytes, over the {MAX_IDX_BYTES}-byte "
                         f"cap): not an MNIST file; delete it and download it again")


def load_idx_digits(raw_dir: str | Path, split: str, digit_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Official MNIST digits of a split, resized to ``digit_size``: (uint8 [N, S, S], labels int64 [N])."""
    raw_dir = Path(raw_dir)
    prefix = "train" if split == "train" else "test"
    images = read_idx(raw_dir / MNIST_FILES[f"{prefix}_images"].name, kind="images")
    labels = read_idx(raw_dir / MNIST_FILES[f"{prefix}_labels"].name, kind="labels")
    if len(images) != len(labels):
        raise DrnetError(f"{raw_dir}: {len(images)} {prefix} images but {len(labels)} labels; the files are from "
                         f"different sets: delete them and download them again")
    return _resize(images, digit_size), labels.astype(np.int64)


def load_sklearn_digits(split: str, digit_size: int, test_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (1797 real handwritten digits), split by a fixed sorted rule.

    Returns (uint8 [N, S, S], labels int64 [N]); every 10th-ish sample by index goes to test (deterministic).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.clip(bunch.images / 16.0 * 255.0, 0, 255).astype(np.uint8)  # [1797, 8, 8], values 0..16
    index = np.arange(len(images))
    is_test = (index % 10) < int(round(test_fraction * 10))
    keep = is_test if split == "test" else ~is_test
    return _resize(images[keep], digit_size), bunch.target[keep].astype(np.int64)


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    if images.shape[1] == size:
        return images
    interp = cv2.INTER_CUBIC if size > images.shape[1] else cv2.INTER_AREA
    out = np.stack([cv2.resize(im, (size, size), interpolation=interp) for im in images])
    return np.clip(out, 0, 255).astype(np.uint8)


class BouncingMnist:
    """Bouncing two-colour MNIST clips drawn from a digit bank, any frame rendered directly.

    A clip is (digit ids, start positions, velocities, front digit), drawn from a numpy Generator. Positions
    are top-left (y, x) of each ``S x S`` digit, moving ``velocity`` pixels per frame and reflected at the
    walls: position(t) is the triangle wave of ``p0 + v * t`` over ``[0, image_size - S]``, which equals
    stepping frame by frame and bouncing, so frame t costs the same for t = 3 and t = 3000. Digit i is drawn in
    colour channel i (mod 3); one digit, chosen per clip as in the authors' code, is in front and occludes the
    others where they overlap (paper: "one occludes the other").
    """

    def __init__(self, digits: np.ndarray, labels: np.ndarray, image_size: int, num_digits: int, max_speed: int):
        self.digits, self.labels = np.asarray(digits, dtype=np.uint8), np.asarray(labels, dtype=np.int64)
        self.image_size, self.num_digits, self.max_speed = image_size, num_digits, max_speed
        self.limit = image_size - self.digits.shape[1]
        if self.limit <= 0 or max_speed > self.limit:
            raise DrnetError(f"digits of {self.digits.shape[1]} px do not bounce in {image_size} px frames at speed "
                             f"{max_speed}; lower mnist.data.digit_size or max_speed")

    def draw(self, rng: np.random.Generator) -> dict[str, np.ndarray | int]:
        """Draw one clip's parameters: ids int64 [D], p0 int64 [D, 2], velocity int64 [D, 2] (never 0), front."""
        n = self.num_digits
        ids = rng.choice(len(self.digits), size=n, replace=False)
        p0 = rng.integers(0, self.limit + 1, size=(n, 2))
        vel = rng.integers(-self.max_speed, self.max_speed + 1, size=(n, 2))
        vel[vel == 0] = 1
        return {"ids": ids, "p0": p0, "velocity": vel, "front": int(rng.integers(n))}

    def positions(self, clip: dict, ts: np.ndarray) -> np.ndarray:
        """Top-left positions int64 [T, D, 2] of the clip's digits at frames ``ts`` [T]."""
        period = 2 * self.limit
        u = np.mod(clip["p0"][None] + clip["velocity"][None] * np.asarray(ts)[:, None, None], period)
        return np.where(u <= self.limit, u, period - u).astype(np.int64)

    def render(self, clip: dict, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frames uint8 [T, H, H, 3] and positions int64 [T, D, 2] of the clip at frames ``ts``."""
        positions = self.positions(clip, ts)
        size, n = self.digits.shape[1], self.num_digits
        order = [i for i in range(n) if i != clip["front"]] + [clip["front"]]  # the front digit is drawn last
        frames = np.zeros((len(positions), self.image_size, self.image_size, 3), dtype=np.uint8)
        for t, pos in enumerate(positions):
            for i in order:
                digit = self.digits[clip["ids"][i]]
                y, x = pos[i]
                patch = frames[t, y:y + size, x:x + size]
                mask = digit > 0
                patch[mask] = 0  # occlude whatever is underneath
                patch[..., i % 3][mask] = digit[mask]
        return frames, positions


def build_split(
    out_path: str | Path,
    split: str,
    data_cfg,
    seed: int,
    raw_dir: str | Path | None = None,
) -> Path:
    """Generate the bouncing-MNIST ``split`` and write it as a video store (atomic).

    Clip ``i`` of a split is drawn from ``np.random.default_rng([seed, split_id, i])``, so the test set is fixed
    and training clips are reproducible per seed, independent of how many clips are generated.
    """
    from drnet.data.store import VideoStoreWriter
    from drnet.io import file_digest

    if data_cfg.source == "idx":
        if raw_dir is None:
            raise DrnetError("mnist.data.source is 'idx' but no raw folder was given (--raw data/raw/mnist)")
        digits, labels = load_idx_digits(raw_dir, split, data_cfg.digit_size)
        checksums = {
            f.name: "sha256:" + file_digest(Path(raw_dir) / f.name)
            for key, f in MNIST_FILES.items() if key.startswith("train" if split == "train" else "test")
        }
        synthetic = False
    else:
        digits, labels = load_sklearn_digits(split, data_cfg.digit_size)
        checksums, synthetic = {}, True
    n_seq = data_cfg.train_sequences if split == "train" else data_cfg.test_sequences
    split_id = {"train": 0, "test": 1}[split]
    size = data_cfg.image_size
    attrs = {"seed": seed, "seq_len": data_cfg.seq_len, "num_digits": data_cfg.num_digits,
             "digit_size": data_cfg.digit_size,
             "note": "bouncing MNIST: digit i drawn in colour channel i; synthetic=True means the digits are "
                     "scikit-learn's embedded 8x8 digits, not the official MNIST"}
    source = BouncingMnist(digits, labels, size, data_cfg.num_digits, data_cfg.max_speed)
    attrs["max_speed"] = data_cfg.max_speed
    with VideoStoreWriter(out_path, dataset="mnist", split=split, source=data_cfg.source, synthetic=synthetic,
                          frame_shape=(size, size, 3), raw_checksums=checksums, attrs=attrs) as writer:
        writer.add_array("digits", digits)  # the split's digit bank: fresh training clips are drawn from it
        writer.add_array("digit_labels", labels)
        for i in range(n_seq):
            clip = source.draw(np.random.default_rng([seed, split_id, i]))
            frames, positions = source.render(clip, np.arange(data_cfg.seq_len))
            meta = {f"digit_{j}": int(labels[k]) for j, k in enumerate(clip["ids"])}
            meta.update({f"source_index_{j}": int(k) for j, k in enumerate(clip["ids"])})
            writer.add(frames, frame_meta={"position": positions}, front=clip["front"], **meta)
    return Path(out_path)


def source_from_store(store) -> BouncingMnist:
    """The clip generator behind an MNIST store (its digit bank and motion settings), for fresh clips."""
    if store.attrs.get("dataset") != "mnist" or "digits" not in store.arrays:
        raise DrnetError(f"{store.path} holds no MNIST digit bank; fresh clips need a store built by mnist_build "
                         f"(rebuild it) or set train.fresh_clips: false")
    return BouncingMnist(store.array("digits"), store.array("digit_labels"), int(store.attrs["image_size"]),
                         int(store.attrs["num_digits"]), int(store.attrs["max_speed"]))
