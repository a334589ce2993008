"""The data every benchmark uses: MNIST when available, else a synthetic stand-in.

Both go through :func:`nngrade.assignments.nn_from_scratch.data.load_mnist`, so the split is the grader's
own: with ``NNGRADE_MNIST_DIR`` set, the MNIST files found there; otherwise
10,000 synthetic 28x28 uint8 images written in the official ``t10k`` IDX
layout to a temporary folder, which the loader splits 8,000 / 2,000 exactly
as it splits the official test files.
"""
from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nngrade.assignments.nn_from_scratch.data import ENV_VAR, load_mnist

SYNTHETIC_ROWS = 10_000
SYNTHETIC_SEED = 12345
FULL_TRAIN_ROWS = 60_000


@dataclass
class BenchData:
    """Training and test arrays ready for the benchmarks.

    Attributes
    ----------
    directory : str
        Folder with the IDX files (pass it to ``grade(mnist_dir=...)``).
    synthetic : bool
        True when the images are the synthetic stand-in, not MNIST.
    label : str
        One line for the output: what the data is and how it was split.
    x_train, x_test : ndarray, float64, shape (n, 784)
        Pixels scaled to [0, 1] (divided by 255, as the grader does).
    y_train : ndarray, float64, shape (n_train, 10)
        One-hot training targets.
    labels_train, labels_test : ndarray of int64
    """

    directory: str
    synthetic: bool
    label: str
    x_train: np.ndarray
    y_train: np.ndarray
    labels_train: np.ndarray
    x_test: np.ndarray
    labels_test: np.ndarray


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an uncompressed IDX file (magic ``0x08``, big-endian sizes)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def synthetic_images(rows: int = SYNTHETIC_ROWS, seed: int = SYNTHETIC_SEED):
    """Learnable MNIST-shaped data: ten smooth class prototypes plus pixel noise.

    Returns
    -------
    images : ndarray, uint8, shape (rows, 28, 28)
    labels : ndarray, uint8, shape (rows,)
    """
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1.0, 1.0, 28)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    centres = rng.uniform(-0.6, 0.6, size=(10, 3, 2))
    prototypes = np.zeros((10, 28, 28))
    for digit in range(10):
        for cy, cx in centres[digit]:
            prototypes[digit] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.08)
    prototypes = 255.0 * prototypes / prototypes.max(axis=(1, 2), keepdims=True)
    labels = rng.integers(0, 10, size=rows).astype(np.uint8)
    noise = rng.normal(0.0, 60.0, size=(rows, 28, 28))
    images = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def write_synthetic(folder: Path, *, full_size: bool = False) -> Path:
    """Write synthetic images in an official MNIST layout into ``folder``.

    Parameters
    ----------
    full_size : bool
        False: only the 10,000 ``t10k`` images (split 8,000 / 2,000 like the
        official test files alone). True: also 60,000 ``train`` images, the
        ``official-60k`` layout, for timing grading at MNIST's full size.
    """
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = synthetic_images(SYNTHETIC_ROWS + (FULL_TRAIN_ROWS if full_size else 0))
    write_idx(folder / "t10k-images-idx3-ubyte", images[:SYNTHETIC_ROWS])
    write_idx(folder / "t10k-labels-idx1-ubyte", labels[:SYNTHETIC_ROWS])
    if full_size:
        write_idx(folder / "train-images-idx3-ubyte", images[SYNTHETIC_ROWS:])
        write_idx(folder / "train-labels-idx1-ubyte", labels[SYNTHETIC_ROWS:])
    return folder


def bench_directory(scratch: str | None = None) -> tuple[str, bool]:
    """The MNIST folder to use: ``$NNGRADE_MNIST_DIR`` if set, else a fresh synthetic one.

    Parameters
    ----------
    scratch : str, optional
        Where to write the synthetic files (a new temporary folder when omitted).

    Returns
    -------
    (directory, synthetic) : (str, bool)
    """
    given = os.environ.get(ENV_VAR)
    if given:
        return given, False
    folder = Path(scratch or tempfile.mkdtemp(prefix="nngrade-bench-"))
    return str(write_synthetic(folder / "synthetic-mnist")), True


def load_bench_data(directory: str, synthetic: bool) -> BenchData:
    """Load ``directory`` with the grader's loader and prepare float arrays."""
    data = load_mnist(directory)
    what = ("SYNTHETIC stand-in of MNIST's shape (NNGRADE_MNIST_DIR not set): " if synthetic
            else f"MNIST from {directory}: ")
    label = what + f"{len(data.y_train)} training / {len(data.y_test)} test images ({data.source})"
    labels_train = data.y_train.astype(np.int64)
    return BenchData(directory=directory, synthetic=synthetic, label=label,
                     x_train=data.x_train.reshape(len(data.x_train), -1).astype(np.float64) / 255.0,
                     y_train=np.eye(10)[labels_train], labels_train=labels_train,
                     x_test=data.x_test.reshape(len(data.x_test), -1).astype(np.float64) / 255.0,
                     labels_test=data.y_test.astype(np.int64))
