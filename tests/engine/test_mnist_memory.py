"""MNIST is loaded once per process and folder, and loaded again when its files change."""
from __future__ import annotations

import os

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.data import load_mnist
from nngrade.assignments.nn_from_scratch.data import memory as engine


def _write_t10k(folder, n=40, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for name, array in (("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        header = (0x800 | array.ndim).to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
        (folder / name).write_bytes(header + array.tobytes())
    return folder


@pytest.fixture(autouse=True)
def empty_memory():
    engine._loaded.clear()
    yield
    engine._loaded.clear()


def test_the_same_folder_is_read_once_and_equals_a_fresh_load(tmp_path):
    folder = _write_t10k(tmp_path / "mnist")
    first = engine.load_mnist_once(folder)
    assert engine.load_mnist_once(folder) is first
    fresh = load_mnist(folder)
    assert first.fingerprint == fresh.fingerprint and first.source == fresh.source
    assert np.array_equal(first.x_train, fresh.x_train) and np.array_equal(first.y_test, fresh.y_test)
    with pytest.raises(ValueError):
        first.x_train[0, 0] = 1  # shared by every later grade: read-only


def test_changed_files_are_read_again(tmp_path):
    folder = _write_t10k(tmp_path / "mnist")
    first = engine.load_mnist_once(folder)
    _write_t10k(folder, seed=1)
    stamp = os.stat(folder / "t10k-images-idx3-ubyte").st_mtime_ns + 10**9
    os.utime(folder / "t10k-images-idx3-ubyte", ns=(stamp, stamp))
    second = engine.load_mnist_once(folder)
    assert second is not first and second.fingerprint == load_mnist(folder).fingerprint != first.fingerprint
