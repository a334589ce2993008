"""What a check function receives: the worker, its fixtures, the config, and helpers.

A check talks to the student's code only through ``ctx.new`` / ``ctx.func`` /
``ctx.session`` (the sandboxed worker) and reads expected values only from
``ctx.fixture`` (the grader's side). Everything it compares goes through
``ctx.compare``, which also records an *observation* (inputs, the student's
numbers, the reference's numbers) that the diagnosis catalogue inspects when
the check fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nngrade.checks.compare import (
    CheckFailed,
    NotRun,
    assert_close,
    validate_array,
    validate_scalar,
)
from nngrade.engine.fixture_store import FixtureUnavailable, load_fixture
from nngrade.sandbox import StudentError

__all__ = ["CheckContext", "CheckFailed", "Partial", "Observation"]


@dataclass
class Partial:
    """Partial credit: ``fraction`` of the check's points, with an explanation."""

    fraction: float
    message: str

    def __post_init__(self) -> None:
        self.fraction = float(min(max(self.fraction, 0.0), 1.0))


@dataclass
class Observation:
    """Numbers a check saw, kept for the diagnosis detectors.

    Attributes
    ----------
    yours : ndarray or float or None
        What the student's code returned (None when it could not be validated).
    reference : ndarray or float
        The expected value.
    inputs : dict
        The arrays the call was made with (and anything else a detector needs).
    """

    yours: Any
    reference: Any
    inputs: dict[str, Any] = field(default_factory=dict)
    #: ``(rtol, atol_scale)`` of the configuration the check ran with (None: the shipped defaults).
    tolerances: tuple[float, float] | None = None


class CheckContext:
    """Per-check state handed to the check function.

    Parameters
    ----------
    spec : CheckSpec
        The running check.
    session : WorkerSession
        The sandboxed worker of this submission.
    config : dict
        The validated assignment configuration.
    extras : dict
        Engine-provided values: ``hello`` (the worker's description of the submission),
        ``resources`` (:class:`nngrade.engine.resources.Resources`), ``fixtures``
        (:class:`nngrade.engine.fixture_store.FixtureSets`), ``fixtures_folder``,
        ``isolation``, ``seed_offset``.
    """

    def __init__(self, spec, session, config: dict, extras: dict | None = None):
        self.spec = spec
        self.session = session
        self.config = config
        self.extras = extras or {}
        self.observations: dict[str, Observation] = {}
        self.data: dict[str, Any] = {}
        #: 0-point notes: deviations from a documented convention that cost nothing (shown on a passed check).
        self.notes: list[str] = []
        self.rtol = config["tolerances"]["rtol"]
        self.atol_scale = config["tolerances"]["atol_scale"]

    def note(self, text: str) -> None:
        """Tell the student about a deviation from the documented convention that costs no points."""
        if text not in self.notes:
            self.notes.append(text)

    # -- fixtures ------------------------------------------------------------
    def fixture(self, name: str) -> dict[str, np.ndarray]:
        """Fixture ``name`` from this check's set: the committed public one, or this grade's hidden one.

        Raises
        ------
        NotRun
            When the fixture cannot be generated here (a student kit has no reference).
        """
        sets = self.extras.get("fixtures")
        try:
            return sets.get(self.spec.visibility, name) if sets is not None else load_fixture("public", name)
        except FixtureUnavailable as exc:
            raise NotRun(str(exc)) from None

    # -- the worker ----------------------------------------------------------
    def new(self, cls: str, *args, **kwargs):
        """Construct ``cls(*args, **kwargs)`` in the worker; returns a remote object."""
        return self.session.new(cls, *args, **kwargs)

    def func(self, name: str, *args, **kwargs):
        """Call the submission's module-level function ``name``."""
        return self.session.func(name, *args, **kwargs)

    def resource(self, name: str):
        """The assignment's resource ``name`` (e.g. a data set), loaded once per grade.

        Raises
        ------
        NotRun
            When the resource is not available on this machine (the check is not run, saying why).
        """
        provider = self.extras.get("resources")
        if provider is None:
            raise NotRun(f"resource {name!r} is not provided")
        return provider.get(name)

    # -- validation and comparison ------------------------------------------
    def array(self, value, *, call: str, shape) -> np.ndarray:
        """Validate an array the student returned (type, dtype, exact shape)."""
        return validate_array(value, call=call, shape=tuple(shape))

    def scalar(self, value, *, call: str) -> float:
        """Validate a float the student returned."""
        return validate_scalar(value, call=call)

    def compare(self, yours, expected, *, key: str, call: str, quantity: str, fix: str = "",
                inputs: dict | None = None, rtol: float | None = None):
        """Record an observation and require ``yours`` to match ``expected``.

        Parameters
        ----------
        key : str
            Observation name for the diagnosis detectors (e.g. ``"forward"``, ``"dW"``).
        call, quantity, fix : str
            Message parts: the call made, what it computes, how to fix a mismatch.
        inputs : dict, optional
            Arrays the call was made with.
        """
        observation = Observation(yours=None, reference=expected, inputs=dict(inputs or {}),
                                  tolerances=(self.rtol, self.atol_scale))
        self.observations[key] = observation
        expected_array = np.asarray(expected, dtype=np.float64)
        try:
            if expected_array.ndim == 0:
                observation.yours = self.scalar(yours, call=call)
            else:
                # Keep whatever numeric array came back, even of the wrong shape,
                # so detectors can recognise e.g. a (n, out) bias gradient.
                raw = np.asarray(yours) if yours is not None and not isinstance(yours, list) else None
                observation.yours = raw if raw is not None and raw.dtype.kind in "fiub" else None
        except CheckFailed:
            pass
        return assert_close(yours, expected, call=call, quantity=quantity, fix=fix,
                            rtol=self.rtol if rtol is None else rtol, atol_scale=self.atol_scale)

    def observe(self, key: str, yours, reference, **inputs) -> None:
        """Record numbers for the detectors without comparing them."""
        self.observations[key] = Observation(yours=yours, reference=reference, inputs=inputs,
                                             tolerances=(self.rtol, self.atol_scale))

    def probe(self, key: str, measure: Callable[[], tuple]) -> None:
        """Record an extra observation for the detectors; exceptions of student code are ignored.

        Parameters
        ----------
        key : str
            Observation name.
        measure : callable
            Calls the student's code and returns ``(yours, reference, inputs)``.
            If that code raises an exception or returns something that fails
            validation, nothing is recorded and the check goes on. (A timeout
            or crash still ends the check: the worker is gone.)
        """
        try:
            yours, reference, inputs = measure()
        except (CheckFailed, StudentError):
            return
        self.observations[key] = Observation(yours=yours, reference=reference, inputs=dict(inputs),
                                             tolerances=(self.rtol, self.atol_scale))
