"""Wire format between the grader and the sandboxed worker.

This module is imported by both sides. It is copied next to ``worker.py``
into the sandbox, so it depends on the standard library and NumPy only and
never imports anything from ``graders``.

Frame layout::

    b"NNGR" | uint32 little-endian JSON length | UTF-8 JSON header | blobs

``header["blobs"]`` lists ``{"dtype": "<f8", "shape": [2, 3]}`` for each raw
C-order blob that follows the header. The reader validates every size
*before* allocating, so a forged header cannot make it allocate memory.

Values inside a header are encoded as "parts":

=====================  =============================================
value                  part
=====================  =============================================
ndarray                ``{"t": "arr", "i": blob_index}``
float (Python, NumPy)  ``{"t": "float", "i": i}`` (0-d float64 blob)
int, bool, None, str   the JSON value itself
list, tuple            ``{"t": "list", "items": [...]}``
dict with str keys     ``{"t": "dict", "items": {...}}``
remote object          ``{"t": "ref", "id": int, "type": str}``
=====================  =============================================

Other tags (``rng``, ``stored``) are interpreted by the side that receives
them through the ``tags`` argument of :func:`decode`.
"""
from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

MAGIC = b"NNGR"
MAX_HEADER_BYTES = 1 << 20
MAX_NDIM = 4
MAX_DEPTH = 4
MAX_ITEMS = 10_000
MAX_STRING = 65_536
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: dtype strings accepted on the wire (little-endian or byte-order free).
ALLOWED_DTYPES = frozenset(
    ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f4", "<f8"]
)
_LENGTH = struct.Struct("<I")


class ProtocolError(Exception):
    """A frame or an encoded value violates the wire format."""


class UnsupportedValue(ProtocolError):
    """A value has a type that cannot cross the boundary."""


@dataclass(frozen=True)
class Ref:
    """Handle of an object that lives in the worker.

    Parameters
    ----------
    id : int
        Identifier in the worker's object table.
    type : str
        Class name of the object, for messages.
    """

    id: int
    type: str = ""


# --------------------------------------------------------------------------- encoding


def wire_array(array: np.ndarray) -> np.ndarray:
    """Return `array` as a plain, C-contiguous ndarray with a wire dtype.

    Parameters
    ----------
    array : numpy.ndarray
        Any ndarray, including subclasses and big-endian arrays.

    Returns
    -------
    numpy.ndarray
        A base-class ndarray whose ``dtype.str`` is in :data:`ALLOWED_DTYPES`.

    Raises
    ------
    UnsupportedValue
        If the dtype is not boolean, integer, float32 or float64, or the
        array has more than :data:`MAX_NDIM` dimensions.
    """
    dtype = array.dtype
    if dtype.kind not in "biuf" or dtype.itemsize > 8 or dtype.str[1:] == "f2":
        raise UnsupportedValue(
            f"an array of dtype {dtype} cannot be returned; "
            "use bool, integer, float32 or float64 arrays"
        )
    if array.ndim > MAX_NDIM:
        raise UnsupportedValue(f"an array with {array.ndim} dimensions (at most {MAX_NDIM})")
    plain = np.asarray(array, dtype=dtype.newbyteorder("<"))  # base class, little-endian
    if not plain.flags.c_contiguous:
        plain = plain.copy(order="C")
    if plain.dtype.str not in ALLOWED_DTYPES:  # pragma: no cover - guarded above
        raise UnsupportedValue(f"dtype {plain.dtype.str} is not allowed on the wire")
    return plain


def encode(
    value: Any,
    blobs: list[np.ndarray] | None = None,
    *,
    fallback: Callable[[Any], Any] | None = None,
) -> tuple[Any, list[np.ndarray]]:
    """Encode `value` as a JSON-compatible part plus the blobs it refers to.

    Parameters
    ----------
    value : object
        Value to encode (see the module docstring for the supported types).
    blobs : list of numpy.ndarray, optional
        Blob list to append to, so several values can share one frame.
    fallback : callable, optional
        Called with any value of an unsupported type; returns a part
        (e.g. a ``ref`` part) or raises :class:`UnsupportedValue`.

    Returns
    -------
    part : object
        JSON-compatible description of the value.
    blobs : list of numpy.ndarray
        The blob list (the one given, or a new one).

    Raises
    ------
    UnsupportedValue
        If a value (or a nested item) cannot be encoded.
    """
    if blobs is None:
        blobs = []
    return _encode(value, blobs, fallback, 0), blobs


