"""Resumable batches: kill -9 loses nothing finished and duplicates nothing; reruns regrade only what changed."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from nngrade.batch import run_batch
from nngrade.engine.grading import INFRASTRUCTURE
from nngrade.render import validate_report

from ._support import make_class, read_csv


def batch_command(submissions, results, fast_config, no_mnist, *extra):
    return [sys.executable, "-m", "nngrade.cli", "batch", str(submissions), "-o", str(results), "--jobs", "2",
            "--config", str(fast_config), "--mnist-dir", str(no_mnist), "--no-progress", *extra]


def finished_reports(results) -> dict[str, bytes]:
    """Reports whose state record exists (the batch considers them done)."""
    done = {}
    for state in (results / ".state").glob("*.json"):
        report = results / "reports" / state.name
        if report.exists():
            done[state.stem] = report.read_bytes()
    return done


def test_kill_9_mid_batch_loses_nothing_and_duplicates_nothing(tmp_path, fast_config, no_mnist):
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    ids = set(make_class(submissions, correct=14, hostile=False))
    process = subprocess.Popen(batch_command(submissions, results, fast_config, no_mnist),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(finished_reports(results)) < 3 if (results / ".state").exists() else True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch never finished 3 reports"
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be killed"
    done_before_kill = finished_reports(results)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert len(done_before_kill) < len(ids)
    assert not (results / "grades.csv").exists()
    for path in (results / "reports").glob("*.json"):  # no half-written report, ever
        validate_report(json.loads(path.read_text()))

    rerun = subprocess.run(batch_command(submissions, results, fast_config, no_mnist), capture_output=True,
                           text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    graded, current = map(int, re.search(r"(\d+) graded, (\d+) already current", rerun.stdout).groups())
    assert graded + current == len(ids) and current >= len(done_before_kill)

    files = sorted(p.name for p in (results / "reports").iterdir())
    assert files == sorted(f"{i}.json" for i in ids)
    for ident, data in done_before_kill.items():
        assert (results / "reports" / f"{ident}.json").read_bytes() == data, f"{ident} was graded twice"
    _, rows = read_csv(results / "grades.csv")
    assert sorted(row["id"] for row in rows) == sorted(ids)
    lines = (results / "reports.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["submission"]["id"] for line in lines) == sorted(ids)


def test_reruns_regrade_only_changed_submissions_and_settings(tmp_path, fast_config, no_mnist):
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    make_class(submissions, correct=3, buggy_each=0, hostile=False)
    options = dict(config_path=fast_config, mnist_dir=no_mnist, jobs=2, progress=False)
    assert sorted(run_batch(submissions, results, **options).graded) == ["ok000", "ok001", "ok002"]

    (submissions / "ok001.py").write_text((submissions / "ok001.py").read_text() + "\n# edited\n")
    again = run_batch(submissions, results, **options)
    assert again.graded == ["ok001"] and sorted(again.skipped) == ["ok000", "ok002"]

    (results / "reports" / "ok002.json").write_text("{ truncated")
    assert run_batch(submissions, results, **options).graded == ["ok002"]

    assert sorted(run_batch(submissions, results, force=True, **options).graded) == ["ok000", "ok001", "ok002"]
    assert sorted(run_batch(submissions, results, seed=1, **options).graded) == ["ok000", "ok001", "ok002"]


def test_infrastructure_failure_is_recorded_and_retried_next_run(tmp_path, fast_config, no_mnist, monkeypatch):
    import nngrade.engine.grading

    submissions, results = tmp_path / "submissions", tmp_path / "results"
    make_class(submissions, correct=3, buggy_each=0, hostile=False)
    real_grade = nngrade.engine.grading.grade

    def flaky(path, **kwargs):
        if kwargs.get("submission_id") == "ok001":
            raise RuntimeError("disk on fire")
        return real_grade(path, **kwargs)

    monkeypatch.setattr(nngrade.engine.grading, "grade", flaky)
    summary = run_batch(submissions, results, config_path=fast_config, mnist_dir=no_mnist, jobs=1, progress=False)
    assert sorted(summary.graded) == ["ok000", "ok001", "ok002"] and summary.infrastructure_errors == ["ok001"]
    report = json.loads((results / "reports" / "ok001.json").read_text())
    validate_report(report)
    assert all(c["status"] == "error" and c["message"].startswith(INFRASTRUCTURE) for c in report["checks"])
    assert "disk on fire" in report["checks"][0]["message"]
    statuses = {row["id"]: row["status"] for row in read_csv(results / "grades.csv")[1]}
    assert statuses == {"ok000": "graded", "ok001": "infrastructure_error", "ok002": "graded"}

    monkeypatch.setattr(nngrade.engine.grading, "grade", real_grade)
    again = run_batch(submissions, results, config_path=fast_config, mnist_dir=no_mnist, jobs=1, progress=False)
    assert again.graded == ["ok001"] and again.infrastructure_errors == []


@pytest.mark.parametrize("spec", ["local:0", "tcp//nope", "dask"])
def test_bad_scheduler_is_a_usage_error(tmp_path, spec):
    (tmp_path / "s").mkdir()
    result = subprocess.run([sys.executable, "-m", "nngrade.cli", "batch", str(tmp_path / "s"), "-o",
                             str(tmp_path / "r"), "--scheduler", spec], capture_output=True, text=True)
    assert result.returncode == 2 and "--scheduler" in result.stderr
