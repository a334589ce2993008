"""The probe's verdict kept across processes: used only when this user alone wrote it for the same inputs,
and a worker that does not start under it makes the probe run again."""
from __future__ import annotations

import json
import os

import pytest
from sandbox_support import FAST, KIT, write_submission

from nngrade.sandbox import SandboxUnavailable, WorkerSession
from nngrade.sandbox.host import isolation as isolation_module
from nngrade.sandbox.host import levels, probe_cache


@pytest.fixture
def private_cache(monkeypatch, tmp_path):
    """A verdict folder of this test only, and no verdict probed in this process yet."""
    folder = tmp_path / "verdicts"
    monkeypatch.setattr(probe_cache, "ROOT_DIR", str(folder))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.delenv(probe_cache.ENV_SWITCH, raising=False)
    monkeypatch.setattr(isolation_module, "_CACHE", {})
    return folder if os.geteuid() == 0 else tmp_path / "runtime" / "nngrade-probe"


def _count_trials(monkeypatch) -> list:
    trials = []
    original = isolation_module._try_trivial_worker

    def counted(isolation):
        trials.append(isolation.level)
        return original(isolation)

    monkeypatch.setattr(isolation_module, "_try_trivial_worker", counted)
    return trials


def _forget_in_process(monkeypatch):
    monkeypatch.setattr(isolation_module, "_CACHE", {})


def test_a_second_process_reuses_the_verdict_without_a_trial_worker(private_cache, monkeypatch):
    trials = _count_trials(monkeypatch)
    first = isolation_module.probe_isolation("best-effort")
    assert trials and first.recalled is None
    files = list(private_cache.glob("*.json"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
    _forget_in_process(monkeypatch)  # as a new grader process would start
    trials.clear()
    second = isolation_module.probe_isolation("best-effort")
    assert trials == [] and second.recalled is not None
    assert (second.level, second.drop_privileges, second.features, second.notes) == \
        (first.level, first.drop_privileges, first.features, first.notes)


def test_a_verdict_others_can_write_is_ignored(private_cache, monkeypatch):
    trials = _count_trials(monkeypatch)
    isolation_module.probe_isolation("best-effort")
    (stored,) = private_cache.glob("*.json")
    os.chmod(stored, 0o666)
    _forget_in_process(monkeypatch)
    trials.clear()
    assert isolation_module.probe_isolation("best-effort").recalled is None
    assert trials  # probed again


def test_other_inputs_have_another_key(private_cache, monkeypatch):
    isolation_module.probe_isolation("best-effort")
    before = isolation_module._verdict_key("best-effort", None)
    monkeypatch.setenv("NNGRADE_SANDBOX_EXTRA", "changed")
    assert isolation_module._verdict_key("best-effort", None) != before
    assert isolation_module._verdict_key("strict", None) != before


def test_the_cache_can_be_switched_off(private_cache, monkeypatch):
    monkeypatch.setenv(probe_cache.ENV_SWITCH, "0")
    trials = _count_trials(monkeypatch)
    isolation_module.probe_isolation("best-effort")
    _forget_in_process(monkeypatch)
    isolation_module.probe_isolation("best-effort")
    assert len(trials) >= 2 and not list(private_cache.glob("*.json"))


def test_a_worker_that_cannot_start_under_a_recalled_verdict_makes_the_probe_run_again(
        private_cache, monkeypatch, tmp_path):
    probed = isolation_module.probe_isolation("best-effort")
    key = isolation_module._verdict_key("best-effort", None)
    (stored,) = private_cache.glob("*.json")
    _forget_in_process(monkeypatch)
    recalled = isolation_module.probe_isolation("best-effort")
    assert recalled.recalled is not None
    broken = {"count": 0}
    original = levels.LEVELS[recalled.level].launch_plan

    def failing_once(*args, **kwargs):
        plan = original(*args, **kwargs)
        broken["count"] += 1
        if broken["count"] == 1:  # the level no longer starts a worker here
            return levels.LaunchPlan(["/nonexistent/no-such-sandbox", *plan.argv], plan.env, plan.cwd)
        return plan

    monkeypatch.setattr(levels.LEVELS[recalled.level], "launch_plan", failing_once)
    trials = _count_trials(monkeypatch)
    directory = write_submission(tmp_path / "submission", {"nn.py": "class Linear:\n    pass\n"})
    with WorkerSession(directory, "nn", limits=FAST, isolation=recalled, **KIT) as session:
        assert "Linear" in session.hello()["names"]
        assert session.isolation.recalled is None and trials  # probed afresh, with a trial worker
        assert session.isolation.level == probed.level
    assert json.loads(stored.read_text())["level"] == probed.level  # the fresh verdict is stored again
    assert isolation_module._CACHE[("best-effort", None)].recalled is None
    assert key == isolation_module._verdict_key("best-effort", None)


def test_a_probed_isolation_is_not_probed_again_when_its_worker_fails(private_cache, monkeypatch, tmp_path):
    probed = isolation_module.probe_isolation("best-effort")
    assert isolation_module.reprobe(probed) is None


def test_a_worker_command_that_cannot_be_executed_is_reported_not_waited_for(private_cache, monkeypatch, tmp_path):
    probed = isolation_module.probe_isolation("best-effort")
    assert probed.recalled is None  # probed in this process: nothing to probe again
    original = levels.LEVELS[probed.level].launch_plan

    def missing_program(*args, **kwargs):
        plan = original(*args, **kwargs)
        return levels.LaunchPlan(["/nonexistent/no-such-sandbox", *plan.argv], plan.env, plan.cwd)

    monkeypatch.setattr(levels.LEVELS[probed.level], "launch_plan", missing_program)
    directory = write_submission(tmp_path / "submission", {"nn.py": "class Linear:\n    pass\n"})
    with WorkerSession(directory, "nn", limits=FAST, isolation=probed, **KIT) as session:
        with pytest.raises(SandboxUnavailable, match="could not start the worker"):
            session.hello()
