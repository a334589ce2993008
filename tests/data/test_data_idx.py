"""IDX reader: round trips on generated files and clear errors on bad ones."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.data import IdxFormatError, read_idx


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_images_round_trip(tmp_path, fakes, compress):
    images, _ = fakes.fake_mnist(7)
    path = fakes.write_idx(tmp_path / "imgs", images, compress)
    out = read_idx(path, kind="images")
    assert out.dtype == np.uint8
    assert out.shape == (7, 28, 28)
    np.testing.assert_array_equal(out, images)
    assert out.flags.writeable


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_labels_round_trip(tmp_path, fakes, compress):
    _, labels = fakes.fake_mnist(11)
    path = fakes.write_idx(tmp_path / "labels", labels, compress)
    out = read_idx(path, kind="labels")
    assert out.shape == (11,)
    np.testing.assert_array_equal(out, labels)


def test_compression_detected_by_content_not_name(tmp_path, fakes):
    _, labels = fakes.fake_mnist(5)
    # gzip data under a raw name, raw data under a .gz name
    gz_named_raw = fakes.write_idx(tmp_path / "x-idx1-ubyte", labels, compress=True)
    raw_named_gz = fakes.write_idx(tmp_path / "y-idx1-ubyte.gz", labels, compress=False)
    np.testing.assert_array_equal(read_idx(gz_named_raw), labels)
    np.testing.assert_array_equal(read_idx(raw_named_gz), labels)


def test_kind_none_accepts_both(tmp_path, fakes):
    images, labels = fakes.fake_mnist(3)
    assert read_idx(fakes.write_idx(tmp_path / "a", images)).shape == (3, 28, 28)
    assert read_idx(fakes.write_idx(tmp_path / "b", labels)).shape == (3,)


def test_empty_set_is_valid(tmp_path, fakes):
    path = fakes.write_idx(tmp_path / "empty", np.zeros((0,), np.uint8))
    assert read_idx(path, kind="labels").shape == (0,)


def test_labels_file_rejected_as_images(tmp_path, fakes):
    _, labels = fakes.fake_mnist(4)
    path = fakes.write_idx(tmp_path / "labels", labels)
    with pytest.raises(IdxFormatError) as info:
        read_idx(path, kind="images")
    message = str(info.value)
    assert message.startswith(str(path))
    assert "0x00000801" in message and "0x00000803" in message


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_corrupted_magic(tmp_path, fakes, compress):
    images, _ = fakes.fake_mnist(2)
    path = fakes.write_idx(tmp_path / "imgs", images, compress, magic=0x12340803)
    with pytest.raises(IdxFormatError, match="bad magic number 0x12340803") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_wrong_dtype_code(tmp_path, fakes):
    images, _ = fakes.fake_mnist(2)
    path = fakes.write_idx(tmp_path / "imgs", images, magic=0x00000D03)  # float32
    with pytest.raises(IdxFormatError, match="data type code 0x0d"):
        read_idx(path)


def test_wrong_number_of_dimensions(tmp_path, fakes):
    path = fakes.write_idx(tmp_path / "m", np.zeros((3, 4), np.uint8))  # 0x00000802
    with pytest.raises(IdxFormatError, match="0x00000802 \\(2 dimensions\\)"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_truncated_data(tmp_path, fakes, compress):
    images, _ = fakes.fake_mnist(3)
    data = fakes.idx_bytes(images)[:-10]
    path = tmp_path / "imgs"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IdxFormatError, match="truncated") as info:
        read_idx(path, kind="images")
    message = str(info.value)
    assert str(path) in message
    assert f"{16 + 3 * 784} bytes in total" in message
    assert f"has {16 + 3 * 784 - 10} bytes" in message


def test_trailing_bytes(tmp_path, fakes):
    _, labels = fakes.fake_mnist(3)
    path = tmp_path / "labels"
    path.write_bytes(fakes.idx_bytes(labels) + b"\x00")
    with pytest.raises(IdxFormatError, match="trailing bytes"):
        read_idx(path, kind="labels")


def test_truncated_header(tmp_path):
    path = tmp_path / "imgs"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 5, 0, 0]))
    with pytest.raises(IdxFormatError, match="truncated header"):
        read_idx(path)


def test_too_short(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(IdxFormatError, match="too short"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path, fakes):
    images, _ = fakes.fake_mnist(3)
    compressed = gzip.compress(fakes.idx_bytes(images))
    path = tmp_path / "imgs.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(IdxFormatError, match="cannot be decompressed") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_bad_kind_argument(tmp_path, fakes):
    path = fakes.write_idx(tmp_path / "l", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="kind"):
        read_idx(path, kind="pictures")
