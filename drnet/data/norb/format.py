"""The NORB binary matrix format: read (memory-mapped or gzipped) and write, with every header checked.

Little-endian int32 magic (0x1E3D4C55 uint8, 0x1E3D4C54 int32, 0x1E3D4C51 float32, 0x1E3D4C53 float64,
0x1E3D4C56 int16), int32 ndim, max(3, ndim) int32 dims (unused trailing dims are 1), then the data in C order.
A crafted header cannot make a reader allocate or inflate more than ``MAX_MATRIX_BYTES``.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drnet.errors import DrnetError
from drnet.io import atomic_path, disk_full

MAGIC = {
    0x1E3D4C55: np.dtype("<u1"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C56: np.dtype("<i2"),
}
_MAGIC_OF = {dtype.str: magic for magic, dtype in MAGIC.items()}
_MAX_NDIM = 16
# The largest official file (training dat, 24300x2x96x96 uint8) holds 448 MB: a header asking for more is refused
# before anything is allocated or inflated.
MAX_MATRIX_BYTES = 1 << 30
# How to repair a bad raw file (the end of every refusal about one).
FIX = "delete it and download it again (norb_download) or regenerate it (norb_synth)"


def header_bytes(magic: int, shape: tuple[int, ...]) -> bytes:
    """The header of a matrix of ``shape`` whose element type has ``magic`` (see :data:`MAGIC`)."""
    dims = list(shape) + [1] * max(0, 3 - len(shape))
    return np.asarray([magic, len(shape), *dims], dtype="<i4").tobytes()


def write_matrix(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` (uint8, int32, float32, float64 or int16) in the NORB binary matrix format (atomic).

    A path ending in ``.gz`` is gzip-compressed, like the files on the official mirror.
    """
    path = Path(path)
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    magic = _MAGIC_OF.get(np.dtype(dtype).str)
    if magic is None or array.ndim == 0:
        raise ValueError(f"cannot write a {array.dtype} array of shape {list(array.shape)} as a NORB matrix")
    payload = header_bytes(magic, array.shape) + np.ascontiguousarray(array, dtype=dtype).tobytes()
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            with gzip.open(tmp, "wb", compresslevel=6) as out:
                out.write(payload)
        else:
            tmp.write_bytes(payload)
    return path


@dataclass(frozen=True)
class MatrixHeader:
    """A parsed header: element type, shape and where the data starts."""

    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int  # bytes before the data

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize  # Python ints: crafted dims cannot overflow


def parse_header(head: bytes, path: Path) -> MatrixHeader:
    """Parse and check the header at the start of ``head`` (``path`` names the file in refusals)."""
    if len(head) < 8:
        raise DrnetError(f"{path} is truncated: {len(head)} bytes, shorter than a NORB matrix header; {FIX}")
    magic, ndim = (int(v) for v in np.frombuffer(head[:8], dtype="<i4"))
    if magic not in MAGIC:
        raise DrnetError(f"{path} is not a NORB matrix file (magic 0x{magic & 0xFFFFFFFF:08X}, expected one of "
                         f"{', '.join(f'0x{m:08X}' for m in MAGIC)}); it is corrupt or not small-NORB: {FIX}")
    if not 1 <= ndim <= _MAX_NDIM:
        raise DrnetError(f"{path} declares {ndim} dimensions (expected 1..{_MAX_NDIM}): corrupt header; {FIX}")
    offset = 8 + 4 * max(3, ndim)
    if len(head) < offset:
        raise DrnetError(f"{path} is truncated inside its header ({len(head)} of {offset} bytes); {FIX}")
    dims = np.frombuffer(head[8:offset], dtype="<i4")
    shape = tuple(int(d) for d in dims[:ndim])
    if any(d < 0 for d in shape):
        raise DrnetError(f"{path} declares negative dimensions {list(shape)}: corrupt header; {FIX}")
    header = MatrixHeader(MAGIC[magic], shape, offset)
    if header.nbytes > MAX_MATRIX_BYTES:
        raise DrnetError(f"{path} declares {header.dtype.name} {list(shape)} ({header.nbytes} bytes, over the "
                         f"{MAX_MATRIX_BYTES}-byte cap; small NORB's largest file holds 447897600): corrupt header "
                         f"or not small NORB; {FIX}")
    return header


def read_header(path: str | os.PathLike) -> MatrixHeader:
    """The header of an uncompressed NORB matrix file; checks the file holds exactly the data it declares."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8 + 4 * _MAX_NDIM)
        size = path.stat().st_size
    except OSError as exc:
        raise DrnetError(f"cannot read {path}: {exc.strerror}; {FIX}") from None
    header = parse_header(head, path)
    _check_size(path, header, size - header.offset)
    return header


def _check_size(path: Path, header: MatrixHeader, have: int) -> None:
    if have < header.nbytes:
        raise DrnetError(f"{path} is truncated: {have} of the {header.nbytes} data bytes its header declares "
                         f"({header.dtype.name} {list(header.shape)}); {FIX}")
    if have > header.nbytes:
        raise DrnetError(f"{path} has {have - header.nbytes} bytes after the {header.nbytes} its header declares "
                         f"({header.dtype.name} {list(header.shape)}): corrupt; {FIX}")


def read_matrix(path: str | os.PathLike) -> np.ndarray:
    """Read a NORB matrix file: ``.mat`` as a read-only memory map, ``.mat.gz`` decompressed into memory."""
    path = Path(path)
    if path.suffix != ".gz":
        header = read_header(path)
        if header.nbytes == 0:
            return np.zeros(header.shape, dtype=header.dtype)
        return np.memmap(path, dtype=header.dtype, mode="r", offset=header.offset, shape=header.shape)
    try:
        with gzip.open(path, "rb") as f:
            header = parse_header(read_header_bytes(f), path)
            f.seek(header.offset)
            raw = f.read(header.nbytes + 1)  # capped by the (already capped) header: a gzip bomb is not inflated
    except (OSError, EOFError, zlib.error) as exc:
        if disk_full(exc):
            raise
        raise DrnetError(f"{path} is not a complete gzip file ({exc}): corrupt or truncated; {FIX}") from None
    _check_size(path, header, len(raw))
    return np.frombuffer(raw, dtype=header.dtype, count=math.prod(header.shape)).reshape(header.shape)


def read_header_bytes(f) -> bytes:
    """Up to the longest possible header from an open (gzip) stream."""
    return f.read(8 + 4 * _MAX_NDIM)
