"""Gradescope autograder ``results.json`` rendering.

Follows the Gradescope autograder specification ("Output format"): a top-level
``score``, ``execution_time``, ``output``, ``visibility``, ``stdout_visibility``
and a ``tests`` list whose entries carry ``score``, ``max_score``, ``status``,
``name``, ``number``, ``output``, ``tags`` and ``visibility``.

Everything in this file ends up in front of students, so hidden checks are
reduced to a generic line (``"Hidden test: 0/2 points"``): no message, no
diagnosis, no captured printing. Instructors read the full canonical JSON report.
"""
from __future__ import annotations

import math
from typing import Any

from nngrade.render._common import (
    STATUS_LABELS,
    diagnosis_lines,
    fmt_points,
    hidden_line,
    numbered_checks,
    points_fraction,
    points_of,
    status_counts_text,
    truncate_text,
)
from nngrade.render.safe import safe_report
from nngrade.results import SCHEMA_VERSION, CheckResult, Report

#: Visibility values Gradescope accepts for tests and for ``stdout_visibility``.
GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

#: Caps on the submission's captured printing shown in a test's output.
PRINTED_MAX_LINES = 40
PRINTED_MAX_CHARS = 4000

PRINTED_IN_CHECK_HEADER = "--- Printed by your code during this check (not part of the result) ---"
PRINTED_AT_IMPORT_HEADER = "--- Printed by your code at import time (not part of the result) ---"


def _require_visibility(name: str, value: str) -> None:
    if value not in GRADESCOPE_VISIBILITIES:
        raise ValueError(f"{name} must be one of {GRADESCOPE_VISIBILITIES}, got {value!r}")


def _seconds(duration: float) -> float:
    """``duration`` rounded to milliseconds; 0 when negative or not finite."""
    return round(duration, 3) if math.isfinite(duration) and duration > 0 else 0.0


def printed_section(header: str, text: str) -> list[str]:
    """Lines presenting captured printing under ``header`` (empty when nothing was printed)."""
    if not text.strip():
        return []
    return ["", header, truncate_text(text, max_lines=PRINTED_MAX_LINES, max_chars=PRINTED_MAX_CHARS)]


def public_test_output(check: CheckResult) -> str:
    """Student-facing text for a public check.

    Parameters
    ----------
    check : CheckResult
        A public check.

    Returns
    -------
    str
        A ``Result:`` line, the check's message, each diagnosis (likely cause,
        explanation, evidence) and, last and clearly labelled, what the
        submission printed during the check.
    """
    lines = [f"Result: {STATUS_LABELS[check.status]} ({points_fraction(check.points, check.max_points)} points)"]
    if check.message:
        lines.extend(check.message.splitlines())
    for diagnosis in check.diagnoses:
        lines.append("")
        lines.extend(diagnosis_lines(diagnosis))
    lines.extend(printed_section(PRINTED_IN_CHECK_HEADER, check.output))
    return "\n".join(lines)


def summary_output(report: Report) -> str:
    """Top-level text: public score, hidden-test count, loader problems, import-time printing.

    The total including hidden checks is deliberately left out: Gradescope
    hides the total score from students while some tests are not yet visible.
    """
    public = [c for c in report.checks if not c.hidden]
    hidden = [c for c in report.checks if c.hidden]
    lines = [
        f"nngrade {report.kit_version}",
        f"Public tests: {points_fraction(*points_of(public))} points ({status_counts_text(public)})",
    ]
    if hidden:
        worth = fmt_points(sum(c.max_points for c in hidden))
        noun = "test" if len(hidden) == 1 else "tests"
        lines.append(f"Hidden tests: {len(hidden)} {noun} worth {worth} points (details are not shown)")
    if report.submission.error:
        lines.append("")
        lines.append("Your submission could not be loaded:")
        lines.extend("  " + line for line in report.submission.error.splitlines())
    if report.submission.warnings:
        lines.append("")
        lines.append("Notes from loading your submission:")
        lines.extend(f"  - {w}" for w in report.submission.warnings)
    lines.extend(printed_section(PRINTED_AT_IMPORT_HEADER, report.output))
    return "\n".join(lines)


def render_gradescope(
    report: Report,
    *,
    hidden_visibility: str = "after_published",
    public_visibility: str = "visible",
    stdout_visibility: str = "hidden",
) -> dict[str, Any]:
    """Build Gradescope's ``results.json`` content for one report.

    Parameters
    ----------
    report : Report
        The grading run (normally ``mode="grade"``).
    hidden_visibility : str, default "after_published"
        Gradescope visibility of hidden checks; one of
        :data:`GRADESCOPE_VISIBILITIES`. Their output is the generic
        ``"Hidden test: x/y points"`` line whatever this is.
    public_visibility : str, default "visible"
        Gradescope visibility of public checks.
    stdout_visibility : str, default "hidden"
        When students may see the autograder's standard output (which
        :func:`gradescope_stdout` is meant for).

    Returns
    -------
    dict
        JSON-ready ``results.json`` content. Tests are listed group by group
        and numbered ``"<group>.<position>"``; ``score`` equals the sum of the
        tests' ``score``; a test's ``status`` is ``"passed"`` only for checks
        that passed.

    Raises
    ------
    ValueError
        If a visibility argument is not a Gradescope visibility.
    """
    _require_visibility("hidden_visibility", hidden_visibility)
    _require_visibility("public_visibility", public_visibility)
    _require_visibility("stdout_visibility", stdout_visibility)
    report = safe_report(report)
    tests = []
    for number, check in numbered_checks(report.checks):
        tests.append({
            "name": check.name,
            "name_format": "text",
            "number": number,
            "score": check.points,
            "max_score": check.max_points,
            "status": "passed" if check.status == "passed" else "failed",
            "output": hidden_line(check) if check.hidden else public_test_output(check),
            "output_format": "text",
            "tags": [check.group],
            "visibility": hidden_visibility if check.hidden else public_visibility,
            "extra_data": {"check_id": check.id, "status": check.status},
        })
    return {
        "score": report.score,
        "execution_time": _seconds(report.duration),
        "output": summary_output(report),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": stdout_visibility,
        "extra_data": {
            "nngrade_schema_version": SCHEMA_VERSION,
            "kit_version": report.kit_version,
            "mode": report.mode,
            "submission_sha256": report.submission.sha256,
        },
        "tests": tests,
    }


def gradescope_stdout(report: Report, *, include_hidden: bool = True) -> str:
    """Everything the submission printed, labelled by check, for the autograder's stdout.

    Gradescope shows the autograder's standard output to instructors, and to
    students only as ``stdout_visibility`` allows; print this there rather than
    mixing it into results.

    Parameters
    ----------
    report : Report
        The grading run.
    include_hidden : bool, default True
        Include what was printed during hidden checks. Turn off if
        ``stdout_visibility`` lets students see standard output.

    Returns
    -------
    str
        One labelled block per source of printing; empty when nothing was printed.
    """
    report = safe_report(report)
    blocks = []
    if report.output.strip():
        blocks.append(f"[submission printed at import]\n{report.output.rstrip()}")
    for check in report.checks:
        if check.output.strip() and (include_hidden or not check.hidden):
            blocks.append(f"[submission printed during {check.id}]\n{check.output.rstrip()}")
    return "\n\n".join(blocks)
