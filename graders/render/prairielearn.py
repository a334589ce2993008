"""PrairieLearn external-grader ``results.json`` rendering.

Follows PrairieLearn's "Grading results" format: ``gradable``, ``score`` in
[0, 1], ``message``, ``output`` and ``tests`` entries with ``name``,
``description``, ``points``, ``max_points``, ``message`` and ``output``. A
submission that could not be loaded at all is reported as not gradable with
``format_errors``, so the student is not charged an attempt.

Students see everything in this file, so hidden checks are reduced to the
generic ``"Hidden test: x/y points"`` line, exactly as for Gradescope.
"""
from __future__ import annotations

from typing import Any

from nngrade.render._common import (
    STATUS_LABELS,
    diagnosis_lines,
    hidden_line,
    numbered_checks,
    points_fraction,
    points_of,
    status_counts_text,
    truncate_text,
)
from nngrade.render.safe import safe_report
from nngrade.results import CheckResult, Report

#: Caps on captured printing; PrairieLearn limits results.json to 1 MB.
PRINTED_MAX_LINES = 40
PRINTED_MAX_CHARS = 4000


def pl_score(report: Report) -> float:
    """Fraction of available points earned, in [0, 1].

    Parameters
    ----------
    report : Report
        The grading run.

    Returns
    -------
    float
        ``score / max_score`` rounded to 6 decimals and clipped to [0, 1];
        ``0.0`` when no points are available.
    """
    if report.max_score <= 0:
        return 0.0
    return round(min(max(report.score / report.max_score, 0.0), 1.0), 6)


def _public_message(check: CheckResult) -> str:
    lines = [f"{STATUS_LABELS[check.status]}: {check.message}" if check.message else STATUS_LABELS[check.status]]
    for diagnosis in check.diagnoses:
        lines.append("")
        lines.extend(diagnosis_lines(diagnosis))
    return "\n".join(lines)


def _printed(text: str) -> str:
    if not text.strip():
        return ""
    return truncate_text(text, max_lines=PRINTED_MAX_LINES, max_chars=PRINTED_MAX_CHARS)


def pl_test(check: CheckResult) -> dict[str, Any]:
    """One PrairieLearn test entry.

    Public checks carry their message and diagnoses in ``message`` and what the
    submission printed during the check in ``output``. Hidden checks carry only
    the generic points line.

    Parameters
    ----------
    check : CheckResult
        The check to describe.

    Returns
    -------
    dict
        ``name``, ``description``, ``points``, ``max_points``, ``message``, ``output``.
    """
    if check.hidden:
        return {
            "name": check.name,
            "description": f"Hidden check ({check.group})",
            "points": check.points,
            "max_points": check.max_points,
            "message": hidden_line(check),
            "output": "",
        }
    return {
        "name": check.name,
        "description": f"Check {check.id} ({check.group})",
        "points": check.points,
        "max_points": check.max_points,
        "message": _public_message(check),
        "output": _printed(check.output),
    }


def _summary_message(report: Report) -> str:
    public = [c for c in report.checks if not c.hidden]
    hidden = [c for c in report.checks if c.hidden]
    message = f"Public tests: {points_fraction(*points_of(public))} points ({status_counts_text(public)})."
    if hidden:
        noun = "test" if len(hidden) == 1 else "tests"
        earned, available = points_of(hidden)
        message += f" Hidden {noun}: {points_fraction(earned, available)} points."
    return message


def _summary_output(report: Report) -> str:
    lines: list[str] = []
    if report.submission.warnings:
        lines.append("Notes from loading your submission:")
        lines.extend(f"  - {w}" for w in report.submission.warnings)
    printed = _printed(report.output)
    if printed:
        if lines:
            lines.append("")
        lines.append("Printed by your code at import time (not part of the result):")
        lines.append(printed)
    return "\n".join(lines)


def render_prairielearn(report: Report) -> dict[str, Any]:
    """Build PrairieLearn's ``results.json`` content for one report.

    Parameters
    ----------
    report : Report
        The grading run.

    Returns
    -------
    dict
        When the submission loaded: ``gradable: true``, ``score`` (see
        :func:`pl_score`), ``message``, ``output`` and ``tests`` (grouped by check group). When it could
        not be loaded (``report.submission.error`` set): ``gradable: false``,
        ``format_errors`` (list of str), ``message`` and ``output``; no score.
    """
    report = safe_report(report)
    if report.submission.error:
        return {
            "gradable": False,
            "format_errors": [report.submission.error],
            "message": "Your submission could not be loaded, so it was not graded.",
            "output": _summary_output(report),
        }
    return {
        "gradable": True,
        "score": pl_score(report),
        "message": _summary_message(report),
        "output": _summary_output(report),
        "tests": [pl_test(check) for _, check in numbered_checks(report.checks)],
    }