def _encode(value: Any, blobs: list, fallback: Callable | None, depth: int) -> Any:
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        number = int(value)
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise UnsupportedValue(f"the integer {number} does not fit in 64 bits")
        return number
    if isinstance(value, (float, np.floating)):
        blobs.append(np.array(float(value), dtype="<f8"))
        return {"t": "float", "i": len(blobs) - 1}
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise UnsupportedValue(f"a string of {len(value)} characters (at most {MAX_STRING})")
        return value
    if isinstance(value, np.ndarray):
        blobs.append(wire_array(value))
        return {"t": "arr", "i": len(blobs) - 1}
    if isinstance(value, Ref):
        return {"t": "ref", "id": value.id, "type": value.type}
    if isinstance(value, (list, tuple, dict)):
        if depth >= MAX_DEPTH:
            raise UnsupportedValue(f"containers nested deeper than {MAX_DEPTH} levels")
        if len(value) > MAX_ITEMS:
            raise UnsupportedValue(f"a container of {len(value)} items (at most {MAX_ITEMS})")
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise UnsupportedValue("a dict whose keys are not all strings")
            items = {k: _encode(v, blobs, fallback, depth + 1) for k, v in value.items()}
            return {"t": "dict", "items": items}
        return {"t": "list", "items": [_encode(v, blobs, fallback, depth + 1) for v in value]}
    if fallback is not None:
        return fallback(value)
    raise UnsupportedValue(f"an object of type {type(value).__name__!r}")


# --------------------------------------------------------------------------- decoding


def decode(
    part: Any,
    arrays: list[np.ndarray],
    *,
    tags: dict[str, Callable[[dict], Any]] | None = None,
) -> Any:
    """Rebuild a value from its part and the frame's arrays, validating it.

    Parameters
    ----------
    part : object
        A part produced by :func:`encode` (untrusted).
    arrays : list of numpy.ndarray
        Arrays returned by :func:`read_frame`.
    tags : dict, optional
        Handlers for extra tags, ``{"ref": fn, ...}``; each gets the part dict.
        Without a ``ref`` handler, refs decode to :class:`Ref`.

    Returns
    -------
    object
        Plain ndarray, float, int, bool, None, str, list or dict (or whatever
        a tag handler returns).

    Raises
    ------
    ProtocolError
        If the part is malformed.
    """
    return _decode(part, arrays, tags or {}, 0)


def _decode(part: Any, arrays: list, tags: dict, depth: int) -> Any:
    if part is None or isinstance(part, (bool, str)):
        return part
    if isinstance(part, int):
        if not _INT64_MIN <= part <= _INT64_MAX:
            raise ProtocolError("integer out of the 64-bit range")
        return part
    if not isinstance(part, dict) or not isinstance(part.get("t"), str):
        raise ProtocolError(f"malformed value part of type {type(part).__name__}")
    tag = part["t"]
    if tag in ("arr", "float"):
        index = part.get("i")
        if type(index) is not int or not 0 <= index < len(arrays):
            raise ProtocolError("array index out of range")
        array = arrays[index]
        if tag == "arr":
            return array
        if array.shape != () or array.dtype != np.float64:
            raise ProtocolError("a float must be a 0-d float64 blob")
        return float(array[()])
    if tag in ("list", "dict"):
        items = part.get("items")
        if depth >= MAX_DEPTH:
            raise ProtocolError(f"containers nested deeper than {MAX_DEPTH} levels")
        if tag == "list" and isinstance(items, list) and len(items) <= MAX_ITEMS:
            return [_decode(item, arrays, tags, depth + 1) for item in items]
        if tag == "dict" and isinstance(items, dict) and len(items) <= MAX_ITEMS:
            return {k: _decode(v, arrays, tags, depth + 1) for k, v in items.items()}
        raise ProtocolError(f"malformed {tag} part")
    if tag in tags:
        return tags[tag](part)
    if tag == "ref":
        ref_id, type_name = part.get("id"), part.get("type", "")
        if type(ref_id) is not int or not isinstance(type_name, str) or len(type_name) > 200:
            raise ProtocolError("malformed ref part")
        return Ref(ref_id, type_name)
    raise ProtocolError(f"unknown value tag {tag[:40]!r}")


# --------------------------------------------------------------------------- frames


def _blob_layout(descriptors: Any, max_bytes: int) -> list[tuple[np.dtype, tuple, int]]:
    """Validate blob descriptors and return ``(dtype, shape, nbytes)`` for each."""
    if not isinstance(descriptors, list):
        raise ProtocolError("header 'blobs' must be a list")
    layout, total = [], 0
    for descriptor in descriptors:
        if not isinstance(descriptor, dict):
            raise ProtocolError("blob descriptor must be an object")
        dtype_str, shape = descriptor.get("dtype"), descriptor.get("shape")
        if dtype_str not in ALLOWED_DTYPES:
            raise ProtocolError(f"blob dtype {str(dtype_str)[:20]!r} is not allowed")
        if not isinstance(shape, list) or len(shape) > MAX_NDIM:
            raise ProtocolError(f"blob shape must be a list of at most {MAX_NDIM} dims")
        if not all(type(dim) is int and dim >= 0 for dim in shape):
            raise ProtocolError("blob dims must be non-negative integers")
        dtype = np.dtype(dtype_str)
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        total += nbytes
        if nbytes > max_bytes or total > max_bytes:
            raise ProtocolError(f"frame data exceeds the cap of {max_bytes} bytes")
        layout.append((dtype, tuple(shape), nbytes))
    return layout


