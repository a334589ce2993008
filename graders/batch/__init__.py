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
from nngrade.batch.cluster import SchedulerError
from nngrade.batch.discover import DiscoveryError, Submission, discover
from nngrade.batch.runner import BatchSummary, run_batch

__all__ = ["BatchSummary", "DiscoveryError", "SchedulerError", "Submission", "discover", "run_batch"]
