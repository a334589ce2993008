"""Grading a whole class: discovery, parallel and distributed runs, gradebooks, pages, bundles.

========================  =====================================================
:mod:`.discover`          submission layouts (plain, Gradescope, Canvas, Moodle) and ids
:mod:`.runner`            :func:`run_batch`: resumable, parallel, progress bar
:mod:`.task`              one submission's grading job (threads, processes, Dask)
:mod:`.cluster`           Dask distributed execution (``tcp://...`` or ``local:N``)
:mod:`.store`             the results folder; atomic, kill-safe report writes
:mod:`.gradebook`         ``grades.csv``, ``grades_canvas.csv``, ``reports.jsonl``
:mod:`.analytics`         class statistics from reports
:mod:`.pages`             class analytics page and feedback pages (HTML)
:mod:`.bundles`           Gradescope autograder and student hand-out zips
========================  =====================================================

See ``docs/BATCH.md`` and ``docs/LMS.md``.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from nngrade.batch.discover import DiscoveryError, Submission, discover  # light; the function shadows the module

if TYPE_CHECKING:
    from nngrade.batch.cluster import SchedulerError
    from nngrade.batch.runner import BatchSummary, run_batch

#: Where each name of the package lives. They are imported on first use, so that a single grade, whose
#: configuration check reads :mod:`.lateness` and :mod:`.similarity`, does not import the batch runner.
_HOMES = {"BatchSummary": "runner", "run_batch": "runner", "SchedulerError": "cluster"}

__all__ = ["BatchSummary", "DiscoveryError", "SchedulerError", "Submission", "discover", "run_batch"]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
