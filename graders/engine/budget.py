"""The time a whole grade may take, and one timeout per piece of student code.

LMS graders kill a job that overruns their limit and then record no result at
all (PrairieLearn's default is 30 s), so a grade must end, with a complete
report, before ``[limits] total_timeout``. :class:`Budget` sits between the
checks and the worker session:

* every call into the worker gets at most the time left in the budget; a call
  cut short by the budget, and every check after the budget is spent, ends as
  ``not run: time budget spent``, never as the student's timeout;
* a method of the submission that timed out once is not called again (on any
  object of its class) with the same or a shorter timeout: the later checks
  that need it are ``not run`` and name the check where it timed out. An
  infinite loop in one method so costs one call timeout, not one per check
  that calls the method. Only calls that run one object's own code count:
  a call whose object holds other student objects (a network of layers) or
  that is handed some (``train(network, ...)``) may have hung in any of
  them, so its timeout says nothing about its own method.
"""
from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

from nngrade.checks.compare import NotRun
from nngrade.sandbox import RemoteObject, WorkerTimeout
from nngrade.sandbox.host.client import BATCH_OP
from nngrade.sandbox.host.errors import NotBatched


class BudgetSpent(NotRun):
    """The whole grade's time budget is spent: the check (or the rest of it) was not run."""


class NotCalledAgain(NotRun):
    """The student code a check needs already timed out in an earlier check."""


def _holds_objects(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` (request arguments) contains a handle to a student object."""
    if isinstance(value, RemoteObject):
        return True
    if depth < 8 and isinstance(value, (list, tuple)):
        return any(_holds_objects(v, depth + 1) for v in value)
    if depth < 8 and isinstance(value, dict):
        return any(_holds_objects(v, depth + 1) for v in value.values())
    return False


def _handle(value: Any) -> tuple | None:
    return (value.generation, value.ref_id) if isinstance(value, RemoteObject) else None


def _what(op: str, fields: dict[str, Any]) -> str:
    from nngrade.sandbox.host.client import _describe

    try:
        return _describe(op, fields)
    except (KeyError, AttributeError, TypeError):
        return op


class Budget:
    """Deadline of one grade and the student code that already timed out.

    Parameters
    ----------
    seconds : float
        ``[limits] total_timeout``: the whole grade, loading and worker start included.
    started : float
        :func:`time.perf_counter` when the grade began.
    """

    def __init__(self, seconds: float, started: float) -> None:
        self.seconds = float(seconds)
        self.deadline = started + self.seconds
        self.check_id = ""
        self.timed_out: dict[tuple, tuple[float, str]] = {}
        self.composites: set[tuple] = set()  # handles of objects built from other student objects

    def _key(self, op: str, fields: dict[str, Any]) -> tuple | None:
        """The method a request runs when it runs one object's own code only (else None)."""
        target = fields.get("obj")
        if op != "call" or not isinstance(target, RemoteObject) or _handle(target) in self.composites \
                or _holds_objects(fields.get("args")) or _holds_objects(fields.get("kwargs")):
            return None
        return (target.type_name, fields.get("method"))

    def _note_composite(self, op: str, fields: dict[str, Any], value: Any) -> None:
        handle = None
        if op == "new" and (_holds_objects(fields.get("args")) or _holds_objects(fields.get("kwargs"))):
            handle = _handle(value)
        elif op == "setattr" and _holds_objects(fields.get("value")):
            handle = _handle(fields.get("obj"))
        if handle is not None:
            self.composites.add(handle)

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def spent_message(self) -> str:
        """Reason of a check not run because the budget is spent (without the ``not run:`` prefix)."""
        return (f"time budget spent (the whole grade may take {self.seconds:g} s, [limits] total_timeout; "
                "earlier checks used it)")

    def check_spent(self) -> None:
        """Raise :class:`BudgetSpent` when no time is left."""
        if self.remaining() <= 0:
            raise BudgetSpent(self.spent_message())

    @contextlib.contextmanager
    def guard(self, session) -> Iterator[None]:
        """Route every request of ``session`` through the budget while the block runs."""
        original = session._request

        def request(op: str, fields: dict[str, Any]) -> Any:
            normal = session._timeout if session._timeout is not None else session.limits.call_timeout
            if op == BATCH_OP:
                return batch(fields[BATCH_OP], normal)
            key = self._key(op, fields)
            earlier = self.timed_out.get(key) if key is not None else None
            if earlier is not None and normal <= earlier[0]:
                raise NotCalledAgain(f"{_what(op, fields)} did not return within {earlier[0]:g} s in check "
                                     f"{earlier[1]}, so it is not called again; look for an infinite loop there")
            remaining = self.remaining()
            if remaining <= 0:
                raise BudgetSpent(self.spent_message())
            if remaining >= normal:
                try:
                    value = original(op, fields)
                except WorkerTimeout:
                    if key is not None:
                        self.timed_out[key] = (normal, self.check_id)
                    raise
            else:
                with session.timeout(remaining):  # NOTE: cut to the budget: a timeout here is not the student's
                    try:
                        value = original(op, fields)
                    except WorkerTimeout:
                        raise BudgetSpent(self.spent_message()) from None
            self._note_composite(op, fields, value)
            return value

        def batch(items: list, normal: float) -> list:
            """A batch's requests each get their full timeout, none running past the budget's end; a batch
            holding a request that timed out before goes one by one, each through :func:`request`."""
            keys = [self._key(op, fields) for op, fields in items]
            if any(k is not None and k in self.timed_out for k in keys):
                raise NotBatched("sent one by one")
            self.check_spent()
            try:
                with session.cut_off(time.monotonic() + self.remaining()):  # no request runs past the budget
                    values = original(BATCH_OP, {BATCH_OP: items})
            except WorkerTimeout as exc:
                if self.remaining() <= 0:  # NOTE: cut by the budget, not the request's own timeout
                    raise BudgetSpent(self.spent_message()) from None
                key = self._key(*exc.request) if exc.request is not None else None
                if key is not None:
                    self.timed_out[key] = (normal, self.check_id)
                raise
            for (op, fields), value in zip(items, values):
                self._note_composite(op, fields, value)
            return values

        session._request = request
        try:
            yield
        finally:
            del session._request
