"""The official MNIST IDX files: their names and md5s (downloaded by stage ``mnist_download``) and the parser.

Digits are uint8 [N, 28, 28] resized to the configured digit size; labels int64 [N].
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from drnet.data.download import RemoteFile
from drnet.data.mnist.digits import resize_digits
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
    bad = np.flatnonzero(labels > 9)
    if len(bad):
        raise DrnetError(f"{raw_dir / MNIST_FILES[f'{prefix}_labels'].name}: label {labels[bad[0]]} at index "
                         f"{bad[0]} ({len(bad)} labels outside 0-9); not an MNIST labels file: delete it and download "
                         f"it again")
    return resize_digits(images, digit_size), labels.astype(np.int64)
