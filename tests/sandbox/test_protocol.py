"""Frame format and value encoding: round trips and hostile input."""
from __future__ import annotations

import json
import math
import os
import struct
import threading
import tracemalloc

import numpy as np
import pytest

from nngrade.sandbox.inside import protocol
from nngrade.sandbox.inside.protocol import ProtocolError, Ref, UnsupportedValue

CAP = 64 << 20


def round_trip(value, max_bytes=CAP):
    """Encode, send through a real pipe, read back and decode."""
    part, blobs = protocol.encode(value)
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(
        target=lambda: (protocol.write_frame(write_fd, {"value": part}, blobs), os.close(write_fd)))
    writer.start()
    try:
        header, arrays = protocol.read_frame(read_fd, max_bytes)
    finally:
        writer.join()
        os.close(read_fd)
    return protocol.decode(header["value"], arrays)


def raw_frame(header: dict | bytes, payload: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    size = len(text) if length is None else length
    return protocol.MAGIC + struct.pack("<I", size) + text + payload


def read_bytes(data: bytes, max_bytes=CAP):
    """Feed raw bytes to read_frame through a pipe (data must fit the pipe buffer)."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    try:
        return protocol.read_frame(read_fd, max_bytes)
    finally:
        os.close(read_fd)


@pytest.mark.parametrize("dtype", sorted(protocol.ALLOWED_DTYPES))
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 1, 2)])
def test_arrays_of_every_allowed_dtype_round_trip(dtype, shape):
    array = (np.arange(math.prod(shape)) % 7).astype(dtype).reshape(shape)
    result = round_trip(array)
    assert type(result) is np.ndarray
    assert result.dtype == np.dtype(dtype) and result.shape == shape
    np.testing.assert_array_equal(result, array)
    assert result.flags.writeable


def test_nan_and_infinities_survive_as_floats_and_in_arrays():
    value = [float("nan"), float("inf"), -float("inf"), np.float32(1.5), np.array([np.nan, -np.inf])]
    out = round_trip(value)
    assert math.isnan(out[0]) and out[1] == math.inf and out[2] == -math.inf
    assert type(out[3]) is float and out[3] == 1.5
    assert np.isnan(out[4][0]) and out[4][1] == -np.inf


def test_scalars_nested_containers_and_refs_round_trip():
    value = {"a": [1, (2, [3.0, None]), True], "s": "text", "r": Ref(7, "Linear"),
             "i": np.int64(-5), "b": np.bool_(False)}
    out = round_trip(value)
    assert out == {"a": [1, [2, [3.0, None]], True], "s": "text", "r": Ref(7, "Linear"),
                   "i": -5, "b": False}
    assert type(out["i"]) is int and type(out["b"]) is bool


def test_subclasses_big_endian_and_strided_arrays_arrive_as_plain_arrays():
    class Tagged(np.ndarray):
        pass

    sub = np.arange(6.0).view(Tagged)
    big_endian = np.arange(4, dtype=">i4")
    strided = np.arange(12.0).reshape(3, 4)[:, ::2]
    out = round_trip([sub, big_endian, strided])
    assert all(type(a) is np.ndarray for a in out)
    assert out[1].dtype == np.dtype("<i4")
    np.testing.assert_array_equal(out[1], big_endian)
    np.testing.assert_array_equal(out[2], strided)


@pytest.mark.parametrize("value, fragment", [
    (np.array([object()], dtype=object), "dtype object"),
    (np.zeros(2, dtype=complex), "complex"),
    (np.zeros(2, dtype=np.float16), "float16"),
    (np.zeros((1,) * 5), "dimensions"),
    (object(), "'object'"),
    ({1: 2}, "keys"),
    (2**70, "64 bits"),
    ([[[[[1]]]]], "nested"),
    (list(range(protocol.MAX_ITEMS + 1)), "items"),
])
def test_unencodable_values_are_refused_with_a_reason(value, fragment):
    with pytest.raises(UnsupportedValue, match=fragment):
        protocol.encode(value)


def test_fallback_hook_encodes_unknown_objects():
    part, _ = protocol.encode([object()], fallback=lambda v: {"t": "ref", "id": 3})
    assert part == {"t": "list", "items": [{"t": "ref", "id": 3}]}


def bounded_allocation(function, *args):
    """Run `function` and return the peak traced allocation in bytes."""
    tracemalloc.start()
    try:
        function(*args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("blobs, fragment", [
    ([{"dtype": "<f8", "shape": [2**20, 2**20]}], "cap"),           # 8 TiB
    ([{"dtype": "<f8", "shape": [2**40, 2**40, 2**40]}], "cap"),
    ([{"dtype": "<f8", "shape": [1 << 21]}] * 5, "cap"),            # 5 x 16 MiB > 64 MiB total
    ([{"dtype": "|O", "shape": [1]}], "dtype"),
    ([{"dtype": ">f8", "shape": [1]}], "dtype"),
    ([{"dtype": "<c16", "shape": [1]}], "dtype"),
    ([{"dtype": "<f8", "shape": [-1]}], "non-negative"),
    ([{"dtype": "<f8", "shape": [1.5]}], "non-negative"),
    ([{"dtype": "<f8", "shape": [True]}], "non-negative"),
    ([{"dtype": "<f8", "shape": [1, 1, 1, 1, 1]}], "dims"),
    ({"dtype": "<f8"}, "list"),
])
def test_forged_blob_headers_raise_before_allocating(blobs, fragment):
    data = raw_frame({"blobs": blobs})
    with pytest.raises(ProtocolError, match=fragment):
        read_bytes(data)
    peak = bounded_allocation(lambda: pytest.raises(ProtocolError, read_bytes, data))
    assert peak < 1 << 20


def test_header_length_over_one_mebibyte_is_refused_without_reading_it():
    data = raw_frame(b"{}", length=protocol.MAX_HEADER_BYTES + 1)
    peak = bounded_allocation(lambda: pytest.raises(ProtocolError, read_bytes, data))
    assert peak < 1 << 20
    with pytest.raises(ProtocolError, match="header length"):
        read_bytes(data)


@pytest.mark.parametrize("data, error", [
    (b"", EOFError),
    (b"NNG", ProtocolError),                                      # EOF inside the prefix
    (b"XXXX" + struct.pack("<I", 2) + b"{}", ProtocolError),      # bad magic
    (raw_frame(b'{"blobs": []')[:-3], ProtocolError),             # truncated header
    (raw_frame(b"not json"), ProtocolError),
    (raw_frame(b"[1, 2]"), ProtocolError),                        # not an object
    (raw_frame(b'{"x": NaN}'), ProtocolError),
    (raw_frame({"blobs": [{"dtype": "<f8", "shape": [4]}]}, b"\0" * 31), ProtocolError),
])
def test_malformed_and_truncated_frames(data, error):
    with pytest.raises(error):
        read_bytes(data)


def test_blob_exactly_at_the_cap_is_accepted_and_one_byte_over_is_not():
    payload = b"\x01" * 64
    header = {"blobs": [{"dtype": "|u1", "shape": [64]}]}
    _, arrays = read_bytes(raw_frame(header, payload), max_bytes=64)
    assert arrays[0].sum() == 64
    with pytest.raises(ProtocolError, match="cap"):
        read_bytes(raw_frame(header, payload), max_bytes=63)


@pytest.mark.parametrize("part", [
    {"t": "arr", "i": 5},
    {"t": "arr", "i": True},
    {"t": "float", "i": 0},          # blob 0 is not 0-d
    {"t": "list", "items": "nope"},
    {"t": "unknown"},
    1.5,                             # raw JSON floats never appear in valid parts
    2**64,
    {"t": "list", "items": [{"t": "list", "items": [{"t": "list", "items": [
        {"t": "list", "items": [{"t": "list", "items": []}]}]}]}]},
])
def test_decode_rejects_malformed_parts(part):
    with pytest.raises(ProtocolError):
        protocol.decode(part, [np.zeros(3)])


def test_decode_tag_handlers_replace_refs():
    part = {"t": "list", "items": [{"t": "ref", "id": 4}, {"t": "rng", "seed": 1}]}
    out = protocol.decode(part, [], tags={"ref": lambda p: ("ref", p["id"]),
                                         "rng": lambda p: ("rng", p["seed"])})
    assert out == [("ref", 4), ("rng", 1)]


def test_writing_an_oversized_header_is_refused():
    with pytest.raises(ProtocolError, match="header"):
        protocol.frame_buffers({"text": "x" * (protocol.MAX_HEADER_BYTES + 1)}, [])
