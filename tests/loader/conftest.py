"""Fixtures of the loader tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The grader's work folder (not created: the loader creates it)."""
    return tmp_path / "work"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """Folder where a test writes its submission."""
    folder = tmp_path / "src"
    folder.mkdir()
    return folder