def frame_buffers(header: dict, blobs: list[np.ndarray]) -> list[memoryview]:
    """Serialise a frame into buffers ready to be written in order.

    Parameters
    ----------
    header : dict
        JSON-compatible header; its ``"blobs"`` key is set from `blobs`.
    blobs : list of numpy.ndarray
        Arrays with wire dtypes (see :func:`wire_array`).

    Returns
    -------
    list of memoryview
    """
    plain = [wire_array(blob) for blob in blobs]
    header = dict(header, blobs=[{"dtype": b.dtype.str, "shape": list(b.shape)} for b in plain])
    text = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(text) > MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {len(text)} bytes exceeds {MAX_HEADER_BYTES}")
    buffers = [memoryview(MAGIC + _LENGTH.pack(len(text)) + text)]
    buffers += [memoryview(blob.reshape(-1).view(np.uint8)) for blob in plain if blob.nbytes]
    return buffers


def write_frame(
    fd: int, header: dict, blobs: list[np.ndarray], *, wait: Callable[[], None] | None = None
) -> None:
    """Write one frame to `fd`.

    Parameters
    ----------
    fd : int
        File descriptor (blocking, or non-blocking when `wait` is given).
    header, blobs
        See :func:`frame_buffers`.
    wait : callable, optional
        Called when a non-blocking `fd` is not writable; returns once it is
        (or raises, e.g. on a deadline).
    """
    for buffer in frame_buffers(header, blobs):
        position = 0
        while position < len(buffer):
            try:
                position += os.write(fd, buffer[position : position + (1 << 20)])
            except BlockingIOError:
                if wait is None:
                    raise
                wait()


def _read_some(fd: int, view: memoryview) -> int:
    """Read at most ``len(view)`` bytes into `view`; the count read (0 at end of stream)."""
    readv = getattr(os, "readv", None)
    if readv is not None:
        return readv(fd, [view])
    data = os.read(fd, min(len(view), 1 << 20))  # Windows has no readv
    view[:len(data)] = data
    return len(data)


def _read_into(fd: int, view: memoryview, wait: Callable | None, started: bool) -> None:
    position = 0
    while position < len(view):
        try:
            count = _read_some(fd, view[position:])
        except BlockingIOError:
            if wait is None:
                raise
            wait()
            continue
        if count == 0:
            if not started and position == 0:
                raise EOFError("end of stream")
            raise ProtocolError("the stream ended in the middle of a frame")
        position += count


def read_frame(
    fd: int, max_bytes: int, *, wait: Callable[[], None] | None = None
) -> tuple[dict, list[np.ndarray]]:
    """Read and validate one frame from `fd`.

    Parameters
    ----------
    fd : int
        File descriptor (blocking, or non-blocking when `wait` is given).
    max_bytes : int
        Cap on the total size of the frame's blobs.
    wait : callable, optional
        Called when a non-blocking `fd` has no data; returns once it has
        (or raises, e.g. on a deadline).

    Returns
    -------
    header : dict
        The decoded JSON header.
    arrays : list of numpy.ndarray
        Freshly allocated, writable, plain arrays, one per blob.

    Raises
    ------
    EOFError
        If the stream ends cleanly before a frame starts.
    ProtocolError
        If the frame is malformed, too large, or truncated.
    """
    prefix = bytearray(8)
    _read_into(fd, memoryview(prefix), wait, started=False)
    if prefix[:4] != MAGIC:
        raise ProtocolError("bad frame magic")
    (length,) = _LENGTH.unpack(prefix[4:])
    if length > MAX_HEADER_BYTES:
        raise ProtocolError(f"header length {length} exceeds {MAX_HEADER_BYTES}")
    text = bytearray(length)
    _read_into(fd, memoryview(text), wait, started=True)
    try:
        header = json.loads(text.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"header is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header must be a JSON object")
    arrays = []
    for dtype, shape, nbytes in _blob_layout(header.get("blobs", []), max_bytes):
        data = bytearray(nbytes)
        _read_into(fd, memoryview(data), wait, started=True)
        arrays.append(np.frombuffer(data, dtype=dtype).reshape(shape))
    return header, arrays


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a header")
