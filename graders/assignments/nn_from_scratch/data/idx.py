"""Reader for the IDX file format used by the official MNIST files.

An IDX file is a 4-byte magic number, one 4-byte big-endian size per
dimension, then the data in C order. The magic is ``0x00 0x00 <dtype> <ndim>``;
MNIST uses dtype ``0x08`` (unsigned byte) with 3 dimensions for images
(magic ``0x00000803``) and 1 dimension for labels (magic ``0x00000801``).

Files may be gzip-compressed or raw; compression is detected from the first
two bytes (the gzip magic ``1f 8b``), never from the file name.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

#: Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
IMAGES_MAGIC = 0x00000803
#: Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
LABELS_MAGIC = 0x00000801

_GZIP_MAGIC = b"\x1f\x8b"
_UINT8_CODE = 0x08
_MAGIC_BY_KIND = {"images": IMAGES_MAGIC, "labels": LABELS_MAGIC}


class IdxFormatError(ValueError):
    """An IDX file is unreadable, malformed or not what was expected.

    The message always starts with the path of the offending file.
    """


def read_idx_bytes(path: str | Path) -> bytes:
    """Return the uncompressed content of an IDX file.

    Parameters
    ----------
    path : str or pathlib.Path
        File to read; gzip-compressed or raw, detected by its first bytes.

    Returns
    -------
    bytes
        The file content, decompressed if it was gzip-compressed.

    Raises
    ------
    IdxFormatError
        If the file is gzip-compressed but the compressed stream is corrupt
        or truncated.
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxFormatError(
            f"{path}: looks gzip-compressed (starts with 1f 8b) but cannot be "
            f"decompressed ({exc}); the file is probably truncated or corrupt"
        ) from exc


def read_idx(path: str | Path, kind: str | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (MNIST images or labels).

    Parameters
    ----------
    path : str or pathlib.Path
        The IDX file, gzip-compressed or raw.
    kind : {"images", "labels"}, optional
        What the file must contain. ``"images"`` requires magic
        ``0x00000803`` (3 dimensions), ``"labels"`` requires magic
        ``0x00000801`` (1 dimension). ``None`` accepts either.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array with the dimensions from the header, e.g.
        ``(n, 28, 28)`` for MNIST images and ``(n,)`` for labels.

    Raises
    ------
    IdxFormatError
        If the magic number, dtype code or number of dimensions is wrong,
        or the file length does not match the dimension header.
    ValueError
        If `kind` is not one of the accepted values.
    """
    if kind is not None and kind not in _MAGIC_BY_KIND:
        raise ValueError(f"kind must be 'images', 'labels' or None, not {kind!r}")
    path = Path(path)
    data = read_idx_bytes(path)
    if len(data) < 4:
        raise IdxFormatError(
            f"{path}: too short to be an IDX file ({len(data)} bytes, "
            "need at least a 4-byte magic number)"
        )

    magic = int.from_bytes(data[:4], "big")
    dtype_code, ndim = data[2], data[3]
    if data[0] != 0 or data[1] != 0:
        raise IdxFormatError(
            f"{path}: not an IDX file: bad magic number 0x{magic:08x} "
            "(an IDX file starts with two zero bytes)"
        )
    if dtype_code != _UINT8_CODE:
        raise IdxFormatError(
            f"{path}: unsupported IDX data type code 0x{dtype_code:02x} in magic "
            f"0x{magic:08x}; only 0x08 (unsigned byte) is supported"
        )
    allowed = [_MAGIC_BY_KIND[kind]] if kind else list(_MAGIC_BY_KIND.values())
    if magic not in allowed:
        wanted = " or ".join(f"0x{m:08x}" for m in allowed)
        what = f"{kind} file" if kind else "MNIST images/labels file"
        raise IdxFormatError(
            f"{path}: magic number 0x{magic:08x} ({ndim} dimensions) is not "
            f"valid for an {what}; expected {wanted}"
        )

    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IdxFormatError(
            f"{path}: truncated header: {ndim} dimensions need a {header_len}-byte "
            f"header but the file has only {len(data)} bytes"
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = header_len + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise IdxFormatError(
            f"{path}: file {problem}: header declares shape {shape}, i.e. "
            f"{expected} bytes in total, but the (uncompressed) file has "
            f"{len(data)} bytes"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(shape).copy()
