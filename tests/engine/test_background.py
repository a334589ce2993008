"""Work done in the background while a grade waits for its worker: run in another thread, never able to harm the report."""
from __future__ import annotations

import threading

from submissions import REFERENCE_DIR

from nngrade.engine.grading import grade
from nngrade.render import validate


def test_background_work_runs_in_its_own_thread_and_its_failure_is_ignored(tmp_path):
    seen = []

    def failing():
        seen.append(threading.current_thread().name)
        raise RuntimeError("preparation failed")

    report = grade(REFERENCE_DIR, mode="check", data_dir=tmp_path, only="forward", background=failing)
    assert seen and seen[0] != threading.current_thread().name
    assert any(c.status == "passed" for c in report.checks)
    assert all(c.status in ("passed", "not_run") for c in report.checks)


def test_warming_up_builds_the_report_validator(monkeypatch):
    validate._validator.cache_clear()
    validate.warm_up()
    assert validate._validator.cache_info().currsize == 1


def test_warming_up_swallows_a_missing_validator(monkeypatch):
    tried = []

    def broken():
        tried.append(True)
        raise ImportError("no jsonschema")

    monkeypatch.setattr(validate, "_validator", broken)
    validate.warm_up()  # raises nothing; validate_report would report the ImportError itself
    assert tried == [True]
