"""The honest reference earns full marks at every isolation level, each forced with NNGRADE_SANDBOX.

The MNIST check runs too when ``NNGRADE_MNIST_DIR`` is set (training integrity
included); without the data it reports "not run" and is left out.
"""
from __future__ import annotations

import shutil

import pytest
from submissions import REFERENCE_DIR

from hostile.catalogue import landlock_available, mnist_dir
from nngrade.engine.grading import grade
from nngrade.render import validate_report
from nngrade.sandbox import probe_isolation
from nngrade.sandbox.host.levels import LEVELS


def _available(level: str) -> str | None:
    if level == "bwrap" and shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if level == "landlock" and not landlock_available():
        return LEVELS["landlock"].unavailable_reason()
    return None


@pytest.mark.parametrize("level", list(LEVELS))
def test_reference_scores_full_marks_at_every_level(level, monkeypatch, tmp_path):
    reason = _available(level)
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("NNGRADE_SANDBOX", level)
    data = mnist_dir() or str(tmp_path)  # an empty folder: MNIST "not run"
    report = grade(REFERENCE_DIR, data_dir=data)
    validate_report(report.to_dict())
    assert report.environment["sandbox"]["level"] == level
    lost = {c.id: c.message[:300] for c in report.checks
            if c.status != "passed" and not (c.group == "mnist" and mnist_dir() is None)}
    assert lost == {}
    assert all(c.points == c.max_points for c in report.checks if c.status == "passed")
    if mnist_dir() is not None:
        mnist = next(c for c in report.checks if c.id == "mnist.accuracy")
        assert mnist.data["integrity"]["replayed_steps"] > 0


@pytest.mark.parametrize("level", ["bwrap", "landlock"])
def test_strict_mode_grades_at_the_confining_levels(level, monkeypatch):
    reason = _available(level)
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("NNGRADE_SANDBOX", level)
    isolation = probe_isolation("strict")
    assert isolation.level == level and isolation.features["seccomp"]
