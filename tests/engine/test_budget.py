"""The whole-grade time budget and the one-timeout-per-method rule (nngrade.engine.budget)."""
from __future__ import annotations

import contextlib
import time
from types import SimpleNamespace

import pytest

from nngrade.engine.budget import Budget, BudgetSpent, NotCalledAgain
from nngrade.sandbox import RemoteObject, WorkerTimeout


class FakeSession:
    """Records the timeout of every request; ``hangs`` are the (type, method) calls that time out."""

    def __init__(self, hangs=()):
        self.limits = SimpleNamespace(call_timeout=10.0)
        self._timeout = None
        self.hangs = set(hangs)
        self.timeouts = []

    @contextlib.contextmanager
    def timeout(self, seconds):
        previous, self._timeout = self._timeout, seconds
        try:
            yield
        finally:
            self._timeout = previous

    def _request(self, op, fields):
        self.timeouts.append(self._timeout if self._timeout is not None else self.limits.call_timeout)
        if op == "new":
            return RemoteObject(self, 1, len(self.timeouts), fields["cls"])
        if (fields["obj"].type_name, fields["method"]) in self.hangs:
            raise WorkerTimeout("did not finish within the deadline")
        return 0.0


def call(session, obj, method, *args):
    return session._request("call", {"obj": obj, "method": method, "args": list(args), "kwargs": {}})


def new(session, cls, *args):
    return session._request("new", {"cls": cls, "args": list(args), "kwargs": {}})


def test_a_method_that_timed_out_is_not_called_again():
    session, budget = FakeSession(hangs={("Softmax", "forward")}), Budget(1000, time.perf_counter())
    with budget.guard(session):
        budget.check_id = "forward.softmax"
        softmax = new(session, "Softmax")
        with pytest.raises(WorkerTimeout):
            call(session, softmax, "forward", 1.0)
        budget.check_id = "jacobians.softmax_backward"
        with pytest.raises(NotCalledAgain, match="Softmax.forward.*in check forward.softmax"):
            call(session, new(session, "Softmax"), "forward", 1.0)
        assert call(session, softmax, "backward", 1.0) == 0.0  # another method still runs
        with session.timeout(60.0):  # a longer deadline than the one it missed: tried again
            with pytest.raises(WorkerTimeout):
                call(session, softmax, "forward", 1.0)
    assert session._request.__func__ is FakeSession._request  # the guard is gone after the block


def test_a_network_of_student_objects_is_tried_again():
    session = FakeSession(hangs={("Network", "forward"), ("Linear", "forward")})
    budget = Budget(1000, time.perf_counter())
    with budget.guard(session):
        network = new(session, "Network", [new(session, "Softmax")])
        for _ in range(2):  # it may have hung in any of its layers: each check tries its own network
            with pytest.raises(WorkerTimeout):
                call(session, network, "forward", 1.0)
        layer = new(session, "Linear")
        for _ in range(2):
            with pytest.raises(WorkerTimeout):
                call(session, layer, "forward", network)  # handed a student object: not its own code only
        assert budget.timed_out == {}


def test_calls_get_at_most_the_time_left_and_then_nothing():
    session = FakeSession(hangs={("Softmax", "forward")})
    budget = Budget(3.0, time.perf_counter())
    with budget.guard(session):
        softmax = new(session, "Softmax")
        assert session.timeouts[-1] <= 3.0
        with pytest.raises(BudgetSpent, match="time budget spent"):  # cut short: not the student's timeout
            call(session, softmax, "forward", 1.0)
        assert budget.timed_out == {}
        budget.deadline = time.perf_counter() - 1
        calls = len(session.timeouts)
        with pytest.raises(BudgetSpent):
            call(session, softmax, "backward", 1.0)
        assert len(session.timeouts) == calls  # nothing was sent
        with pytest.raises(BudgetSpent):
            budget.check_spent()
