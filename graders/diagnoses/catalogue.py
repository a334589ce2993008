"""The ``@diagnosis`` decorator, the catalogue, and :func:`diagnose`.

Adding an entry: write a detector in the family module of this package
(``sign.py``, ``sigmoid.py``, ``softmax.py``, ``losses.py``, ``backprop.py``,
``init.py``) that takes the failed check's observations and returns evidence
text or None, and decorate it::

    @diagnosis("softmax_jacobian_row_sum", title="Softmax Jacobian summed over its rows",
               checks=("jacobians.softmax_jacobian",),
               message="Softmax().jacobian(z) returned ... Fix: ...")
    def row_sum(obs): ...
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from graders.results import Diagnosis

FAMILIES = ("sign", "sigmoid", "softmax", "losses", "backprop", "init")


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


def load_catalogue() -> list[Entry]:
    """Every entry of the family modules that exist, validated (unique ids)."""
    entries: list[Entry] = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"graders.diagnoses.{family}")
        except ModuleNotFoundError as exc:
            if exc.name != f"graders.diagnoses.{family}":
                raise
            continue
        entries.extend(f.__diagnosis__ for f in vars(module).values() if hasattr(f, "__diagnosis__"))
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate diagnosis ids: {duplicates}")
    return entries


CATALOGUE: list[Entry] = load_catalogue()


def _base(check_id: str) -> str:
    return check_id[: -len(".hidden")] if check_id.endswith(".hidden") else check_id


def diagnose(check_id: str, status: str, observations: dict) -> list[Diagnosis]:
    """Diagnoses for a check that did not pass (``.hidden`` variants share their twin's entries)."""
    found = []
    for entry in CATALOGUE:
        if _base(check_id) not in entry.checks:
            continue
        try:
            evidence = entry.detector(observations)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError, FloatingPointError):
            evidence = None  # the observations this detector needs were not recorded
        if evidence:
            found.append(Diagnosis(id=entry.id, title=entry.title, message=entry.message, evidence=evidence))
    return found
