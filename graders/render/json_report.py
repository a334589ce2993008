"""Canonical JSON rendering of a :class:`~nngrade.results.Report`.

This is the full record instructors keep and batch analytics read back with
``Report.from_dict``. It is validated against the report schema before it is
serialised, and never contains ``NaN`` or ``Infinity``.
"""
from __future__ import annotations

import json
from typing import Any

from nngrade.render._common import hidden_line, to_jsonable
from nngrade.render.validate import validate_report
from nngrade.results import Report


def report_dict(report: Report, *, student_view: bool = False) -> dict[str, Any]:
    """Return the validated canonical report as plain JSON data.

    Parameters
    ----------
    report : Report
        The grading run.
    student_view : bool, default False
        Redact hidden checks: their ``message`` becomes the generic
        ``"Hidden test: x/y points"`` line and their ``output``, ``diagnoses``
        and ``data`` are emptied. Points and status are kept.

    Returns
    -------
    dict
        ``report.to_dict()`` with non-finite floats replaced by ``None``.

    Raises
    ------
    ReportValidationError
        If the result does not satisfy the report schema (e.g. a non-finite
        ``duration``, which becomes ``None`` and so is not a number).
    """
    d = to_jsonable(report.to_dict())
    if student_view:
        for check, entry in zip(report.checks, d["checks"]):
            if check.hidden:
                entry.update(message=hidden_line(check), output="", diagnoses=[], data={})
    validate_report(d)
    return d


def render_json(report: Report, *, student_view: bool = False) -> str:
    """Serialise the canonical report: validated, sorted keys, 2-space indent.

    Parameters
    ----------
    report : Report
        The grading run.
    student_view : bool, default False
        Redact hidden checks (see :func:`report_dict`).

    Returns
    -------
    str
        JSON text without a trailing newline.
    """
    return json.dumps(report_dict(report, student_view=student_view), indent=2, sort_keys=True, allow_nan=False)
