"""MNIST kept in memory for the grades of one process (a batch grades many in one process)."""
from __future__ import annotations

import os
import threading

from nngrade.engine.assignment import ResourceUnavailable

from .mnist import DatasetUnavailable, find_mnist_dir, load_mnist

#: MNIST loaded in this process, keyed by its folder and the size and mtime of its files.
_loaded: dict[tuple, object] = {}
_lock = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def load_mnist_once(mnist_dir=None):
    """:func:`load_mnist`, kept in memory while the files in its folder are unchanged.

    The arrays are made read-only: every later grade in this process shares them.
    """
    directory = find_mnist_dir(mnist_dir)
    if directory is None:  # the offline fallback, or nothing (raises)
        return load_mnist(mnist_dir)
    files = tuple((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                  for entry in sorted(directory.iterdir()) if entry.name.startswith(("train-", "t10k-")))
    key = (str(directory), files)
    with _lock:
        if key not in _loaded:
            data = load_mnist(directory)
            for array in (data.x_train, data.y_train, data.x_test, data.y_test):
                array.flags.writeable = False
            _loaded.clear()  # one data set at a time: a changed folder replaces it
            _loaded[key] = data
        return _loaded[key]


def provide_mnist(mnist_dir=None):
    """The MNIST resource of this assignment: :func:`load_mnist_once`, or ResourceUnavailable saying why."""
    try:
        return load_mnist_once(mnist_dir)
    except (DatasetUnavailable, OSError, ValueError) as exc:
        raise ResourceUnavailable(f"dataset unavailable: {exc}") from exc
