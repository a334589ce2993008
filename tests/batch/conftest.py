"""Fixtures of the batch tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from ._support import FAST_CONFIG


@pytest.fixture(scope="session")
def fast_config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("config") / "fast.toml"
    path.write_text(FAST_CONFIG)
    return path


@pytest.fixture(scope="session")
def no_mnist(tmp_path_factory) -> Path:
    """An empty folder: as --mnist-dir it makes the MNIST check "not run" quickly."""
    return tmp_path_factory.mktemp("no-mnist")
