"""Batches: several requests in one round trip, each with its own reply, error, timeout and crash attribution."""
from __future__ import annotations

import time

import numpy as np
import pytest
from sandbox_support import FAST

from nngrade.checks.compare import NotRun
from nngrade.engine.budget import Budget
from nngrade.sandbox import Limits, StudentError, WorkerCrashed, WorkerTimeout
from nngrade.sandbox.host import channel

COUNTER = '''
import os
import time


class Counter:
    def __init__(self, start=0):
        self.calls = []
        self.start = start

    def add(self, value):
        self.calls.append(value)
        if value == "fail":
            raise ValueError("asked to fail")
        if value == "die":
            os._exit(3)
        if value == "hang":
            while True:
                pass
        if isinstance(value, float):
            time.sleep(value)
        print("added", value)
        return len(self.calls) + self.start
'''


@pytest.fixture
def counting(monkeypatch):
    """How many request frames the grader wrote."""
    sent = []
    original = channel.WorkerProcess.request_items

    def counted(self, header, *args, **kwargs):
        sent.append(header.get("op"))
        return original(self, header, *args, **kwargs)

    monkeypatch.setattr(channel.WorkerProcess, "request_items", counted)
    return sent


def test_a_batch_runs_in_order_in_one_round_trip(make_session, counting):
    session = make_session({"nn.py": COUNTER})
    counter = session.new("Counter", 10)
    counting.clear()
    assert counter.call_many("add", [("a",), ("b",), ("c",)]) == [11, 12, 13]
    assert counting == ["calls"]
    assert counter.get("calls") == ["a", "b", "c"]
    assert session.take_output().split() == ["added", "a", "added", "b", "added", "c"]
    made = session.new_many([("Counter", (1,)), ("Counter", ())])
    values = session.batch([("setattr", {"obj": made[0], "name": "start", "value": np.arange(3.0)}),
                            ("getattr", {"obj": made[0], "name": "start"}), ("getattr", {"obj": made[1], "name": "start"})])
    assert values[0] is None and np.array_equal(values[1], np.arange(3.0)) and values[2] == 0


def test_the_first_failure_is_raised_and_the_rest_is_not_run(make_session):
    session = make_session({"nn.py": COUNTER})
    counter = session.new("Counter")
    with pytest.raises(StudentError, match="asked to fail"):
        counter.call_many("add", [("a",), ("fail",), ("never",)])
    assert counter.get("calls") == ["a", "fail"]  # the same worker goes on serving
    assert counter.call("add", "d") == 3


def test_a_crash_is_charged_to_the_request_that_was_running(make_session):
    session = make_session({"nn.py": COUNTER})
    counter = session.new("Counter")
    with pytest.raises(WorkerCrashed, match=r"Counter\.add\(\).*status 3") as raised:
        counter.call_many("add", [("a",), ("die",), ("never",)])
    assert not raised.value.from_outside
    assert session.new("Counter").call("add", "fresh") == 1  # a fresh worker


def test_each_request_has_its_own_timeout(make_session):
    session = make_session({"nn.py": COUNTER}, limits=Limits(call_timeout=2.0, start_timeout=30.0))
    counter = session.new("Counter")
    # NOTE: four requests of 0.8 s each take longer than one timeout together, never alone.
    assert counter.call_many("add", [(0.8,)] * 4) == [1, 2, 3, 4]
    with pytest.raises(WorkerTimeout, match=r"Counter\.add\(\)") as raised:
        counter.call_many("add", [("a",), ("hang",)])
    op, fields = raised.value.request
    assert op == "call" and fields["args"] == ["hang"]


def test_only_plain_requests_can_be_batched(make_session):
    session = make_session({"nn.py": COUNTER})
    for op in ("store", "hello", "calls", "drop"):
        with pytest.raises(StudentError, match="unknown operation"):
            session.batch([(op, {"name": "x", "value": np.zeros(2)})])


def test_the_grade_budget_cuts_a_batch_and_is_not_charged_to_the_student(make_session):
    session = make_session({"nn.py": COUNTER}, limits=FAST)
    counter = session.new("Counter")
    budget = Budget(1.5, time.perf_counter())
    with budget.guard(session), pytest.raises(NotRun, match="time budget spent"):
        counter.call_many("add", [(0.6,)] * 5)  # each is well within its own timeout
    assert budget.timed_out == {}


def test_a_request_that_timed_out_before_is_not_run_again_in_a_batch(make_session):
    session = make_session({"nn.py": COUNTER}, limits=Limits(call_timeout=1.0, start_timeout=30.0))
    budget = Budget(600.0, time.perf_counter())
    with budget.guard(session):
        counter = session.new("Counter")
        with pytest.raises(WorkerTimeout):
            counter.call_many("add", [("hang",)])
        assert ("Counter", "add") in budget.timed_out
        counter = session.new("Counter")
        with pytest.raises(NotRun, match="not called again"):
            counter.call_many("add", [("a",), ("b",)])


def test_on_the_plain_channel_a_batch_goes_one_request_at_a_time(tmp_path, counting):
    from sandbox_support import KIT, write_submission

    from nngrade.sandbox import WorkerSession, probe_isolation

    plain = probe_isolation("off")
    assert plain.implementation.channel == "stdio"
    directory = write_submission(tmp_path / "submission", {"nn.py": COUNTER})
    with WorkerSession(directory, "nn", limits=FAST, isolation=plain, **KIT) as session:
        counter = session.new("Counter")
        assert counter.call_many("add", [("a",), ("b",)]) == [1, 2]
        with pytest.raises(StudentError, match="asked to fail"):
            counter.call_many("add", [("fail",), ("never",)])
        assert counter.get("calls") == ["a", "b", "fail"]
    assert counting == []  # the pipe channel's batch reader was never used
