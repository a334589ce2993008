"""The ``@diagnosis`` decorator, the catalogue, and :func:`diagnose`.

Adding an entry: write a detector in a diagnosis module of the assignment
(``graders/assignments/<name>/diagnoses/``) or of an extension module, that
takes the failed check's observations and returns evidence text or None, and
decorate it::

    @diagnosis("softmax_jacobian_row_sum", title="Softmax Jacobian summed over its rows",
               checks=("jacobians.softmax_jacobian",),
               message="Softmax().jacobian(z) returned ... Fix: ...")
    def row_sum(obs): ...
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Callable

from nngrade.results import Diagnosis


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: a known bug, where it shows, how to spot it, what to say."""

    id: str
    title: str
    checks: tuple[str, ...]
    message: str
    detector: Callable


def diagnosis(id: str, *, title: str, checks, message: str):
    """Tag a detector function as a catalogue entry (collected by :func:`load_catalogue`)."""

    def tag(func):
        func.__diagnosis__ = Entry(id, title, tuple(checks), message, func)
        return func

    return tag


def load_catalogue(assignment=None) -> list[Entry]:
    """Every entry of the assignment's diagnosis modules, validated (unique ids)."""
    from nngrade.engine.assignment import assignment_of

    assignment = assignment or assignment_of(None)
    return list(_catalogue(assignment.diagnosis_modules))


@functools.lru_cache(maxsize=8)
def _catalogue(modules: tuple[str, ...]) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a kit shipped without its detectors (``nngrade export student --no-diagnoses``)
        entries.extend(f.__diagnosis__ for f in vars(module).values() if hasattr(f, "__diagnosis__"))
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate diagnosis ids: {duplicates}")
    return tuple(entries)


def _base(check_id: str) -> str:
    return check_id[: -len(".hidden")] if check_id.endswith(".hidden") else check_id


def diagnose(check_id: str, status: str, observations: dict, assignment=None) -> list[Diagnosis]:
    """Diagnoses for a check that did not pass (``.hidden`` variants share their twin's entries)."""
    found = []
    for entry in load_catalogue(assignment):
        if _base(check_id) not in entry.checks:
            continue
        try:
            evidence = entry.detector(observations)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError, FloatingPointError):
            evidence = None  # the observations this detector needs were not recorded
        if evidence:
            found.append(Diagnosis(id=entry.id, title=entry.title, message=entry.message, evidence=evidence))
    return found
