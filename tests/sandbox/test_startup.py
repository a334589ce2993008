"""Start-up overlap: a worker started during the probe gets the submission only under the probed isolation."""
from __future__ import annotations

import pytest
from sandbox_support import FAST, KIT, write_submission

from nngrade.engine import startup
from nngrade.sandbox import (
    Isolation,
    SandboxUnavailable,
    WorkerSession,
    probe_isolation,
)

MARKED = '''
import pathlib
pathlib.Path({marker!r}).write_text("imported")


class Linear:
    pass
'''


@pytest.fixture
def submission(tmp_path):
    marker = tmp_path / "imported.txt"
    return write_submission(tmp_path / "submission", {"nn.py": MARKED.format(marker=str(marker))}), marker


def _sessions(monkeypatch):
    made = []
    original = WorkerSession.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    def starting(self):
        original_start(self)
        self.started_pid = self.worker_pid

    original_start = WorkerSession.start
    monkeypatch.setattr(WorkerSession, "__init__", recording)
    monkeypatch.setattr(WorkerSession, "start", starting)
    return made


def test_the_early_worker_is_kept_when_the_probe_agrees(monkeypatch, tmp_path):
    directory = write_submission(tmp_path / "plain", {"nn.py": "class Linear:\n    pass\n"})
    probed = probe_isolation("best-effort")
    guess = Isolation(probed.level, probed.mode, {}, [], probed.drop_privileges)
    monkeypatch.setattr(startup, "first_candidate", lambda mode: guess)
    made = _sessions(monkeypatch)
    boot = startup.Startup("best-effort", [], lambda: None)
    with boot.session(directory, "nn", limits=FAST, slot=0, **KIT) as session:
        assert made == [session] and session.worker_pid is not None  # started before any request
        assert session.isolation.features == probed.features and session.isolation.notes == probed.notes
        assert "Linear" in session.hello()["names"]


def test_the_early_worker_is_closed_unused_when_the_probe_chooses_otherwise(monkeypatch, submission):
    directory, marker = submission
    monkeypatch.setattr(startup, "first_candidate", lambda mode: Isolation("off", "off", {}, [], False))
    made = _sessions(monkeypatch)
    boot = startup.Startup("best-effort", [], lambda: None)
    with boot.session(directory, "nn", limits=FAST, slot=0, **KIT) as session:
        early, = [s for s in made if s is not session]
        assert early.started_pid is not None  # it did start
        assert early.worker_pid is None and early._staging is None  # and was closed
        assert not marker.exists()  # it never imported the submission (the "off" level could have written here)
        assert session.isolation.level == probe_isolation("best-effort").level
        session.hello()


def test_a_failing_probe_closes_the_early_worker_and_raises(monkeypatch, submission):
    directory, marker = submission
    probed = probe_isolation("best-effort")
    monkeypatch.setattr(startup, "first_candidate",
                        lambda mode: Isolation(probed.level, probed.mode, {}, [], probed.drop_privileges))

    def unavailable(mode):
        raise SandboxUnavailable("no confining level here")

    monkeypatch.setattr(startup, "probe_isolation", unavailable)
    made = _sessions(monkeypatch)
    boot = startup.Startup("strict", [], lambda: None)
    with pytest.raises(SandboxUnavailable, match="no confining level"):
        boot.session(directory, "nn", limits=FAST, slot=0, **KIT)
    assert len(made) == 1 and made[0].started_pid is not None
    assert made[0].worker_pid is None and made[0]._staging is None
    assert not marker.exists()


def test_later_grades_skip_the_early_start(monkeypatch, submission):
    directory, _ = submission
    monkeypatch.delenv("NNGRADE_SANDBOX", raising=False)
    probe_isolation("best-effort")  # an earlier grade in this process probed
    boot = startup.Startup("best-effort", [], lambda: None)
    assert boot.guess is None
    with boot.session(directory, "nn", limits=FAST, slot=0, **KIT) as session:
        assert session.worker_pid is None  # started by its first request, as always
