"""Graders on one host never take each other's sandbox uid, and a worker killed from outside costs nothing.

* Six grades of the reference, two at a time, each grader with its own
  TMPDIR (separate CI jobs or containers on one host): every one must get
  full marks. Slots used to be locked under TMPDIR, so two graders took the
  same uid and each one's sweep killed the other's worker.
* A worker killed from outside once (a rival grader's sweep, the host's OOM
  killer) is retried on a fresh worker; killed every time, the check reads
  "grader infrastructure error", which batch regrades, never "your code died".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from submissions import REFERENCE_DIR

from nngrade.batch.task import is_infrastructure_failure
from nngrade.engine.grading import INFRASTRUCTURE, grade
from nngrade.render.json_report import report_dict
from nngrade.sandbox.host import channel
from nngrade.sandbox.host.workspace import kill_processes_of_uid

GRADES, AT_ONCE = 6, 2


def _console_script() -> str:
    return str(Path(sys.executable).with_name("nngrade"))


def _grade_with_own_tmpdir(index: int, root: Path) -> dict:
    tmpdir = Path(tempfile.mkdtemp(prefix=f"grader-{index}-", dir=root))
    output = tmpdir / "report.json"
    env = {k: v for k, v in os.environ.items() if k != "NNGRADE_MNIST_DIR"}
    env.update(TMPDIR=str(tmpdir), NNGRADE_MNIST_DIR=str(root / "no-mnist"))
    done = subprocess.run([_console_script(), "grade", str(REFERENCE_DIR), "--format", "json", "-o", str(output)],
                          env=env, cwd=tmpdir, capture_output=True, text=True, timeout=600)
    assert output.is_file(), done.stderr[-2000:]
    return json.loads(output.read_text())


def test_graders_with_separate_tmpdirs_all_give_full_marks(tmp_path):
    (tmp_path / "no-mnist").mkdir()
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        reports = list(pool.map(lambda i: _grade_with_own_tmpdir(i, tmp_path), range(GRADES)))
    for report in reports:
        lost = {c["id"]: c["message"][:200] for c in report["checks"]
                if c["group"] != "mnist" and c["points"] != c["max_points"]}
        assert lost == {}, lost
    assert len({r["environment"]["sandbox"]["level"] for r in reports}) == 1


def _kill_before(calls: set[int]):
    """Wrap WorkerProcess.request: before the listed method calls (1 = the first), kill the worker's uid from outside."""
    original = channel.WorkerProcess.request
    count = {"n": 0}

    def request(self, header, blobs, timeout):
        if header.get("op") == "call":
            count["n"] += 1
            if self.account is not None and (count["n"] in calls or "always" in calls):
                kill_processes_of_uid(self.account.uid)
        return original(self, header, blobs, timeout)

    return request


@pytest.fixture
def dropped():
    from nngrade.sandbox import probe_isolation

    if not probe_isolation().drop_privileges:
        pytest.skip("the worker does not run as a separate uid here, so nothing can kill it by uid")


def test_a_worker_killed_from_outside_once_is_retried(monkeypatch, tmp_path, dropped):
    monkeypatch.setattr(channel.WorkerProcess, "request", _kill_before({2}))
    report = grade(REFERENCE_DIR, data_dir=tmp_path, only="forward")
    ran = [c for c in report.checks if c.status != "not_run"]
    assert ran and all(c.status == "passed" and c.points == c.max_points for c in ran), \
        {c.id: c.message[:200] for c in ran if c.status != "passed"}


def test_a_worker_killed_from_outside_every_time_is_an_infrastructure_error(monkeypatch, tmp_path, dropped):
    monkeypatch.setattr(channel.WorkerProcess, "request", _kill_before({"always"}))
    report = grade(REFERENCE_DIR, data_dir=tmp_path, only="forward.sigmoid")
    check = next(c for c in report.checks if c.id == "forward.sigmoid")
    assert check.status == "error" and check.message.startswith(INFRASTRUCTURE), check.message
    assert "your code" not in check.message
    assert is_infrastructure_failure(report_dict(report))  # so batch grades it again
