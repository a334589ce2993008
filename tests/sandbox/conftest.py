"""Fixtures for the sandbox tests: submissions written into tmp_path, sessions closed after use."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from nngrade.sandbox import Limits, WorkerSession, probe_isolation

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for sandbox_support

from sandbox_support import CORRECT_NN, FAST, KIT, write_submission  # noqa: E402


@pytest.fixture(scope="session")
def bwrap_isolation():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed, so namespace isolation cannot be tested")
    isolation = probe_isolation("strict", level="bwrap")
    assert isolation.level == "bwrap"
    return isolation


@pytest.fixture
def make_session(tmp_path, request):
    """Factory: ``make_session(files, entry="nn", limits=FAST, isolation=bwrap)``.

    The bwrap level is only required (and the test skipped without it) when no
    other isolation is given.
    """
    sessions = []

    def factory(files: dict[str, str], entry: str = "nn", limits: Limits = FAST,
                isolation=None) -> WorkerSession:
        directory = write_submission(tmp_path / f"submission{len(sessions)}", files)
        session = WorkerSession(directory, entry, limits=limits,
                                isolation=isolation or request.getfixturevalue("bwrap_isolation"), **KIT)
        sessions.append(session)
        return session

    yield factory
    for session in sessions:
        session.close()


@pytest.fixture(scope="module")
def correct_session(tmp_path_factory, bwrap_isolation):
    """One long-lived session on the correct submission, for read-only checks."""
    directory = write_submission(tmp_path_factory.mktemp("correct"), {"nn.py": CORRECT_NN})
    with WorkerSession(directory, "nn", limits=FAST, isolation=bwrap_isolation, **KIT) as session:
        yield session
